"""A sum of boolean-indexed values, ``x[mask].sum()``, as a fixed-shape
``where(mask, x, 0).sum()``: the selected tensor's length depends on the data, the sum does
not (AWS's suggested workaround for data-dependent shapes)."""

from __future__ import annotations

import operator
from typing import Any

import torch

from trnport.analyzers.rewrites.base import RewriteInfo
from trnport.analyzers.rewrites.fx.base import (
    INTEGER,
    aten,
    call,
    dtype_of,
    op_name,
    targets_of,
    val,
)

_SIZE_CHECKS = frozenset({"aten.sym_size", "aten._assert_scalar",
                          "aten.sym_constrain_range_for_size"})

_COMPARISONS = (operator.ge, operator.le, operator.gt, operator.lt, operator.eq)


class MaskedReduceAsWhere:
    INFO = RewriteInfo.of("RW-mask-with-where", "fx")
    targets = targets_of(INFO)

    def check(self, node: Any) -> str | None:
        source, indices = node.args[0], node.args[1]
        if len(indices) != 1 or indices[0] is None:
            return "the index is not a single boolean mask"
        mask = indices[0]
        if dtype_of(mask) is not torch.bool:
            return "the index is not a boolean mask"
        if val(mask) is None or val(source) is None or \
                tuple(val(mask).shape) != tuple(val(source).shape):
            return "the mask does not have the shape of the indexed tensor"
        if dtype_of(source) not in (torch.float16, torch.bfloat16, torch.float32, torch.float64) \
                and dtype_of(source) not in INTEGER:
            return "the indexed tensor is not numeric"
        reducers = [u for u in node.users if op_name(u) not in _SIZE_CHECKS]
        if not reducers:
            return "the selected values are not used"
        for user in reducers:
            if user.op == "output":
                return ("the selected values are an output, so their number of elements "
                        "is part of the result")
            if user.target is not aten.sum.default:
                return (f"the selected values feed {op_name(user)} '{user.name}', not a full "
                        "sum; filling with zeros would change its result")
        for size_user in _size_chain(node):
            range_check = size_user.target in _COMPARISONS
            if size_user.op == "output" or not (range_check
                                                or op_name(size_user) in _SIZE_CHECKS):
                return (f"the number of selected elements is used by '{size_user.name}'")
        return None

    def replace(self, graph: Any, node: Any) -> tuple[str, ...]:
        source, mask = node.args[0], node.args[1][0]
        with graph.inserting_before(node):
            kept = call(graph, aten.where.ScalarOther, (mask, source, 0))
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
    pending = [u for u in node.users if op_name(u) in _SIZE_CHECKS]
    while pending:
        current = pending.pop(0)
        if current in chain:
            continue
        chain.append(current)
        pending.extend(current.users)
    order = {n: i for i, n in enumerate(node.graph.nodes)}
    return sorted(chain, key=order.__getitem__)


REWRITE = MaskedReduceAsWhere()
