"""Integer ``topk`` runs in float: cast the input to float32, run topk, cast the values
back (exact while |x| < 2**24). Neuron rejects integer TopK (NCC_EVRF013)."""

from __future__ import annotations

import operator
from typing import Any

import torch

from trnport.analyzers.rewrites.base import RewriteInfo
from trnport.analyzers.rewrites.fx.base import (
    aten,
    call,
    dtype_of,
    integer_problem,
    set_val,
    targets_of,
)


class TopKIntegerToFloat:
    INFO = RewriteInfo.of("RW-topk-int-to-float", "fx")
    targets = targets_of(INFO)

    def check(self, node: Any) -> str | None:
        return integer_problem(node, [node.args[0]])

    def replace(self, graph: Any, node: Any) -> tuple[str, ...]:
        source = node.args[0]
        dtype = dtype_of(source)
        with graph.inserting_before(node):
            as_float = call(graph, aten._to_copy.default, (source,), {"dtype": torch.float32})
        node.update_arg(0, as_float)
        set_val(node)
        added = ["aten._to_copy", "aten.topk"]
        for user in list(node.users):
            if user.target is operator.getitem and user.args[1] == 0:
                set_val(user)
                with graph.inserting_after(user):
                    back = call(graph, aten._to_copy.default, (user,), {"dtype": dtype})
                user.replace_all_uses_with(back, delete_user_cb=lambda u, b=back: u is not b)
                added.append("aten._to_copy")
        return tuple(added)


REWRITE = TopKIntegerToFloat()
