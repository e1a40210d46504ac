"""Value ranges of the integer tensors of a graph: which int64 values can pass the int32 range.

neuronx-cc narrows int64 to int32; that only loses data where a value really reaches 2**31.
Almost every int64 tensor in a model is an index, a position or a mask, far below it, so the
int64 hazard is judged per value with a forward interval analysis:

* a graph input starts from what its loader knows (``metadata["input_value_ranges"]``: token
  ids below the vocabulary, masks in {0, 1}), from its name (``*mask*``), or from its use: a
  tensor used to index a table of N rows holds values in [-N, N) (anything else is an
  out-of-range read in any backend), and that bound flows back through views, slices, copies
  and casts to the tensor it came from. An int64 input with none of these is unbounded;
* stored integer tensors (buffers, lifted constants) whose data is not known, and integers
  converted from floats of unknown range, are *unknown*: they are not reported, because
  nothing shows they are large;
* sizes are below 2**31 (a tensor dimension cannot be larger), so ``arange`` over a dimension
  and shape arithmetic stay in range; ONNX values that only feed shape operands (Reshape's
  shape, Slice's bounds...) are shape arithmetic and never reported;
* each operator maps input ranges to output ranges: sums add, products multiply, ``cumsum``
  and ``sum`` multiply by the reduced length, ``cumprod``/``prod`` raise to it, comparisons
  give {0, 1}, ``argmax`` and ``topk`` indices stay below the dimension, ``remainder`` and
  ``clamp`` bound their result.

A value is reported at the node where it first leaves the int32 range (its inputs were in
range), and once per unbounded int64 input; what flows on from there is not reported again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from trnport.analyzers.graph import Graph, Node

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
Interval = tuple[float, float]
UNBOUNDED: Interval = (INT64_MIN, INT64_MAX)
_BOOL: Interval = (0, 1)
_SIZE: Interval = (0, INT32_MAX)
_INT_DTYPES = frozenset({"int64", "uint64", "int32", "uint32", "int16", "uint16", "int8",
                         "uint8", "bool"})
_WIDE = frozenset({"int64", "uint64"})

#: ops whose output holds the values of their first input, rearranged or selected
_SAME_VALUES = frozenset({
    "view", "_unsafe_view", "reshape", "expand", "expand_as", "slice", "select", "unsqueeze",
    "squeeze", "permute", "transpose", "t", "clone", "contiguous", "flatten", "unflatten",
    "repeat", "tile", "flip", "roll", "narrow", "split", "split_with_sizes", "chunk", "unbind",
    "index_select", "gather", "index", "take", "masked_select", "detach", "alias",
    "lift_fresh_copy", "movedim", "as_strided", "diagonal", "tril", "triu", "max_pool2d",
    "Reshape", "Expand", "Slice", "Unsqueeze", "Squeeze", "Transpose", "Identity", "Flatten",
    "Tile", "Gather", "GatherElements", "GatherND", "Split", "Trilu",
    "repeat_interleave",
})
#: ops whose output merges the values of all their inputs
_UNION = frozenset({"cat", "concat", "stack", "Concat", "Max", "Min", "where", "Where",
                    "masked_fill", "index_put", "scatter", "ScatterElements", "ScatterND",
                    "maximum", "minimum", "fmax", "fmin", "pad", "constant_pad_nd", "Pad",
                    "_to_copy", "to", "type_as", "Cast", "CastLike", "copy", "lerp"})
_BOOLEAN = frozenset({
    "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_not",
    "logical_xor", "isnan", "isinf", "isfinite", "isin", "any", "all", "bitwise_not_bool",
    "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Not", "Xor",
    "IsNaN", "IsInf", "one_hot", "sign", "Sign", "signbit",
})
#: (op, index of the index input, index of the table input, table dimension attribute)
_INDEXING = {
    "embedding": (1, 0), "embedding_bag": (1, 0), "_embedding_bag": (1, 0),
    "index_select": (2, 0), "gather": (2, 0), "take": (1, 0),
    "Gather": (1, 0), "GatherElements": (1, 0),
}
#: ONNX inputs read as shapes, sizes or axes: values reaching only these are shape arithmetic
_SHAPE_OPERANDS = {
    "Reshape": {1}, "Expand": {1}, "Slice": {1, 2, 3, 4}, "Tile": {1}, "Unsqueeze": {1},
    "Squeeze": {1}, "ConstantOfShape": {0}, "TopK": {1}, "Pad": {1, 3}, "Resize": {1, 2, 3},
    "Upsample": {1}, "OneHot": {1}, "Split": {1}, "ReduceSum": {1}, "ReduceMean": {1},
    "ReduceMax": {1}, "ReduceMin": {1}, "ReduceProd": {1}, "CumSum": {1}, "Range": {0, 1, 2},
}
_SHAPE_SOURCES = frozenset({"onnx::Shape", "onnx::Size"})


@dataclass(frozen=True)
class WideValue:
    """An int64 value that can leave the int32 range: the ``node`` that computes it (or, for
    an unbounded graph input, ``input`` and the nodes that read it), and its range."""

    nodes: tuple[Node, ...]
    low: float
    high: float
    input: str | None = None

    @property
    def bound(self) -> str:
        """The largest magnitude as a power of two (``2^40``), or ``unbounded``."""
        peak = max(abs(self.low), abs(self.high))
        if self.input is not None or math.isinf(peak):
            return "unbounded"
        if peak >= INT64_MAX:
            return "beyond 2^63"
        return f"2^{math.log2(peak):.0f}" if peak > 0 else "0"


def wide_int64_values(graph: Graph) -> list[WideValue]:
    """Every int64 value of ``graph`` (top level) that can pass the int32 range, at its source."""
    return _RangeAnalysis(graph).run()


def value_ranges(graph: Graph) -> Mapping[str, Interval | None]:
    """The range of every value of ``graph`` (top level) the analysis could bound; booleans
    decided statically are (0, 0) or (1, 1)."""
    analysis = _RangeAnalysis(graph)
    analysis.run()
    return analysis.ranges


class _RangeAnalysis:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.ranges: dict[str, Interval | None] = {}
        #: values of a known float dtype (and "", an absent output), and the values that have
        #: a range or are shape arithmetic: a node writing only the first and reading none
        #: of the second has nothing to propagate
        self.floats = {name for name, value in graph.values.items()
                       if value.dtype is not None and value.dtype not in _INT_DTYPES} | {""}
        self.ranged: set[str] = set()
        self.index_bounds = self._index_bounds()
        self.shape_like: set[str] = set()
        self.constants = {p.name for p in graph.params} | set(graph.metadata.get(
            "param_inputs", {})) | {out for node in graph.nodes if node.op == "onnx::Constant"
                                    for out in node.outputs}

    # ---- seeds ----------------------------------------------------------------------------
    def _index_bounds(self) -> dict[str, Interval]:
        """Values used as indices into a table, bounded by its rows, and what they were
        viewed, sliced or cast from."""
        graph, bounds = self.graph, {}
        for node in graph.nodes:
            packet = _packet(node.op)
            spec = _INDEXING.get(packet)
            if spec is None or len(node.inputs) <= max(spec):
                continue
            index_at, table_at = spec
            if packet == "gather" or packet == "index_select":
                index_at, table_at = len(node.inputs) - 1, 0
            rows = _rows(graph, node, node.inputs[table_at])
            if rows is not None:
                _narrow_into(bounds, node.inputs[index_at], (-rows, rows - 1))
        if not bounds:
            return bounds  # nothing indexes a table: there is nothing to carry back
        for node in reversed(graph.nodes):
            if _packet(node.op) in _KEEPS_VALUES:
                known = [bounds[name] for name in node.outputs if name in bounds]
                if known and node.inputs and node.inputs[0]:
                    _narrow_into(bounds, node.inputs[0], known[0])
        return bounds

    def _input_range(self, name: str) -> Interval | None:
        value = self.graph.values.get(name)
        if value is None or value.dtype not in _INT_DTYPES:
            return None
        declared = self.graph.metadata.get("input_value_ranges", {}).get(name)
        if declared is not None:
            return (declared[0], declared[1])
        if value.dtype == "bool" or "mask" in name.lower():
            return _BOOL
        if name in self.index_bounds:
            return self.index_bounds[name]
        return UNBOUNDED if value.dtype in _WIDE else _dtype_range(value.dtype)

    @cached_property
    def shape_only(self) -> set[str]:
        """ONNX values read only as shapes or axes, directly or through shape arithmetic;
        worked out only when a value that could be reported asks (most graphs have none)."""
        floats = self.floats  # a float is never a shape
        consumers: dict[str, list[tuple[Node, int]]] = {}
        for node in self.graph.nodes:
            if floats.issuperset(node.inputs):
                continue
            for position, name in enumerate(node.inputs):
                if name not in floats:
                    consumers.setdefault(name, []).append((node, position))
        shape_only: set[str] = set()
        for node in reversed(self.graph.nodes):
            if floats.issuperset(node.outputs):
                continue
            for name in node.outputs:
                if name in floats:
                    continue
                uses = consumers.get(name, [])
                if uses and all(_is_shape_use(user, position, shape_only)
                                for user, position in uses):
                    shape_only.add(name)
        return shape_only

    # ---- propagation ----------------------------------------------------------------------
    def run(self) -> list[WideValue]:
        graph = self.graph
        stored = {p.name for p in graph.params} | set(graph.metadata.get("param_inputs", {}))
        known = graph.metadata.get("constant_values", {})
        targets = graph.metadata.get("param_inputs", {})
        for name in stored:
            data = known.get(targets.get(name, name))  # small constants only: most have none
            numbers = _numbers(data) if data else ()
            self.ranges[name] = (min(numbers), max(numbers)) if numbers else \
                self.index_bounds.get(name)
        found: list[WideValue] = []
        unbounded_inputs = []
        for name in graph.inputs:
            self.ranges[name] = self._input_range(name)
            value = graph.values.get(name)
            if self.ranges[name] == UNBOUNDED and value is not None and value.dtype in _WIDE:
                unbounded_inputs.append(name)
        self.ranged.update(name for name, interval in self.ranges.items()
                           if interval is not None)
        readers: dict[str, list[Node]] = {name: [] for name in unbounded_inputs}
        for node in graph.nodes:
            if readers:
                for name in node.inputs:
                    if name in readers and node not in readers[name]:
                        readers[name].append(node)
            if not self._carries_no_range(node):
                self._visit(node, found)
        for name in unbounded_inputs:
            if readers[name] and name not in self.shape_only:
                found.append(WideValue(tuple(readers[name]), INT64_MIN, INT64_MAX, input=name))
        return found

    def _carries_no_range(self, node: Node) -> bool:
        """True for a node whose outputs must stay unknown, so it need not be visited: it
        writes only floats, makes no range of its own (a fill, ``arange``, ``Shape``) and
        either reads no value with a range (most of a model) or computes from a first input
        of unknown range (``x ** 2``, ``x + eps``, a reshape of ``x``)."""
        inputs = node.inputs
        # cheapest and most often decisive first: most nodes read no value with a range
        if not inputs or not self.floats.issuperset(node.outputs) or \
                node.op in _SHAPE_SOURCES or _packet(node.op) in _RANGE_SOURCES:
            return False
        if self.ranged.isdisjoint(inputs):
            return True
        # a visit gives an output a range from an index bound, or marks it shape arithmetic
        # when its inputs are, whatever the op
        if self.index_bounds and not self.index_bounds.keys().isdisjoint(node.outputs):
            return False
        if not self.shape_like.isdisjoint(inputs):
            return False
        first = inputs[0]
        return bool(first) and first not in self.ranged and \
            _packet(node.op) in _UNKNOWN_WITHOUT_FIRST

    def _visit(self, node: Node, found: list[WideValue]) -> None:
        ins = [self.ranges.get(name) if name else None for name in node.inputs]
        named = [name for name in node.inputs if name]
        if node.op in _SHAPE_SOURCES or (
                any(name in self.shape_like for name in named)
                and all(name in self.shape_like or name in self.constants for name in named)):
            self.shape_like.update(node.outputs)  # shape arithmetic (ONNX)
            self.ranged.update(node.outputs)
        outs = _transfer(node, ins, self.graph)
        for index, name in enumerate(node.outputs):
            if not name:
                continue
            interval = outs[index] if index < len(outs) else (outs[0] if outs else None)
            value = self.graph.values.get(name)
            dtype = value.dtype if value is not None else None
            if name in self.shape_like:
                interval = _clip(interval, (INT32_MIN, INT32_MAX))
            if dtype in _WIDE and interval is not None and self._leaves_int32_here(
                    name, interval, node, ins):
                found.append(WideValue((node,), interval[0], interval[1]))
            if dtype in _INT_DTYPES and dtype is not None:
                interval = _clip(interval, _dtype_range(dtype))
            if name in self.index_bounds:
                interval = _clip(interval, self.index_bounds[name]) if interval \
                    else self.index_bounds[name]
            self.ranges[name] = interval
            if interval is not None:
                self.ranged.add(name)

    def _leaves_int32_here(self, name: str, interval: Interval, node: Node,
                           ins: list[Interval | None]) -> bool:
        """True when ``name`` (an output of ``node``) passes int32 and no input of ``node``
        did already (an unbounded input cast to float and back is still that input): the
        place to report it. Shape values never are."""
        if not _exceeds(interval) or name in self.shape_only or name in self.shape_like:
            return False
        return not any(_exceeds(r) for r in ins)


# ---- transfer functions ---------------------------------------------------------------------
def _transfer(node: Node, ins: list[Interval | None], graph: Graph) -> list[Interval | None]:
    op, attrs = _packet(node.op), node.attributes
    first = ins[0] if ins else None
    if op in _COMPARISONS:
        return [_compare(op, node, ins)]
    if op in _BOOLEAN:
        return [_BOOL]
    if op in ("arange", "Range"):
        return [_arange(attrs, ins)]
    if op in _FILLS:
        return [_fill_range(op, attrs, ins)]
    if op == "Constant":
        return [_constant_range(attrs)]
    if op in ("argmax", "argmin", "ArgMax", "ArgMin", "nonzero", "NonZero", "sort_indices"):
        return [_SIZE]
    if op in ("topk", "sort", "max", "min", "TopK", "kthvalue", "mode", "median", "cummax",
              "cummin"):
        return [first, _SIZE]
    if op in _SAME_VALUES:
        return [first]
    if op in ("where", "Where"):  # the condition is not among the values
        return [_union([*ins[1:], *_scalars(attrs, ("self", "other"))])]
    if op in _UNION:
        return [_union([*ins, *_scalars(attrs, ("other", "self", "value", "fill_value"))])]
    if op in _ARITHMETIC:
        return [_binary(op, node, ins)]
    if op in ("neg", "Neg"):
        return [(-first[1], -first[0]) if first else None]
    if op in ("abs", "Abs"):
        return [_abs(first)]
    if op in ("clamp", "clip", "Clip", "clamp_min", "clamp_max"):
        return [_clamp(first, attrs, ins)]
    if op in ("cumsum", "CumSum", "sum", "ReduceSum", "nansum"):
        return [_scaled(first, _reduced_length(node, graph, op))]
    if op in ("cumprod", "prod", "ReduceProd"):
        return [_power(first, _reduced_length(node, graph, op))]
    if op in ("mean", "ReduceMean", "amax", "amin", "ReduceMax", "ReduceMin", "floor", "ceil",
              "round", "trunc", "Floor", "Ceil", "Round", "relu", "Relu"):
        return [_relu(first) if op in ("relu", "Relu") else first]
    if op in ("bincount", "histc", "count_nonzero"):
        count = _numel(graph, node.inputs[0]) if node.inputs else None
        return [(0, count) if count is not None else None]
    if op in ("sym_size", "Shape", "Size", "size"):
        return [_SIZE]
    return [None]


_FILLS = frozenset({"full", "full_like", "new_full", "fill", "scalar_tensor", "zeros", "ones",
                    "zeros_like", "ones_like", "new_zeros", "new_ones", "new_empty",
                    "empty_like"})
#: ops whose output range does not come from their inputs' ranges
_RANGE_SOURCES = _FILLS | {"arange", "Range", "Constant"}
#: ops whose output holds values of their first input: an index bound carries back through
_KEEPS_VALUES = _SAME_VALUES | {"_to_copy", "to", "Cast", "type_as"}
#: the arithmetic of :func:`_binary`, which needs both operands' ranges
_ARITHMETIC = frozenset({
    "add", "Add", "sub", "Sub", "rsub", "mul", "Mul", "div", "Div", "floor_divide",
    "remainder", "fmod", "Mod", "pow", "Pow", "bitwise_and", "bitwise_or", "bitwise_xor",
    "__and__", "__or__", "__xor__", "bitwise_left_shift", "__lshift__", "bitwise_right_shift",
    "__rshift__", "BitShift"})
_COMPARISONS = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
                          "logical_not", "bitwise_and", "bitwise_or", "bitwise_not",
                          "__and__", "__or__"})
#: ops whose :func:`_transfer` is unknown whenever their first input's range is: the result
#: is computed from it (views, arithmetic, reductions, hulls)
_UNKNOWN_WITHOUT_FIRST = (_SAME_VALUES | _UNION | _ARITHMETIC | {
    "neg", "Neg", "abs", "Abs", "cumsum", "CumSum", "sum", "ReduceSum", "nansum", "cumprod",
    "prod", "ReduceProd", "mean", "ReduceMean", "amax", "amin", "ReduceMax", "ReduceMin",
    "floor", "ceil", "round", "trunc", "Floor", "Ceil", "Round", "relu", "Relu",
}) - _COMPARISONS - _BOOLEAN - {"where", "Where", "clamp", "clip", "Clip", "clamp_min",
                                 "clamp_max", "topk", "sort", "max", "min", "TopK"}


def _compare(op: str, node: Node, ins: list[Interval | None]) -> Interval | None:
    """{0, 1}, narrowed to one of them when the operands decide it (``arange(n) >= 0`` is
    always true: the attention mask of a model called without one)."""
    operands = [*ins[:2], *_scalars(node.attributes, ("other",))]
    a = operands[0] if operands else None
    b = operands[1] if len(operands) > 1 else None
    if op in ("logical_not", "bitwise_not"):
        return (1 - a[1], 1 - a[0]) if a is not None and _is_boolean(a) else \
            (None if a is None else _BOOL)
    if a is None or b is None:
        return None if op.startswith("bitwise") else _BOOL
    if op in ("logical_and", "bitwise_and", "__and__", "logical_or", "bitwise_or", "__or__"):
        if not (_is_boolean(a) and _is_boolean(b)):
            return _binary(op, node, ins) if op.startswith(("bitwise", "__")) else _BOOL
        pick = min if op in ("logical_and", "bitwise_and", "__and__") else max
        return (pick(a[0], b[0]), pick(a[1], b[1]))
    always = {"ge": a[0] >= b[1], "gt": a[0] > b[1], "le": a[1] <= b[0], "lt": a[1] < b[0],
              "eq": a[0] == a[1] == b[0] == b[1], "ne": a[1] < b[0] or b[1] < a[0]}[op]
    never = {"ge": a[1] < b[0], "gt": a[1] <= b[0], "le": a[0] > b[1], "lt": a[0] >= b[1],
             "eq": a[1] < b[0] or b[1] < a[0], "ne": a[0] == a[1] == b[0] == b[1]}[op]
    return (1, 1) if always else (0, 0) if never else _BOOL


def _is_boolean(interval: Interval) -> bool:
    return 0 <= interval[0] <= interval[1] <= 1


def _binary(op: str, node: Node, ins: list[Interval | None]) -> Interval | None:
    scalars = _scalars(node.attributes, ("other", "self", "exponent", "scalar"))
    operands = [r for r in ins[:2]] + scalars
    if len(operands) < 2 or operands[0] is None or operands[1] is None:
        return None
    a, b = operands[0], operands[1]
    if op == "rsub" or ("self" in node.attributes and node.inputs and op in ("sub", "Sub")):
        a, b = b, a
    alpha = node.attributes.get("alpha")
    if isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and alpha != 1:
        b = _mul(b, (alpha, alpha))
    if op in ("add", "Add"):
        return (a[0] + b[0], a[1] + b[1])
    if op in ("sub", "Sub", "rsub"):
        return (a[0] - b[1], a[1] - b[0])
    if op in ("mul", "Mul"):
        return _mul(a, b)
    if op in ("div", "Div", "floor_divide"):
        peak = max(abs(a[0]), abs(a[1]))
        if b[0] > 0:
            return (min(a[0], a[0] / b[1], 0), max(a[1], a[1] / b[1], 0))
        return (-peak, peak)
    if op in ("remainder", "fmod", "Mod"):
        if b[0] > 0:
            return (0 if op == "remainder" else -(b[1] - 1), b[1] - 1)
        peak = max(abs(b[0]), abs(b[1]))
        return (-peak, peak)
    if op in ("pow", "Pow"):
        return _power(a, b[1]) if b[0] >= 0 else None
    if op in ("bitwise_and", "__and__") and a[0] >= 0 and b[0] >= 0:
        return (0, min(a[1], b[1]))
    if op in ("bitwise_or", "bitwise_xor", "__or__", "__xor__") and a[0] >= 0 and b[0] >= 0:
        return (0, 2 ** max(1, math.ceil(math.log2(max(a[1], b[1]) + 1))) - 1)
    if op in ("bitwise_left_shift", "__lshift__") and b[0] >= 0 and b[1] < 128:
        return _mul(a, (2 ** b[0], 2 ** b[1]))
    if op in ("bitwise_right_shift", "__rshift__") and b[0] >= 0:
        return (min(a[0], 0), max(a[1], 0))
    return None


def _mul(a: Interval, b: Interval) -> Interval:
    products = [x * y for x in a for y in b if not (math.isinf(x) and y == 0)
                and not (math.isinf(y) and x == 0)] or [0]
    return (min(products), max(products))


def _power(base: Interval | None, exponent: float | None) -> Interval | None:
    if base is None or exponent is None:
        return None
    if exponent > 4096:
        exponent = 4096  # enough to prove overflow, small enough to compute
    peak = max(abs(base[0]), abs(base[1]))
    if peak <= 1:
        return (-1 if base[0] < 0 else min(base[0], 0), max(1, base[1]))
    top = peak ** exponent
    return (-top if base[0] < 0 else 0, top)


def _scaled(interval: Interval | None, length: float | None) -> Interval | None:
    if interval is None or length is None:
        return None
    return (min(0, interval[0] * length), max(0, interval[1] * length))


def _abs(interval: Interval | None) -> Interval | None:
    if interval is None:
        return None
    low, high = interval
    if low >= 0:
        return interval
    return (0 if high >= 0 else -high, max(-low, high))


def _relu(interval: Interval | None) -> Interval | None:
    return None if interval is None else (max(0, interval[0]), max(0, interval[1]))


def _clamp(first: Interval | None, attrs: Mapping[str, Any],
           ins: list[Interval | None]) -> Interval | None:
    low = attrs.get("min")
    high = attrs.get("max")
    low = low if isinstance(low, (int, float)) and not isinstance(low, bool) else \
        (ins[1][0] if len(ins) > 1 and ins[1] else None)
    high = high if isinstance(high, (int, float)) and not isinstance(high, bool) else \
        (ins[2][1] if len(ins) > 2 and ins[2] else None)
    if first is None:
        if low is not None and high is not None:
            return (low, high)
        return None
    return (max(first[0], low) if low is not None else first[0],
            min(first[1], high) if high is not None else first[1])


def _arange(attrs: Mapping[str, Any], ins: list[Interval | None]) -> Interval | None:
    if ins and any(r is not None for r in ins):  # ONNX Range(start, limit, delta)
        known = [r for r in ins if r is not None]
        return (min(r[0] for r in known), max(r[1] for r in known))
    ends = [_as_number(attrs.get(key)) for key in ("start", "end")]
    numbers = [v for v in ends if v is not None]
    if any(isinstance(attrs.get(key), str) for key in ("start", "end")):
        numbers.append(INT32_MAX)  # a symbolic size
    if not numbers:
        return None
    return (min(0, *numbers), max(0, *numbers))


def _fill_range(op: str, attrs: Mapping[str, Any], ins: list[Interval | None]) -> Interval | None:
    if op in ("zeros", "zeros_like", "new_zeros"):
        return (0, 0)
    if op in ("ones", "ones_like", "new_ones"):
        return (1, 1)
    values = _scalars(attrs, ("fill_value", "value", "s"))
    if op == "fill" and len(ins) > 1 and ins[1] is not None:
        return ins[1]
    return values[0] if values else None


def _constant_range(attrs: Mapping[str, Any]) -> Interval | None:
    for item in attrs.values():
        numbers = _numbers(item)
        if numbers:
            return (min(numbers), max(numbers))
    return None


def _numbers(item: Any) -> list[float]:
    if isinstance(item, bool):
        return [int(item)]
    if isinstance(item, (int, float)):
        return [item]
    if isinstance(item, dict):
        return [v for x in item.get("values") or () for v in _numbers(x)]
    if isinstance(item, (list, tuple)) and len(item) <= 4096:
        return [v for x in item for v in _numbers(x)]
    return []


def _scalars(attrs: Mapping[str, Any], keys: Iterable[str]) -> list[Interval | None]:
    found: list[Interval | None] = []
    for key in keys:
        value = _as_number(attrs.get(key))
        if value is not None:
            found.append((value, value))
    return found


def _as_number(item: Any) -> float | None:
    if isinstance(item, bool):
        return int(item)
    if isinstance(item, (int, float)):
        return item
    if isinstance(item, str) and item.strip() in ("inf", "-inf"):
        return float(item)
    return None


def _union(intervals: list[Interval | None]) -> Interval | None:
    """The hull of ``intervals``; unknown as soon as one of them is."""
    if not intervals or any(r is None for r in intervals):
        return None
    return (min(r[0] for r in intervals), max(r[1] for r in intervals))  # type: ignore[index]


def _clip(interval: Interval | None, bounds: Interval) -> Interval | None:
    if interval is None:
        return None
    low, high = max(interval[0], bounds[0]), min(interval[1], bounds[1])
    return (low, high) if low <= high else bounds


def _exceeds(interval: Interval | None) -> bool:
    return interval is not None and (interval[0] < INT32_MIN or interval[1] > INT32_MAX)


def _dtype_range(dtype: str) -> Interval:
    if dtype == "bool":
        return _BOOL
    bits = int("".join(ch for ch in dtype if ch.isdigit()) or 64)
    if dtype.startswith("u"):
        return (0, 2**bits - 1)
    return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def _dtype(graph: Graph, name: str) -> str | None:
    value = graph.values.get(name)
    return value.dtype if value is not None else None


def _narrow_into(bounds: dict[str, Interval], name: str, interval: Interval) -> None:
    if not name:
        return
    previous = bounds.get(name)
    bounds[name] = interval if previous is None else (
        max(previous[0], interval[0]), min(previous[1], interval[1]))


def _rows(graph: Graph, node: Node, table: str) -> int | None:
    value = graph.values.get(table)
    shape = value.shape if value is not None else None
    if shape is None:
        target = graph.metadata.get("param_inputs", {}).get(table, table)
        shape = next((p.shape for p in graph.params if p.name == target), None)
    if not shape:
        return None
    axis = node.attributes.get("dim", node.attributes.get("axis", 0))
    axis = axis if isinstance(axis, int) else 0
    size = shape[axis] if -len(shape) <= axis < len(shape) else None
    return size if isinstance(size, int) else INT32_MAX


def _reduced_length(node: Node, graph: Graph, op: str) -> float | None:
    value = graph.values.get(node.inputs[0]) if node.inputs else None
    if value is None or value.shape is None:
        return INT32_MAX
    dims = node.attributes.get("dim", node.attributes.get("axis", node.attributes.get("axes")))
    shape = value.shape
    if isinstance(dims, int):
        dims = [dims]
    if not isinstance(dims, (list, tuple)) or not dims:
        picked = list(shape)
    else:
        picked = [shape[d] for d in dims if isinstance(d, int) and -len(shape) <= d < len(shape)]
    length = 1
    for dim in picked:
        length *= dim if isinstance(dim, int) else INT32_MAX
    return length


def _numel(graph: Graph, name: str) -> int | None:
    value = graph.values.get(name)
    return value.numel if value is not None else None


def _is_shape_use(user: Node, position: int, shape_only: set[str]) -> bool:
    if "::" not in user.op:
        return False
    op = user.op.split("::", 1)[1]
    if position in _SHAPE_OPERANDS.get(op, ()):
        return True
    return bool(user.outputs) and all(name in shape_only for name in user.outputs if name)


@cache
def _packet(op: str) -> str:
    if "::" in op:
        return op.split("::", 1)[1]
    parts = op.split(".")
    return parts[1] if len(parts) > 1 and parts[0] in ("aten", "prims") else parts[-1]
