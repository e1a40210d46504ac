"""Small ONNX models built with ``onnx.helper`` for the loader tests (and the benchmark).

Every builder returns a ``ModelProto``; :func:`save` writes it to a real file. Nothing here
checks the models with ``onnx.checker``: several builders make deliberately broken graphs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 20


def _model(graph: onnx.GraphProto, opset: int = OPSET, **kwargs) -> onnx.ModelProto:
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="trnport-tests",
        **kwargs,
    )
    return model


def save(model: onnx.ModelProto, path: Path) -> Path:
    """Write ``model`` to ``path`` as a binary protobuf and return the path."""
    path.write_bytes(model.SerializeToString())
    return path


def _weight(name: str, shape: tuple[int, ...], seed: int = 0, dtype=np.float32) -> TensorProto:
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(rng.standard_normal(shape).astype(dtype), name)


def mlp_model(batch: str | int = "batch") -> onnx.ModelProto:
    """x[batch, 8] → MatMul → Add → Relu → MatMul → Softmax; inner shapes left to inference."""
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
            helper.make_node("Add", ["h", "b1"], ["hb"], name="fc1_bias"),
            helper.make_node("Relu", ["hb"], ["r"]),  # unnamed: the loader names it
            helper.make_node("MatMul", ["r", "w2"], ["logits"], name="fc2"),
            helper.make_node("Softmax", ["logits"], ["y"], name="softmax", axis=-1),
        ],
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[_weight("w1", (8, 16), 1), _weight("b1", (16,), 2),
                     _weight("w2", (16, 4), 3)],
    )
    return _model(graph)


def dtype_zoo_model() -> onnx.ModelProto:
    """Inputs of several element types, one dim neither static nor named, and Cast nodes."""
    kinds = {
        "f16": TensorProto.FLOAT16, "bf16": TensorProto.BFLOAT16, "f64": TensorProto.DOUBLE,
        "i64": TensorProto.INT64, "flag": TensorProto.BOOL, "c64": TensorProto.COMPLEX64,
        "f8": TensorProto.FLOAT8E4M3FN,
    }
    inputs = [helper.make_tensor_value_info(name, kind, [2, 3]) for name, kind in kinds.items()]
    unnamed_dim = helper.make_tensor_value_info("anon", TensorProto.FLOAT, [None, 3])
    inputs.append(unnamed_dim)
    nodes = [helper.make_node("Cast", [name], [f"{name}_f32"], to=TensorProto.FLOAT)
             for name in kinds]
    nodes.append(helper.make_node("Identity", ["anon"], ["anon_out"]))
    outputs = [helper.make_tensor_value_info(f"{name}_f32", TensorProto.FLOAT, None)
               for name in kinds]
    outputs.append(helper.make_tensor_value_info("anon_out", TensorProto.FLOAT, None))
    return _model(helper.make_graph(nodes, "dtypes", inputs, outputs))


def attribute_model() -> onnx.ModelProto:
    """Nodes carrying every common attribute kind, a custom-domain node and a Constant."""
    small = numpy_helper.from_array(np.array([1.5, -2.0, 3.25], dtype=np.float32), "small")
    large = numpy_helper.from_array(np.zeros((4, 8), dtype=np.float16), "large")
    nodes = [
        helper.make_node("Constant", [], ["c_small"], name="const_small", value=small),
        helper.make_node("Constant", [], ["c_large"], name="const_large", value=large),
        helper.make_node("Transpose", ["x"], ["t"], name="transpose", perm=[1, 0]),
        helper.make_node("LeakyRelu", ["t"], ["lr"], name="leaky", alpha=0.25),
        helper.make_node("Gelu", ["lr"], ["g"], name="gelu", approximate="tanh"),
        helper.make_node("Split", ["g"], ["s0", "s1"], name="split", axis=0, num_outputs=2),
        helper.make_node("FusedThing", ["s0", "s1"], ["y"], name="custom",
                         domain="com.example", tags=["a", "b"], scales=[0.5, 2.0], eps=1e-5),
        helper.make_node("Constant", [], ["mask"], name="const_mask",
                         value=numpy_helper.from_array(np.array([-65504.0], np.float16))),
    ]
    graph = helper.make_graph(
        nodes, "attrs",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("c_small", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("c_large", TensorProto.FLOAT16, None),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT16, None)],
    )
    return helper.make_model(
        graph, producer_name="trnport-tests", producer_version="0.1",
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.example", 1)],
    )


def control_flow_model() -> onnx.ModelProto:
    """An If whose branches hold nodes (one branch holds a nested Loop) and a top-level Loop.

    Subgraphs read outer-scope values (``x`` and ``scale``) as ONNX allows.
    """
    then_graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "scale"], ["then_out"], name="then_mul"),
         helper.make_node("Relu", ["then_out"], ["then_relu"], name="then_relu")],
        "then_branch", [], [helper.make_tensor_value_info("then_relu", TensorProto.FLOAT, None)],
    )
    inner_body = _loop_body("inner", "x")
    else_graph = helper.make_graph(
        [helper.make_node("Loop", ["trip", ""], ["else_out"], name="else_loop",
                          body=inner_body)],
        "else_branch", [], [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, None)],
    )
    loop_body = _loop_body("outer", "scale")
    nodes = [
        helper.make_node("ReduceSum", ["x"], ["total"], name="sum", keepdims=0),
        helper.make_node("Greater", ["total", "zero"], ["positive"], name="is_positive"),
        helper.make_node("If", ["positive"], ["branch_out"], name="branch",
                         then_branch=then_graph, else_branch=else_graph),
        helper.make_node("Loop", ["trip", ""], ["scan_out"], name="loop", body=loop_body),
    ]
    graph = helper.make_graph(
        nodes, "control_flow",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])],
        [helper.make_tensor_value_info("branch_out", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("scan_out", TensorProto.FLOAT, None)],
        initializer=[
            numpy_helper.from_array(np.array(2.0, dtype=np.float32), "scale"),
            numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
            numpy_helper.from_array(np.array(3, dtype=np.int64), "trip"),
        ],
    )
    return _model(graph)


def _loop_body(prefix: str, outer_value: str) -> onnx.GraphProto:
    """A Loop body: (iter, cond) → (cond, scan output = outer_value * 2 + 1)."""
    return helper.make_graph(
        [
            helper.make_node("Identity", [f"{prefix}_cond_in"], [f"{prefix}_cond_out"]),
            helper.make_node("Add", [outer_value, outer_value], [f"{prefix}_twice"]),
            helper.make_node("Neg", [f"{prefix}_twice"], [f"{prefix}_scan"]),
        ],
        f"{prefix}_body",
        [helper.make_tensor_value_info(f"{prefix}_iter", TensorProto.INT64, []),
         helper.make_tensor_value_info(f"{prefix}_cond_in", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info(f"{prefix}_cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info(f"{prefix}_scan", TensorProto.FLOAT, None)],
    )


def old_ir_model() -> onnx.ModelProto:
    """IR version 3 style: initializers are also listed as graph inputs."""
    model = mlp_model(batch=2)
    graph = model.graph
    for init in list(graph.initializer):
        graph.input.append(helper.make_tensor_value_info(init.name, init.data_type, init.dims))
    model.ir_version = 3
    del model.opset_import[:]
    model.opset_import.append(helper.make_opsetid("", 9))
    return model


def inconsistent_types_model() -> onnx.ModelProto:
    """``x`` is declared a float input but is also an int64 initializer: ONNX shape
    inference raises on it, although every node is well formed."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"], name="relu"),
         helper.make_node("Neg", ["r"], ["y"], name="neg")],
        "inconsistent",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[helper.make_tensor("x", TensorProto.INT64, [2], [1, 2])],
    )
    return _model(graph)


