"""Small ONNX models built with onnx.helper: the ONNX twins of the hazard fixtures."""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper


def _save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _model(nodes, inputs, outputs, initializers=(), name="hazard"):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def dynamic_input(path: Path) -> Path:
    """Relu on x[batch, seq, 8] with named symbolic dims."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", 8])
    return _save(_model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [x], [y]), path)


def static_input(path: Path) -> Path:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4, 8])
    return _save(_model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [x], [y]), path)


def _branch(name: str, op: str) -> onnx.GraphProto:
    out = helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, [4])
    node = helper.make_node(op, ["x"], [f"{name}_out"], name=f"{name}_node")
    return helper.make_graph([node], name, [], [out])


def if_on_data(path: Path) -> Path:
    """If whose condition is ReduceSum(x) > 0: decided by the input's values."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    nodes = [
        helper.make_node("ReduceSum", ["x"], ["total"], name="sum", keepdims=0),
        helper.make_node("Greater", ["total", "zero"], ["positive"], name="gt"),
        helper.make_node("If", ["positive"], ["y"], name="branch",
                         then_branch=_branch("then", "Relu"), else_branch=_branch("else", "Neg")),
    ]
    return _save(_model(nodes, [x], [y], [zero]), path)


def if_on_constant(path: Path) -> Path:
    """If whose condition is a Constant: fixed at compile time."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
    flag = helper.make_tensor("flag_value", TensorProto.BOOL, [], [True])
    nodes = [
        helper.make_node("Constant", [], ["flag"], name="flag", value=flag),
        helper.make_node("If", ["flag"], ["y"], name="branch",
                         then_branch=_branch("then", "Relu"), else_branch=_branch("else", "Neg")),
    ]
    return _save(_model(nodes, [x], [y]), path)


def loop(path: Path, *, data_trip_count: bool) -> Path:
    """Loop adding 1 to a carried tensor; the trip count is a constant or read from ``n``."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
    one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep"),
         helper.make_node("Add", ["acc_in", "one"], ["acc_out"], name="inc")],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [4])],
    )
    inputs = [x]
    initializers = [one, helper.make_tensor("go", TensorProto.BOOL, [], [True])]
    if data_trip_count:
        inputs.append(helper.make_tensor_value_info("n", TensorProto.INT64, []))
    else:
        initializers.append(helper.make_tensor("n", TensorProto.INT64, [], [3]))
    node = helper.make_node("Loop", ["n", "go", "x"], ["y"], name="repeat", body=body)
    return _save(_model([node], inputs, [y], initializers), path)


def mask_constant(path: Path, fill: float) -> Path:
    """Where(mask, fill, scores) with ``fill`` from a Constant node, then Softmax."""
    scores = helper.make_tensor_value_info("scores", TensorProto.FLOAT, [2, 4])
    mask = helper.make_tensor_value_info("mask", TensorProto.BOOL, [2, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])
    nodes = [
        helper.make_node("Constant", [], ["fill"], name="fill",
                         value=helper.make_tensor("fill_value", TensorProto.FLOAT, [], [fill])),
        helper.make_node("Where", ["mask", "fill", "scores"], ["masked"], name="where"),
        helper.make_node("Softmax", ["masked"], ["y"], name="softmax", axis=-1),
    ]
    return _save(_model(nodes, [scores, mask], [y]), path)


def deep_matmuls(path: Path, depth: int) -> Path:
    """``depth`` chained float32 MatMul + Tanh layers."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])
    y = helper.make_tensor_value_info(f"h{depth}", TensorProto.FLOAT, [2, 8])
    nodes, inits = [], []
    current = "x"
    for i in range(depth):
        inits.append(helper.make_tensor(f"w{i}", TensorProto.FLOAT, [8, 8], [0.1] * 64))
        nodes.append(helper.make_node("MatMul", [current, f"w{i}"], [f"m{i}"], name=f"mm{i}"))
        nodes.append(helper.make_node("Tanh", [f"m{i}"], [f"h{i + 1}"], name=f"tanh{i}"))
        current = f"h{i + 1}"
    return _save(_model(nodes, [x], [y], inits), path)


def token_embedding(path: Path) -> Path:
    """Gather from a [100, 16] table with ids[1, seq] (int64, symbolic sequence length):
    the ONNX twin of a text model whose sequence length changes between requests."""
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [1, "seq"])
    out = helper.make_tensor_value_info("hidden", TensorProto.FLOAT, [1, "seq", 16])
    table = helper.make_tensor("table", TensorProto.FLOAT, [100, 16], [0.0] * 1600)
    gather = helper.make_node("Gather", ["table", "ids"], ["hidden"], name="embed")
    return _save(_model([gather], [ids], [out], [table], name="tokens"), path)


def int16_codes(path: Path, elem_type: int = TensorProto.INT16) -> Path:
    """codes[4, 8] (int16 by default) cast to float: the ONNX twin of int16_codes.py."""
    codes = helper.make_tensor_value_info("codes", elem_type, [4, 8])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])
    cast = helper.make_node("Cast", ["codes"], ["y"], name="widen", to=TensorProto.FLOAT)
    return _save(_model([cast], [codes], [out], name="codes"), path)
