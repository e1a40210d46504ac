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


def mask_constant(path: Path, fill: float, *, second_mask: bool = False) -> Path:
    """Where(mask, fill, scores) with ``fill`` from a Constant node, then Softmax; with
    ``second_mask`` a second mask built from the same constant is added before the Softmax
    (causal plus padding)."""
    scores = helper.make_tensor_value_info("scores", TensorProto.FLOAT, [2, 4])
    mask = helper.make_tensor_value_info("mask", TensorProto.BOOL, [2, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])
    nodes = [
        helper.make_node("Constant", [], ["fill"], name="fill",
                         value=helper.make_tensor("fill_value", TensorProto.FLOAT, [], [fill])),
        helper.make_node("Where", ["mask", "fill", "scores"], ["masked"], name="where"),
    ]
    if second_mask:
        nodes += [
            helper.make_node("Not", ["mask"], ["inverse"], name="inverse"),
            helper.make_node("Where", ["inverse", "fill", "masked"], ["both"], name="where2"),
            helper.make_node("Add", ["masked", "both"], ["summed"], name="add_masks"),
            helper.make_node("Softmax", ["summed"], ["y"], name="softmax", axis=-1),
        ]
    else:
        nodes.append(helper.make_node("Softmax", ["masked"], ["y"], name="softmax", axis=-1))
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


def hashed_ids(path: Path) -> Path:
    """ids[1, seq] index a [4096, 4] table and are also hashed (ids * 1000003 mod 64) into a
    second one: the product passes 2**31 for ids above 2147, though every id is in range."""
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [1, "seq"])
    out = helper.make_tensor_value_info("hidden", TensorProto.FLOAT, [1, "seq", 4])
    table = helper.make_tensor("table", TensorProto.FLOAT, [4096, 4], [0.0] * 16384)
    buckets = helper.make_tensor("buckets", TensorProto.FLOAT, [64, 4], [0.0] * 256)
    prime = helper.make_tensor("prime", TensorProto.INT64, [], [1000003])
    size = helper.make_tensor("size", TensorProto.INT64, [], [64])
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["token"], name="embed"),
        helper.make_node("Mul", ["ids", "prime"], ["hashed"], name="hash"),
        helper.make_node("Mod", ["hashed", "size"], ["bucket"], name="bucket"),
        helper.make_node("Gather", ["buckets", "bucket"], ["feature"], name="embed_bucket"),
        helper.make_node("Add", ["token", "feature"], ["hidden"], name="sum"),
    ]
    return _save(_model(nodes, [ids], [out], [table, buckets, prime, size], name="hashed"), path)


def shape_arithmetic(path: Path) -> Path:
    """x[batch, seq, 8] reshaped to [batch * seq * 1000003 / 1000003, 8] through Shape,
    Gather, Mul, Div and Concat: int64 products far beyond 2**31 that are only a shape."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["rows", 8])
    consts = [helper.make_tensor(name, TensorProto.INT64, [1], [value]) for name, value in
              (("zero", 0), ("one", 1), ("big", 1000003), ("eight", 8))]
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], name="batch", axis=0),
        helper.make_node("Gather", ["shape", "one"], ["seq"], name="seq", axis=0),
        helper.make_node("Mul", ["batch", "seq"], ["rows"], name="rows"),
        helper.make_node("Mul", ["rows", "big"], ["scaled"], name="scaled"),
        helper.make_node("Div", ["scaled", "big"], ["back"], name="back"),
        helper.make_node("Concat", ["back", "eight"], ["target"], name="target", axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"], name="reshape"),
    ]
    return _save(_model(nodes, [x], [y], consts, name="shapes"), path)


def int16_codes(path: Path, elem_type: int = TensorProto.INT16) -> Path:
    """codes[4, 8] (int16 by default) cast to float: the ONNX twin of int16_codes.py."""
    codes = helper.make_tensor_value_info("codes", elem_type, [4, 8])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])
    cast = helper.make_node("Cast", ["codes"], ["y"], name="widen", to=TensorProto.FLOAT)
    return _save(_model([cast], [codes], [out], name="codes"), path)