def cyclic_model() -> onnx.ModelProto:
    """a = Add(x, c); b = Relu(a); c = Neg(b): c feeds back into the first node."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "c"], ["a"], name="add"),
         helper.make_node("Relu", ["a"], ["b"], name="relu"),
         helper.make_node("Neg", ["b"], ["c"], name="neg")],
        "cycle",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [2])],
    )
    return _model(graph)


def unsorted_model() -> onnx.ModelProto:
    """A valid DAG whose nodes are listed out of topological order."""
    graph = helper.make_graph(
        [helper.make_node("Neg", ["a"], ["y"], name="second"),
         helper.make_node("Relu", ["x"], ["a"], name="first")],
        "unsorted",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    return _model(graph)


def dangling_input_model() -> onnx.ModelProto:
    """A node reads ``ghost``, which nothing produces."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "ghost"], ["y"], name="add")],
        "dangling",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    return _model(graph)


def duplicate_output_model() -> onnx.ModelProto:
    """Two nodes both write ``y``."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="first"),
         helper.make_node("Neg", ["x"], ["y"], name="second")],
        "duplicate",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    return _model(graph)


def absurd_dim_model(dims: list[int]) -> onnx.ModelProto:
    """A graph input declared with ``dims`` (e.g. a negative dim or 2**41 elements)."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        "absurd",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    return _model(graph)


