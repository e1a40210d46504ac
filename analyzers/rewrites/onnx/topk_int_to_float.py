"""Integer TopK runs in float: cast the input to float32, run TopK, cast the values back.

Neuron rejects integer TopK (NCC_EVRF013); float32 holds every integer below 2**24 exactly,
so the outputs stay identical for such values (the verification on random inputs checks it).
"""

from __future__ import annotations

from typing import Any

from onnx import TensorProto, helper

from trnport.analyzers.rewrites.base import RewriteInfo
from trnport.analyzers.rewrites.onnx.base import Replacement, cast, integer_problem
from trnport.analyzers.rewrites.onnx.context import GraphContext


class TopKIntegerToFloat:
    INFO = RewriteInfo.of("RW-topk-int-to-float", "onnx")

    def check(self, context: GraphContext, node: Any) -> str | None:
        return integer_problem(context, node, [node.input[0]])

    def replace(self, context: GraphContext, node: Any) -> Replacement:
        elem = context.elem_type(node.input[0])
        cast_in, x_float = cast(context, node.input[0], TensorProto.FLOAT, node.input[0])
        values_float = context.fresh(f"{node.output[0]}_float")
        outputs = [values_float, *node.output[1:]]
        topk = helper.make_node("TopK", [x_float, *node.input[1:]], outputs,
                                name=node.name)
        topk.attribute.extend(node.attribute)
        cast_out = helper.make_node("Cast", [values_float], [node.output[0]],
                                    name=context.fresh(f"{node.name or 'TopK'}_values"), to=elem)
        return Replacement(remove=(node.name,), nodes=(cast_in, topk, cast_out))


REWRITE = TopKIntegerToFloat()
