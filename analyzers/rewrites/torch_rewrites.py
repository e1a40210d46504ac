"""Rewrites on the FX graph of a ``torch.export`` ExportedProgram: the same catalogue ids as
the ONNX rewrites, each a ``check`` that explains a refusal in one line and a ``replace``
that edits the graph in place. The caller re-exports the edited program, which re-derives
every node's metadata and proves the graph still traces.

Imported only for ``.pt2`` and Python-file models: it imports torch.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterable
from typing import Any

import torch

from trnport.analyzers.rewrites.base import Applied, Refusal, RewriteInfo
from trnport.analyzers.rewrites.catalog import FINITE_FILL

aten = torch.ops.aten
_INTEGER = frozenset({torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8})
# at or below this a float fill is a stand-in for -inf (finfo(float32).min is -3.4028e38)
_NEAR_MIN = -1.0e30


def _info(rewrite_id: str, title: str, ops: tuple[str, ...],
          notes: tuple[str, ...] = ()) -> RewriteInfo:
    return dataclasses.replace(RewriteInfo.of(rewrite_id, title, notes), ops=ops)


def _val(node: Any) -> Any:
    return node.meta.get("val") if hasattr(node, "meta") else None


def _dtype(node: Any) -> Any:
    value = _val(node)
    return getattr(value, "dtype", None)


def _op_name(node: Any) -> str:
    target = node.target
    name = getattr(target, "__name__", str(target))
    if hasattr(target, "_schema"):
        return f"aten.{target._schema.name.split('::')[-1]}"
    return name


def _set_val(node: Any) -> None:
    """Best-effort metadata for a new node (the re-export recomputes it anyway)."""
    from torch._guards import detect_fake_mode

    def meta(arg):
        return _val(arg) if isinstance(arg, torch.fx.Node) else arg

    args = torch.fx.node.map_arg(node.args, meta)
    kwargs = torch.fx.node.map_arg(node.kwargs, meta)
    mode = detect_fake_mode([v for v in torch.utils._pytree.tree_leaves((args, kwargs))
                             if isinstance(v, torch.Tensor)])
    if mode is None:
        return
    try:
        with mode:
            node.meta["val"] = node.target(*args, **kwargs)
    except Exception:  # metadata is a convenience here; the re-export is the proof
        node.meta.pop("val", None)


def _call(graph: Any, target: Any, args: tuple, kwargs: dict | None = None) -> Any:
    node = graph.call_function(target, args, kwargs or {})
    _set_val(node)
    return node


def _integer_problem(node: Any, inputs: list[Any]) -> str | None:
    for arg in inputs:
        dtype = _dtype(arg)
        if dtype is None:
            return f"the element type of input '{arg}' of {_op_name(node)} is unknown"
        if dtype not in _INTEGER:
            return (f"input '{arg}' of {_op_name(node)} is {str(dtype).replace('torch.', '')}, "
                    "not an integer tensor")
    return None


class TopKIntegerToFloat:
    INFO = _info("RW-topk-int-to-float",
                 "Cast the integer input of topk to float32, run topk, cast the values back",
                 ("aten.topk",), notes=("exact while |x| < 2**24",))
    targets = (aten.topk.default,)

    def check(self, node: Any) -> str | None:
        return _integer_problem(node, [node.args[0]])

    def replace(self, graph: Any, node: Any) -> tuple[str, ...]:
        source = node.args[0]
        dtype = _dtype(source)
        with graph.inserting_before(node):
            as_float = _call(graph, aten._to_copy.default, (source,), {"dtype": torch.float32})
        node.update_arg(0, as_float)
        _set_val(node)
        added = ["aten._to_copy", "aten.topk"]
        for user in list(node.users):
            if user.target is operator.getitem and user.args[1] == 0:
                _set_val(user)
                with graph.inserting_after(user):
                    back = _call(graph, aten._to_copy.default, (user,), {"dtype": dtype})
                user.replace_all_uses_with(back, delete_user_cb=lambda u, b=back: u is not b)
                added.append("aten._to_copy")
        return tuple(added)


class IntegerMatMulToFloat:
    INFO = _info("RW-int-matmul-to-float",
                 "Run integer matmul/mm/bmm in float32 and cast the product back",
                 ("aten.matmul", "aten.mm", "aten.bmm"),
                 notes=("exact while every partial sum stays below 2**24",))
    targets = (aten.matmul.default, aten.mm.default, aten.bmm.default)

    def check(self, node: Any) -> str | None:
        inputs = list(node.args[:2])
        problem = _integer_problem(node, inputs)
        if problem:
            return problem
        if len({_dtype(arg) for arg in inputs}) != 1:
            return f"the inputs of {_op_name(node)} have different integer types"
        return None

    def replace(self, graph: Any, node: Any) -> tuple[str, ...]:
        dtype = _dtype(node.args[0])
        with graph.inserting_before(node):
            for index in (0, 1):
                cast = _call(graph, aten._to_copy.default, (node.args[index],),
                             {"dtype": torch.float32})
                node.update_arg(index, cast)
        _set_val(node)
        with graph.inserting_after(node):
            back = _call(graph, aten._to_copy.default, (node,), {"dtype": dtype})
        node.replace_all_uses_with(back, delete_user_cb=lambda u: u is not back)
        return ("aten._to_copy", "aten._to_copy", _op_name(node), "aten._to_copy")


class OneHotAsCompare:
    INFO = _info("RW-one-hot-compare-arange",
                 "Express one_hot as a comparison of the indices with arange(num_classes)",
                 ("aten.one_hot",))
    targets = (aten.one_hot.default,)

    def check(self, node: Any) -> str | None:
        classes = node.args[1] if len(node.args) > 1 else node.kwargs.get("num_classes", -1)
        if not isinstance(classes, int) or classes < 0:
            return ("num_classes is not a constant (it is inferred from the data), so the "
                    "width of the result depends on the index values")
        if _dtype(node.args[0]) not in _INTEGER:
            return f"the indices of {_op_name(node)} are not an integer tensor"
        return None

    def replace(self, graph: Any, node: Any) -> tuple[str, ...]:
        indices, classes = node.args[0], node.args[1]
        device = getattr(_val(indices), "device", torch.device("cpu"))
        with graph.inserting_before(node):
            column = _call(graph, aten.unsqueeze.default, (indices, -1))
            classes_range = _call(graph, aten.arange.default, (classes,),
                                  {"dtype": _dtype(indices), "device": device})
            equal = _call(graph, aten.eq.Tensor, (column, classes_range))
            as_int = _call(graph, aten._to_copy.default, (equal,), {"dtype": torch.int64})
        node.replace_all_uses_with(as_int)
        graph.erase_node(node)
        return ("aten.unsqueeze", "aten.arange", "aten.eq", "aten._to_copy")


_PASS_THROUGH = frozenset({
    "aten.add", "aten.sub", "aten.mul", "aten.div", "aten._to_copy", "aten.to", "aten.view",
    "aten.reshape", "aten.transpose", "aten.permute", "aten.unsqueeze", "aten.squeeze",
    "aten.expand", "aten.masked_fill", "aten.where", "aten.clone", "aten.contiguous",
    "aten.type_as",
})
_SOFTMAX = frozenset({"aten.softmax", "aten._softmax", "aten.log_softmax", "aten._log_softmax"})


class FiniteMaskFill:
    INFO = _info("RW-finite-mask-fill",
                 "Fill attention masks with a finite large negative constant, not -inf / "
                 "finfo.min", ("aten.masked_fill",))
    targets = (aten.masked_fill.Scalar,)

    def check(self, node: Any) -> str | None:
        value = node.args[2]
        dtype = _dtype(node.args[0])
        lowest = torch.finfo(dtype).min if dtype is not None and dtype.is_floating_point \
            else _NEAR_MIN
        if not isinstance(value, float) or not value <= max(lowest, _NEAR_MIN):
            return f"the fill value {value!r} is not -inf or the float minimum"
        return _softmax_problem(node)

    def replace(self, graph: Any, node: Any) -> tuple[str, ...]:
        node.update_arg(2, FINITE_FILL)
        return ("aten.masked_fill",)


def _softmax_problem(start: Any) -> str | None:
    """Why the fill value could be seen outside a softmax, or None when it cannot."""
    pending, seen = [start], set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        if not node.users:
            return f"'{node.name}' is not used by a softmax"
        for user in node.users:
            if user.op == "output":
                return (f"the masked values reach the output through '{node.name}' without a "
                        "softmax, so the fill value would change the outputs")
            name = _op_name(user)
            if name in _SOFTMAX:
                continue
            if name not in _PASS_THROUGH:
                return (f"the masked values feed {name} '{user.name}' before any softmax, "
                        "so the fill value would change its result")
            pending.append(user)
    return None


_SIZE_CHECKS = frozenset({"aten.sym_size", "aten._assert_scalar",
                          "aten.sym_constrain_range_for_size"})

_COMPARISONS = (operator.ge, operator.le, operator.gt, operator.lt, operator.eq)


class MaskedReduceAsWhere:
    INFO = _info("RW-mask-with-where",
                 "Sum boolean-indexed values as a fixed-shape where() with zeros",
                 ("aten.index",))
    targets = (aten.index.Tensor,)

    def check(self, node: Any) -> str | None:
        source, indices = node.args[0], node.args[1]
        if len(indices) != 1 or indices[0] is None:
            return "the index is not a single boolean mask"
        mask = indices[0]
        if _dtype(mask) is not torch.bool:
            return "the index is not a boolean mask"
        if _val(mask) is None or _val(source) is None or \
                tuple(_val(mask).shape) != tuple(_val(source).shape):
            return "the mask does not have the shape of the indexed tensor"
        if _dtype(source) not in (torch.float16, torch.bfloat16, torch.float32, torch.float64) \
                and _dtype(source) not in _INTEGER:
            return "the indexed tensor is not numeric"
        reducers = [u for u in node.users if _op_name(u) not in _SIZE_CHECKS]
        if not reducers:
            return "the selected values are not used"
        for user in reducers:
            if user.op == "output":
                return ("the selected values are an output, so their number of elements "
                        "is part of the result")
            if user.target is not aten.sum.default:
                return (f"the selected values feed {_op_name(user)} '{user.name}', not a full "
                        "sum; filling with zeros would change its result")
        for size_user in _size_chain(node):
            range_check = size_user.target in _COMPARISONS
            if size_user.op == "output" or not (range_check
                                                or _op_name(size_user) in _SIZE_CHECKS):
                return (f"the number of selected elements is used by '{size_user.name}'")
        return None

    def replace(self, graph: Any, node: Any) -> tuple[str, ...]:
        source, mask = node.args[0], node.args[1][0]
        with graph.inserting_before(node):
            kept = _call(graph, aten.where.ScalarOther, (mask, source, 0))
        for user in [u for u in node.users if u.target is aten.sum.default]:
            user.replace_input_with(node, kept)
        for dead in reversed(_size_chain(node)):
            graph.erase_node(dead)
        graph.erase_node(node)
        return ("aten.where",)


def _size_chain(node: Any) -> list[Any]:
    """The nodes reading ``node``'s data-dependent size (sym_size, its range asserts), in
    topological order."""
    chain: list[Any] = []
    pending = [u for u in node.users if _op_name(u) in _SIZE_CHECKS]
    while pending:
        current = pending.pop(0)
        if current in chain:
            continue
        chain.append(current)
        pending.extend(current.users)
    order = {n: i for i, n in enumerate(node.graph.nodes)}
    return sorted(chain, key=order.__getitem__)


TORCH_REWRITES = (TopKIntegerToFloat(), IntegerMatMulToFloat(), OneHotAsCompare(),
                  MaskedReduceAsWhere(), FiniteMaskFill())


def torch_rewrite(rewrite_id: str) -> Any:
    return next((r for r in TORCH_REWRITES if r.INFO.id == rewrite_id), None)


def apply_to_graph(graph_module: Any, rewrite_ids: Iterable[str]) -> tuple[
        tuple[Applied, ...], tuple[Refusal, ...]]:
    """Apply ``rewrite_ids`` to ``graph_module``'s graph in place (then recompile it)."""
    applied: list[Applied] = []
    refusals: list[Refusal] = []
    graph = graph_module.graph
    for rewrite_id in rewrite_ids:
        rewrite = torch_rewrite(rewrite_id)
        if rewrite is None:
            raise KeyError(rewrite_id)
        for node in [n for n in graph.nodes if n.op == "call_function"
                     and n.target in rewrite.targets]:
            name, removed = node.name, _op_name(node)
            reason = rewrite.check(node)
            if reason:
                refusals.append(Refusal(rewrite_id, name, reason))
                continue
            added = rewrite.replace(graph, node)
            applied.append(Applied(rewrite_id, name, (removed,), added))
    graph.lint()
    graph_module.recompile()
    return tuple(applied), tuple(refusals)
