"""Small ONNX models with the patterns the rewrites match (and near misses)."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def model(nodes, inputs, outputs, initializers=(), opset=OPSET):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    made = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    made.ir_version = 8
    return made


def tensor(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def const(name, value):
    return numpy_helper.from_array(np.asarray(value), name)


def integer_topk(elem=TensorProto.INT32):
    return model(
        [helper.make_node("TopK", ["x", "k"], ["values", "indices"], name="topk", axis=-1)],
        [tensor("x", elem, [4, 6])],
        [tensor("values", elem, [4, 3]), tensor("indices", TensorProto.INT64, [4, 3])],
        [const("k", np.array([3], dtype=np.int64))],
    )


def integer_matmul(elem=TensorProto.INT32, op="MatMul"):
    return model(
        [helper.make_node(op, ["a", "b"], ["y"], name="mm")],
        [tensor("a", elem, [3, 4]), tensor("b", elem, [4, 5])],
        [tensor("y", elem, [3, 5])],
    )


def one_hot(axis=-1, depth_is_constant=True):
    inputs = [tensor("idx", TensorProto.INT64, [2, 5])]
    inits = [const("values", np.array([0.0, 1.0], dtype=np.float32))]
    if depth_is_constant:
        inits.append(const("depth", np.array(7, dtype=np.int64)))
    else:
        inputs.append(tensor("depth", TensorProto.INT64, []))
    shape = [2, 5, 7] if axis == -1 else [7, 2, 5]
    return model(
        [helper.make_node("OneHot", ["idx", "depth", "values"], ["y"], name="onehot", axis=axis)],
        inputs, [tensor("y", TensorProto.FLOAT, shape)], inits,
    )


def masked_softmax(fill=-np.inf, through_softmax=True):
    nodes = [helper.make_node("Where", ["mask", "scores", "fill"], ["masked"], name="where")]
    if through_softmax:
        nodes.append(helper.make_node("Softmax", ["masked"], ["y"], name="softmax", axis=-1))
    else:
        nodes.append(helper.make_node("Relu", ["masked"], ["y"], name="relu"))
    return model(
        nodes,
        [tensor("mask", TensorProto.BOOL, [2, 4, 4]),
         tensor("scores", TensorProto.FLOAT, [2, 4, 4])],
        [tensor("y", TensorProto.FLOAT, [2, 4, 4])],
        [const("fill", np.array(fill, dtype=np.float32))],
    )


def causal_softmax():
    """scores + causal mask constant (0 on and below the diagonal, finfo.min above)."""
    mask = np.triu(np.full((4, 4), np.finfo(np.float32).min, dtype=np.float32), k=1)
    return model(
        [helper.make_node("Add", ["scores", "mask"], ["masked"], name="add_mask"),
         helper.make_node("Softmax", ["masked"], ["y"], name="softmax", axis=-1)],
        [tensor("scores", TensorProto.FLOAT, [2, 4, 4])],
        [tensor("y", TensorProto.FLOAT, [2, 4, 4])],
        [const("mask", mask)],
    )


def masked_reduce(reduce="ReduceSum", keepdims=0, then=None):
    nodes = [
        helper.make_node("NonZero", ["mask"], ["nz"], name="nonzero"),
        helper.make_node("Transpose", ["nz"], ["idx"], name="transpose", perm=[1, 0]),
        helper.make_node("GatherND", ["x", "idx"], ["picked"], name="gather"),
    ]
    out_shape = [1] if keepdims else []
    if then is not None:
        nodes.append(helper.make_node(then, ["picked"], ["y"], name="after"))
        out_shape = ["n"]
    else:
        nodes.append(helper.make_node(reduce, ["picked"], ["y"], name="reduce",
                                      keepdims=keepdims))
    return model(
        nodes,
        [tensor("mask", TensorProto.BOOL, [3, 4]), tensor("x", TensorProto.FLOAT, [3, 4])],
        [tensor("y", TensorProto.FLOAT, out_shape)],
    )
