"""Integer TopK and integer matmuls run in float: cast in, run the op, cast out.

Neuron rejects integer TopK (NCC_EVRF013) and has no integer matmul datapath (EVRF035);
float32 holds every integer below 2**24 exactly, so the outputs stay identical for such
values (the verification on random inputs checks it).
"""

from __future__ import annotations

from typing import Any

from onnx import TensorProto, helper

from trnport.analyzers.rewrites.base import Replacement, RewriteInfo
from trnport.analyzers.rewrites.context import INTEGER_TYPES, GraphContext, type_name


def _integer_problem(context: GraphContext, node: Any, names: list[str]) -> str | None:
    for name in names:
        elem = context.elem_type(name)
        if elem is None:
            return f"the element type of input '{name}' of {node.op_type} is unknown"
        if elem not in INTEGER_TYPES:
            return f"input '{name}' of {node.op_type} is {type_name(elem)}, not an integer tensor"
    return None


def _cast(context: GraphContext, source: str, to: int, stem: str) -> tuple[Any, str]:
    out = context.fresh(stem)
    return helper.make_node("Cast", [source], [out], name=context.fresh(f"{stem}_cast"),
                            to=to), out


class TopKIntegerToFloat:
    INFO = RewriteInfo.of(
        "RW-topk-int-to-float",
        "Cast the integer input of TopK to float32, run TopK, cast the values back",
        notes=("exact while |x| < 2**24",),
    )

    def check(self, context: GraphContext, node: Any) -> str | None:
        return _integer_problem(context, node, [node.input[0]])

    def replace(self, context: GraphContext, node: Any) -> Replacement:
        elem = context.elem_type(node.input[0])
        cast_in, x_float = _cast(context, node.input[0], TensorProto.FLOAT, node.input[0])
        values_float = context.fresh(f"{node.output[0]}_float")
        outputs = [values_float, *node.output[1:]]
        topk = helper.make_node("TopK", [x_float, *node.input[1:]], outputs,
                                name=node.name)
        topk.attribute.extend(node.attribute)
        cast_out = helper.make_node("Cast", [values_float], [node.output[0]],
                                    name=context.fresh(f"{node.name or 'TopK'}_values"), to=elem)
        return Replacement(remove=(node.name,), nodes=(cast_in, topk, cast_out))


class IntegerMatMulToFloat:
    INFO = RewriteInfo.of(
        "RW-int-matmul-to-float",
        "Run integer MatMul/Gemm/Einsum in float32 and cast the product back",
        notes=("exact while every partial sum stays below 2**24",),
    )

    def check(self, context: GraphContext, node: Any) -> str | None:
        inputs = [name for name in node.input if name]
        problem = _integer_problem(context, node, inputs)
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
            cast, out = _cast(context, name, TensorProto.FLOAT, name)
            casts.append(cast)
            float_inputs.append(out)
        product = context.fresh(f"{node.output[0]}_float")
        op = helper.make_node(node.op_type, float_inputs, [product],
                              name=node.name)
        op.attribute.extend(node.attribute)
        back = helper.make_node("Cast", [product], [node.output[0]],
                                name=context.fresh(f"{node.name or node.op_type}_out"), to=elem)
        return Replacement(remove=(node.name,), nodes=(*casts, op, back))