def absurd_initializer_model() -> onnx.ModelProto:
    """An initializer whose declared dims (not data) claim 2**42 elements."""
    weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**21, 2**21])
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
        "absurd_init",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2**21])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[weight],
    )
    return _model(graph)


def empty_graph_model() -> onnx.ModelProto:
    """A syntactically valid model whose graph has no nodes."""
    graph = helper.make_graph(
        [], "empty", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
    )
    return _model(graph)


def weights_model(hidden: int = 64) -> onnx.ModelProto:
    """Three dense layers with float32 and float16 weights, big enough to move to external data."""
    nodes, inits = [], []
    previous = "x"
    for index in range(3):
        dtype = np.float16 if index == 1 else np.float32
        weight = f"layer{index}.weight"
        inits.append(_weight(weight, (hidden, hidden), index, dtype))
        cast_in = previous
        if dtype == np.float16:
            nodes.append(helper.make_node("Cast", [previous], [f"h{index}_in"],
                                          to=TensorProto.FLOAT16))
            cast_in = f"h{index}_in"
        nodes.append(helper.make_node("MatMul", [cast_in, weight], [f"h{index}_mm"]))
        out = f"h{index}"
        if dtype == np.float16:
            nodes.append(helper.make_node("Cast", [f"h{index}_mm"], [out], to=TensorProto.FLOAT))
        else:
            nodes.append(helper.make_node("Relu", [f"h{index}_mm"], [out]))
        previous = out
    graph = helper.make_graph(
        nodes, "weights",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", hidden])],
        [helper.make_tensor_value_info(previous, TensorProto.FLOAT, None)],
        initializer=inits,
    )
    return _model(graph)


def save_with_external_data(model: onnx.ModelProto, path: Path,
                            location: str = "w.bin") -> Path:
    """Save ``model`` with every tensor in one external file ``location`` next to ``path``."""
    onnx.save_model(model, str(path), save_as_external_data=True,
                    all_tensors_to_one_file=True, location=location, size_threshold=0)
    return path


def set_external_location(path: Path, location: str) -> None:
    """Rewrite the ``location`` entry of every external tensor in the saved model at ``path``."""
    model = onnx.load(str(path), load_external_data=False)
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = location
    save(model, path)


