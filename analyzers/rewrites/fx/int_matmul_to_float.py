"""Integer ``matmul``/``mm``/``bmm`` run in float32 and cast the product back (exact while
every partial sum stays below 2**24). Neuron has no integer matmul datapath (NCC_EVRF035)."""

from __future__ import annotations

from typing import Any

import torch

from trnport.analyzers.rewrites.base import RewriteInfo
from trnport.analyzers.rewrites.fx.base import (
    aten,
    call,
    dtype_of,
    integer_problem,
    op_name,
    set_val,
    targets_of,
)


class IntegerMatMulToFloat:
    INFO = RewriteInfo.of("RW-int-matmul-to-float", "fx")
    targets = targets_of(INFO)

    def check(self, node: Any) -> str | None:
        inputs = list(node.args[:2])
        problem = integer_problem(node, inputs)
        if problem:
            return problem
        if len({dtype_of(arg) for arg in inputs}) != 1:
            return f"the inputs of {op_name(node)} have different integer types"
        return None

    def replace(self, graph: Any, node: Any) -> tuple[str, ...]:
        dtype = dtype_of(node.args[0])
        with graph.inserting_before(node):
            for index in (0, 1):
                cast = call(graph, aten._to_copy.default, (node.args[index],),
                            {"dtype": torch.float32})
                node.update_arg(index, cast)
        set_val(node)
        with graph.inserting_after(node):
            back = call(graph, aten._to_copy.default, (node,), {"dtype": dtype})
        node.replace_all_uses_with(back, delete_user_cb=lambda u: u is not back)
        return ("aten._to_copy", "aten._to_copy", op_name(node), "aten._to_copy")


REWRITE = IntegerMatMulToFloat()
