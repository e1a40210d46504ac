"""Integer MatMul, Gemm and Einsum run in float: cast the inputs to float32, run the op,
cast the product back.

Neuron has no integer matmul datapath (NCC_EVRF035); float32 holds every integer below
2**24 exactly, so the outputs stay identical while every partial sum does (the verification
on random inputs checks it).
"""

from __future__ import annotations

from typing import Any

from onnx import TensorProto, helper

from trnport.analyzers.rewrites.base import RewriteInfo
from trnport.analyzers.rewrites.onnx.base import Replacement, cast, integer_problem
from trnport.analyzers.rewrites.onnx.context import GraphContext


class IntegerMatMulToFloat:
    INFO = RewriteInfo.of("RW-int-matmul-to-float", "onnx")

    def check(self, context: GraphContext, node: Any) -> str | None:
        inputs = [name for name in node.input if name]
        problem = integer_problem(context, node, inputs)
        if problem:
            return problem
        if len({context.elem_type(name) for name in inputs}) != 1:
            return f"the inputs of {node.op_type} have different integer types"
        return None

    def replace(self, context: GraphContext, node: Any) -> Replacement:
        elem = context.elem_type(node.input[0])
        casts, float_inputs = [], []
        for name in node.input:
            if not name:
                float_inputs.append("")
                continue
            cast_node, out = cast(context, name, TensorProto.FLOAT, name)
            casts.append(cast_node)
            float_inputs.append(out)
        product = context.fresh(f"{node.output[0]}_float")
        op = helper.make_node(node.op_type, float_inputs, [product],
                              name=node.name)
        op.attribute.extend(node.attribute)
        back = helper.make_node("Cast", [product], [node.output[0]],
                                name=context.fresh(f"{node.name or node.op_type}_out"), to=elem)
        return Replacement(remove=(node.name,), nodes=(*casts, op, back))


REWRITE = IntegerMatMulToFloat()
