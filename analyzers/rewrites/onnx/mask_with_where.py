"""Boolean-mask gather followed by a full reduction as a fixed-shape ``where``.

``x[mask].sum()`` exports as NonZero → Transpose → GatherND → ReduceSum: the gathered
tensor's length depends on the data (NonZero is unsupported, NCC_EMOD025), but the reduced
result does not. ``where(mask, x, 0).sum()`` computes the same value with static shapes —
AWS's suggested workaround for data-dependent shapes (aws-neuron-sdk issue #698).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import helper, numpy_helper

from trnport.analyzers.rewrites.base import RewriteInfo
from trnport.analyzers.rewrites.onnx.base import Replacement
from trnport.analyzers.rewrites.onnx.context import FLOAT_TYPES, GraphContext

_REDUCTIONS = ("ReduceSum", "ReduceMean")


class MaskedReduceAsWhere:
    INFO = RewriteInfo.of("RW-mask-with-where", "onnx")

    def check(self, context: GraphContext, node: Any) -> str | None:
        chain = _chain(context, node)
        return chain if isinstance(chain, str) else None

    def replace(self, context: GraphContext, node: Any) -> Replacement:
        transpose, gather, reduce = _chain(context, node)
        mask, data = node.input[0], gather.input[0]
        elem = context.elem_type(data)
        dtype = helper.tensor_dtype_to_np_dtype(elem)
        stem = reduce.name
        zero = numpy_helper.from_array(np.zeros((), dtype=dtype), context.fresh(f"{stem}_zero"))
        filled = context.fresh(f"{stem}_filled")
        nodes = [helper.make_node("Where", [mask, data, zero.name], [filled],
                                  name=context.fresh(f"{stem}_where"))]
        total = context.fresh(f"{stem}_sum")
        nodes.append(helper.make_node("ReduceSum", [filled], [total],
                                      name=context.fresh(f"{stem}_reduce"), keepdims=0))
        inits = [zero]
        if reduce.op_type == "ReduceMean":
            ones = context.fresh(f"{stem}_count_items")
            count = context.fresh(f"{stem}_count")
            nodes.append(helper.make_node("Cast", [mask], [ones],
                                          name=context.fresh(f"{stem}_cast"), to=elem))
            nodes.append(helper.make_node("ReduceSum", [ones], [count],
                                          name=context.fresh(f"{stem}_count"), keepdims=0))
            mean = context.fresh(f"{stem}_mean")
            nodes.append(helper.make_node("Div", [total, count], [mean],
                                          name=context.fresh(f"{stem}_div")))
            total = mean
        if _attr(reduce, "keepdims", 1):
            shape = numpy_helper.from_array(np.array([1], dtype=np.int64),
                                            context.fresh(f"{stem}_shape"))
            inits.append(shape)
            nodes.append(helper.make_node("Reshape", [total, shape.name], [reduce.output[0]],
                                          name=context.fresh(f"{stem}_reshape")))
        else:
            nodes.append(helper.make_node("Identity", [total], [reduce.output[0]],
                                          name=context.fresh(f"{stem}_out")))
        return Replacement(remove=(node.name, transpose.name, gather.name, reduce.name),
                           nodes=tuple(nodes), initializers=tuple(inits))


def _sole_consumer(context: GraphContext, name: str, owner: str) -> Any | str:
    if name in context.outputs:
        return f"the output of {owner} is a graph output, so its data-dependent shape is visible"
    users = context.consumers.get(name, [])
    if len(users) != 1:
        return f"the output of {owner} has {len(users)} users; the rewrite needs exactly one"
    return users[0]


def _chain(context: GraphContext, nonzero: Any) -> tuple[Any, Any, Any] | str:
    """(Transpose, GatherND, reduction) after ``nonzero``, or why the pattern does not hold."""
    transpose = _sole_consumer(context, nonzero.output[0], "NonZero")
    if isinstance(transpose, str):
        return transpose
    if transpose.op_type != "Transpose" or list(_attr(transpose, "perm", [1, 0])) != [1, 0]:
        return f"NonZero feeds {transpose.op_type}, not the Transpose of a boolean-mask gather"
    gather = _sole_consumer(context, transpose.output[0], "Transpose")
    if isinstance(gather, str):
        return gather
    if gather.op_type != "GatherND" or gather.input[1] != transpose.output[0] or \
            _attr(gather, "batch_dims", 0) != 0:
        return f"the mask indices feed {gather.op_type}, not GatherND with batch_dims 0"
    mask_rank, data_rank = context.rank(nonzero.input[0]), context.rank(gather.input[0])
    if mask_rank is None or mask_rank != data_rank:
        return (f"the mask has rank {mask_rank} and the data rank {data_rank}; "
                "the rewrite needs a mask of the data's full shape")
    reduce = _sole_consumer(context, gather.output[0], "GatherND")
    if isinstance(reduce, str):
        return reduce
    if reduce.op_type not in _REDUCTIONS:
        return (f"the gathered values feed {reduce.op_type} '{reduce.name}', not a full "
                "ReduceSum/ReduceMean, so their data-dependent shape is observable")
    if not _reduces_everything(context, reduce):
        return f"{reduce.op_type} '{reduce.name}' does not reduce over every axis"
    elem = context.elem_type(gather.input[0])
    if elem is None or (reduce.op_type == "ReduceMean" and elem not in FLOAT_TYPES):
        return f"the element type of '{gather.input[0]}' is unknown or not float"
    return transpose, gather, reduce


def _reduces_everything(context: GraphContext, reduce: Any) -> bool:
    axes = _attr(reduce, "axes", None)
    if len(reduce.input) > 1 and reduce.input[1]:
        axes = context.constant(reduce.input[1])
        if axes is None:
            return False
        axes = axes.reshape(-1).tolist()
    if not axes:
        return not _attr(reduce, "noop_with_empty_axes", 0)
    return list(axes) in ([0], [-1])


def _attr(node: Any, name: str, default: Any) -> Any:
    for attr in node.attribute:
        if attr.name == name:
            return helper.get_attribute_value(attr)
    return default


REWRITE = MaskedReduceAsWhere()
