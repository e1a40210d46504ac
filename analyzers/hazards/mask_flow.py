"""Where the attention-mask constants of a graph go, and whether that breaks under bf16.

A ``finfo(...).min`` or ``-inf`` constant is harmless until it is used: the mask a model builds
when it was called without one (``where(arange(n) >= 0, 0, min)``) never selects it, and a
single ``finfo(bfloat16).min`` added once to finite scores stays finite. The hazard is real
when the constant

* is ``finfo(float32).min`` or ``-inf`` and reaches a softmax or arithmetic in reduced
  precision: float32's most negative value rounds to ``-inf`` in bf16, and a fully masked
  softmax row of ``-inf`` computes ``-inf - (-inf) = NaN``;
* is ``finfo(bfloat16).min`` and is added to a second mask (causal plus padding): the sum
  overflows to ``-inf``.

The constant's value is followed forward through every op that carries it (views, casts,
products with a 0/1 mask as in ``(1 - mask) * finfo(float32).min``, additions), and through
``where`` only on the side the condition can select (conditions decided statically by the
range analysis of :mod:`.int_ranges`). Lifted tensor constants count when their value is
known (``metadata["constant_values"]``).
"""

from __future__ import annotations

from dataclasses import dataclass

from trnport.analyzers.graph import Graph, Node
from trnport.analyzers.hazards.int_ranges import value_ranges
from trnport.analyzers.hazards.numerics import (
    HUGE_NEGATIVE,
    MaskConstant,
    kind_of,
    mask_constants,
)

_SOFTMAX = frozenset({"_softmax", "softmax", "log_softmax", "_log_softmax", "_safe_softmax",
                      "Softmax", "LogSoftmax"})
_ADDITIVE = frozenset({"add", "sub", "Add", "Sub", "rsub"})
#: ops whose result no longer carries the constant's value
_DROPS = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "isinf", "isnan", "isfinite", "argmax",
                    "argmin", "sym_size", "Equal", "Less", "Greater", "IsInf", "IsNaN",
                    "LessOrEqual", "GreaterOrEqual", "Shape", "Size", "logical_not"})
#: ops after which the constant's value is gone (masked positions become probabilities or
#: are mixed into a product), though the op itself may be where it does harm
_CONSUMES = _SOFTMAX | frozenset({
    "mm", "bmm", "matmul", "addmm", "baddbmm", "linear", "native_layer_norm", "layer_norm",
    "scaled_dot_product_attention", "_scaled_dot_product_flash_attention_for_cpu",
    "MatMul", "Gemm", "LayerNormalization", "exp", "Exp", "sigmoid", "Sigmoid", "tanh",
})
_REDUCED = frozenset({"bfloat16", "float16"})


@dataclass(frozen=True)
class MaskHazard:
    """A mask constant (``source``) and the node where it becomes a problem (``sink``):
    ``reason`` is ``softmax`` (reaches a softmax), ``reduced`` (reaches reduced-precision
    arithmetic) or ``second-mask`` (added to another mask)."""

    source: MaskConstant
    sink: Node
    reason: str


def mask_hazards(graph: Graph, reduced_run: bool) -> list[MaskHazard]:
    """One hazard per mask constant of ``graph`` (top level) whose value reaches a place where
    it breaks; ``reduced_run`` when the model is compiled in bf16/fp16 (or auto-cast)."""
    sources = _sources(graph)
    if not sources:
        return []
    ranges = value_ranges(graph)
    carried: dict[str, frozenset[int]] = {}
    for index, (value, _) in enumerate(sources):
        carried[value] = carried.get(value, frozenset()) | {index}
    found: dict[int, MaskHazard] = {}
    for node in graph.nodes:
        incoming = _incoming(node, carried, ranges)
        if not incoming:
            continue
        op = _packet(node.op)
        if op in _SOFTMAX:
            _note(found, sources, incoming, node, "softmax", ("float32-min", "-inf"))
        elif op in _ADDITIVE and _two_masks(node, carried):
            _note(found, sources, incoming, node, "second-mask",
                  ("bfloat16-min", "float32-min", "-inf"))
        if op in _DROPS:
            continue
        if _reduced_output(graph, node) or (reduced_run and op not in _SOFTMAX):
            _note(found, sources, incoming, node, "reduced", ("float32-min",),
                  arithmetic_only=True)
        if op in _CONSUMES:
            continue
        for name in node.outputs:
            if name:
                carried[name] = carried.get(name, frozenset()) | incoming
    return [found[index] for index in sorted(found)]


