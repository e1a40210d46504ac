"""OneHot as a comparison with a constant range: ``where(indices[..., None] == arange(depth),
on, off)``. onnx2torch has no OneHot converter; Equal, Where and constants all convert."""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from trnport.analyzers.rewrites.base import RewriteInfo
from trnport.analyzers.rewrites.onnx.base import Replacement
from trnport.analyzers.rewrites.onnx.context import GraphContext


class OneHotAsCompare:
    INFO = RewriteInfo.of("RW-one-hot-compare-arange", "onnx")

    def check(self, context: GraphContext, node: Any) -> str | None:
        depth = context.constant(node.input[1])
        if depth is None:
            return f"depth '{node.input[1]}' of OneHot is not a constant"
        if depth.size != 1 or int(depth.reshape(-1)[0]) <= 0:
            return f"depth of OneHot must be one positive number, not {depth.tolist()}"
        axis = _axis(node)
        if axis != -1 and context.rank(node.input[0]) is None:
            return f"axis is {axis} and the rank of indices '{node.input[0]}' is unknown"
        return None

    def replace(self, context: GraphContext, node: Any) -> Replacement:
        depth = int(context.constant(node.input[1]).reshape(-1)[0])
        axis = _axis(node)
        if axis < 0:
            trailing = -axis - 1
        else:
            trailing = context.rank(node.input[0]) - axis
        stem = node.name
        grid = numpy_helper.from_array(
            np.arange(depth, dtype=np.int32).reshape([depth] + [1] * trailing),
            context.fresh(f"{stem}_range"))
        axes = numpy_helper.from_array(np.array([axis], dtype=np.int64),
                                       context.fresh(f"{stem}_axes"))
        depth_value = numpy_helper.from_array(np.array(depth, dtype=np.int32),
                                              context.fresh(f"{stem}_depth"))
        zero = numpy_helper.from_array(np.array(0, dtype=np.int32), context.fresh(f"{stem}_zero"))
        nodes = []

        def add(op: str, inputs: list[str], **attrs) -> str:
            out = context.fresh(f"{stem}_{op.lower()}")
            nodes.append(helper.make_node(op, inputs, [out], name=context.fresh(f"{stem}_{op}"),
                                          **attrs))
            return out

        # int32 indices: int64 would be narrowed on the device anyway (TRN202)
        index = add("Cast", [node.input[0]], to=TensorProto.INT32)
        negative = add("Less", [index, zero.name])
        wrapped = add("Add", [index, depth_value.name])
        index = add("Where", [negative, wrapped, index])
        if context.opset >= 13:
            index = add("Unsqueeze", [index, axes.name])
        else:
            index = add("Unsqueeze", [index], axes=[axis])
        hit = add("Equal", [index, grid.name])
        off = add("Gather", [node.input[2], zero.name], axis=0)
        one = numpy_helper.from_array(np.array(1, dtype=np.int32), context.fresh(f"{stem}_one"))
        on = add("Gather", [node.input[2], one.name], axis=0)
        nodes.append(helper.make_node("Where", [hit, on, off], [node.output[0]],
                                      name=context.fresh(f"{stem}_select")))
        return Replacement(remove=(node.name,), nodes=tuple(nodes),
                           initializers=(grid, axes, depth_value, zero, one))


def _axis(node: Any) -> int:
    for attr in node.attribute:
        if attr.name == "axis":
            return int(attr.i)
    return -1


REWRITE = OneHotAsCompare()