def huge_external_model(path: Path, total_bytes: int, location: str = "huge.bin") -> Path:
    """A model whose float16 initializers claim ``total_bytes`` in a sparse external file.

    The weights file is created with ``truncate`` so it takes no disk space; the model is
    a chain of MatMuls over 256 MiB weight matrices (8192 × 16384 float16).
    """
    rows, cols = 8192, 16384
    chunk = rows * cols * 2
    count = max(1, total_bytes // chunk)
    nodes, inits = [], []
    previous = "x"
    for index in range(count):
        name = f"block{index}.weight"
        tensor = TensorProto(name=name, data_type=TensorProto.FLOAT16, dims=[rows, cols])
        tensor.data_location = TensorProto.EXTERNAL
        for key, value in (("location", location), ("offset", str(index * chunk)),
                           ("length", str(chunk))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        inits.append(tensor)
        # alternate widths so the chain type-checks: [b, rows] @ [rows, cols] then slice back
        nodes.append(helper.make_node("MatMul", [previous, name], [f"mm{index}"]))
        nodes.append(helper.make_node("Slice", [f"mm{index}", "starts", "ends", "axes"],
                                      [f"s{index}"]))
        previous = f"s{index}"
    inits += [numpy_helper.from_array(np.array([0], dtype=np.int64), "starts"),
              numpy_helper.from_array(np.array([rows], dtype=np.int64), "ends"),
              numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")]
    graph = helper.make_graph(
        nodes, "huge",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT16, ["batch", rows])],
        [helper.make_tensor_value_info(previous, TensorProto.FLOAT16, None)],
        initializer=inits,
    )
    save(_model(graph), path)
    with open(path.parent / location, "wb") as weights:
        weights.truncate(count * chunk)
    return path


def many_nodes_model(blocks: int) -> onnx.ModelProto:
    """A transformer-like stack: each block has 20 nodes with attributes, shape constants and
    small weights, so ``blocks=1000`` gives 20,000 nodes. The batch dim is symbolic."""
    hidden, heads = 16, 2
    head_dim = hidden // heads
    inits = [
        numpy_helper.from_array(np.array([0, 0, heads, head_dim], dtype=np.int64), "split_shape"),
        numpy_helper.from_array(np.array([0, 0, hidden], dtype=np.int64), "merge_shape"),
        numpy_helper.from_array(np.array(head_dim ** -0.5, dtype=np.float32), "scale"),
        numpy_helper.from_array(np.ones(hidden, dtype=np.float32), "ln_scale"),
        numpy_helper.from_array(np.zeros(hidden, dtype=np.float32), "ln_bias"),
    ]
    nodes = []
    previous = "x"
    for block in range(blocks):
        p = f"b{block}."
        for proj in ("q", "k", "v", "o"):
            inits.append(_weight(p + proj, (hidden, hidden), block))
        nodes += [
            helper.make_node("LayerNormalization", [previous, "ln_scale", "ln_bias"],
                             [p + "ln"], name=p + "ln", axis=-1, epsilon=1e-5),
            helper.make_node("MatMul", [p + "ln", p + "q"], [p + "q_out"], name=p + "q_mm"),
            helper.make_node("MatMul", [p + "ln", p + "k"], [p + "k_out"], name=p + "k_mm"),
            helper.make_node("MatMul", [p + "ln", p + "v"], [p + "v_out"], name=p + "v_mm"),
            helper.make_node("Reshape", [p + "q_out", "split_shape"], [p + "q4"], name=p + "q4"),
            helper.make_node("Reshape", [p + "k_out", "split_shape"], [p + "k4"], name=p + "k4"),
            helper.make_node("Reshape", [p + "v_out", "split_shape"], [p + "v4"], name=p + "v4"),
            helper.make_node("Transpose", [p + "q4"], [p + "qt"], name=p + "qt",
                             perm=[0, 2, 1, 3]),
            helper.make_node("Transpose", [p + "k4"], [p + "kt"], name=p + "kt",
                             perm=[0, 2, 3, 1]),
            helper.make_node("Transpose", [p + "v4"], [p + "vt"], name=p + "vt",
                             perm=[0, 2, 1, 3]),
            helper.make_node("MatMul", [p + "qt", p + "kt"], [p + "scores"], name=p + "qk"),
            helper.make_node("Mul", [p + "scores", "scale"], [p + "scaled"], name=p + "scale"),
            helper.make_node("Softmax", [p + "scaled"], [p + "probs"], name=p + "softmax",
                             axis=-1),
            helper.make_node("MatMul", [p + "probs", p + "vt"], [p + "ctx"], name=p + "ctx"),
            helper.make_node("Transpose", [p + "ctx"], [p + "ctx_t"], name=p + "ctx_t",
                             perm=[0, 2, 1, 3]),
            helper.make_node("Reshape", [p + "ctx_t", "merge_shape"], [p + "merged"],
                             name=p + "merge"),
            helper.make_node("MatMul", [p + "merged", p + "o"], [p + "attn"], name=p + "o_mm"),
            helper.make_node("Add", [previous, p + "attn"], [p + "res"], name=p + "residual"),
            helper.make_node("Gelu", [p + "res"], [p + "act"], name=p + "gelu"),
            helper.make_node("Identity", [p + "act"], [p + "out"], name=p + "out"),
        ]
        previous = p + "out"
    graph = helper.make_graph(
        nodes, "many_nodes",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", hidden])],
        [helper.make_tensor_value_info(previous, TensorProto.FLOAT, None)],
        initializer=inits,
    )
    return _model(graph)