def _sources(graph: Graph) -> list[tuple[str, MaskConstant]]:
    """(value carrying the constant, the constant) for fill nodes and lifted constants."""
    found = [(node.outputs[0], constant) for constant in mask_constants(graph)
             if (node := constant.node).outputs and node.outputs[0]]
    known = graph.metadata.get("constant_values", {})
    targets = graph.metadata.get("param_inputs", {})
    lifted = {placeholder: target for placeholder, target in targets.items()
              if _most_negative(known.get(target))}
    if lifted:
        for node in graph.nodes:
            for name in node.inputs:
                if name in lifted:
                    value = _most_negative(known[lifted[name]])
                    found.append((name, MaskConstant(node, value, kind_of(value),
                                                     constant=lifted[name])))
    return found


def _most_negative(values) -> float | None:
    numbers = [v for v in values or () if isinstance(v, (int, float)) and v <= HUGE_NEGATIVE]
    return min(numbers) if numbers else None


def _incoming(node: Node, carried: dict[str, frozenset[int]], ranges) -> frozenset[int]:
    inputs = node.inputs
    if _packet(node.op) in ("where", "Where") and len(inputs) == 3:
        condition = ranges.get(inputs[0])
        picked = [inputs[1], inputs[2]]
        if condition == (1, 1):
            picked = [inputs[1]]
        elif condition == (0, 0):
            picked = [inputs[2]]
        inputs = tuple(picked)
    result: frozenset[int] = frozenset()
    for name in inputs:
        if name in carried:
            result |= carried[name]
    return result


def _two_masks(node: Node, carried: dict[str, frozenset[int]]) -> bool:
    carrying = [name for name in node.inputs if name in carried]
    if len(carrying) >= 2:
        return True
    scalar = node.attributes.get("other")
    return bool(carrying) and isinstance(scalar, (int, float)) and scalar <= HUGE_NEGATIVE


def _note(found: dict[int, MaskHazard], sources, incoming: frozenset[int], node: Node,
          reason: str, kinds: tuple[str, ...], *, arithmetic_only: bool = False) -> None:
    if arithmetic_only and _packet(node.op) in _PASS_THROUGH:
        return
    for index in incoming:
        constant = sources[index][1]
        if index not in found and constant.kind in kinds:
            found[index] = MaskHazard(constant, node, reason)


#: ops that move the constant without computing with it
_PASS_THROUGH = frozenset({
    "view", "_unsafe_view", "reshape", "expand", "slice", "select", "unsqueeze", "squeeze",
    "permute", "transpose", "clone", "contiguous", "_to_copy", "to", "where", "cat", "stack",
    "masked_fill", "full", "scalar_tensor", "index", "index_select", "Reshape", "Expand",
    "Unsqueeze", "Squeeze", "Transpose", "Cast", "Where", "Concat", "Slice", "Gather",
    "alias", "detach", "full_like", "fill", "new_full",
})


def _reduced_output(graph: Graph, node: Node) -> bool:
    return any((value := graph.values.get(name)) is not None and value.dtype in _REDUCED
               for name in node.outputs if name)


def _packet(op: str) -> str:
    if "::" in op:
        return op.split("::", 1)[1]
    parts = op.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "aten" else parts[-1]
