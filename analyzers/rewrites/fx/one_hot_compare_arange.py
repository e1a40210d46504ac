"""``one_hot`` as a comparison of the indices with ``arange(num_classes)``, cast to int64
as one_hot returns it."""

from __future__ import annotations

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


class OneHotAsCompare:
    INFO = RewriteInfo.of("RW-one-hot-compare-arange", "fx")
    targets = targets_of(INFO)

    def check(self, node: Any) -> str | None:
        classes = node.args[1] if len(node.args) > 1 else node.kwargs.get("num_classes", -1)
        if not isinstance(classes, int) or classes < 0:
            return ("num_classes is not a constant (it is inferred from the data), so the "
                    "width of the result depends on the index values")
        if dtype_of(node.args[0]) not in INTEGER:
            return f"the indices of {op_name(node)} are not an integer tensor"
        return None

    def replace(self, graph: Any, node: Any) -> tuple[str, ...]:
        indices, classes = node.args[0], node.args[1]
        device = getattr(val(indices), "device", torch.device("cpu"))
        with graph.inserting_before(node):
            column = call(graph, aten.unsqueeze.default, (indices, -1))
            classes_range = call(graph, aten.arange.default, (classes,),
                                 {"dtype": dtype_of(indices), "device": device})
            equal = call(graph, aten.eq.Tensor, (column, classes_range))
            as_int = call(graph, aten._to_copy.default, (equal,), {"dtype": torch.int64})
        node.replace_all_uses_with(as_int)
        graph.erase_node(node)
        return ("aten.unsqueeze", "aten.arange", "aten.eq", "aten._to_copy")


REWRITE = OneHotAsCompare()
