"""Shape inference runs onnx's data propagation only when the graph has somewhere for shape
data to start (``has_shape_data``): Shape and Size outputs, Constant nodes, small integer
initializers. The tests show each source turns it on and changes the shapes inferred, and
that on graphs without one, inference with and without it gives the same model."""

from __future__ import annotations

import random

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from trnport.analyzers.loaders.onnx.loader import has_shape_data, load
from trnport.analyzers.options import AnalysisOptions

OPSET = [helper.make_opsetid("", 17)]


def _model(nodes, inputs, outputs, initializers=(), opsets=OPSET) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    return helper.make_model(graph, opset_imports=opsets)


def _x(shape=(2, 3, 4)):
    return helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))


def _y():
    return helper.make_tensor_value_info("y", TensorProto.FLOAT, None)


def _ints(name: str, values: list[int], dtype=np.int64) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


def _reshape_by(target_nodes: list, initializers: list) -> onnx.ModelProto:
    """x [2, 3, 4] reshaped to ``target``, which the given nodes compute: [6, 4] when
    propagation follows them."""
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [6, 4])
    nodes = [*target_nodes, helper.make_node("Reshape", ["x", "target"], ["y"])]
    return _model(nodes, [_x(), z], [_y()], initializers)


def _shape_source() -> onnx.ModelProto:
    return _reshape_by([helper.make_node("Shape", ["z"], ["target"])], [])


def _constant_source() -> onnx.ModelProto:
    return _reshape_by([
        helper.make_node("Constant", [], ["six"], value=_ints("six", [6])),
        helper.make_node("Constant", [], ["four"], value=_ints("four", [4])),
        helper.make_node("Concat", ["six", "four"], ["target"], axis=0)], [])


def _initializer_source(dtype) -> onnx.ModelProto:
    return _reshape_by([
        helper.make_node("Concat", ["six", "four"], ["joined"], axis=0),
        helper.make_node("Cast", ["joined"], ["target"], to=TensorProto.INT64)],
        [_ints("six", [6], dtype), _ints("four", [4], dtype)])


def _size_only() -> onnx.ModelProto:
    nodes = [helper.make_node("Size", ["x"], ["count"]),
             helper.make_node("Relu", ["x"], ["y"])]
    return _model(nodes, [_x()], [_y()])


def _inferred_shape(model: onnx.ModelProto, name: str, data_prop: bool):
    inferred = onnx.shape_inference.infer_shapes(model, data_prop=data_prop)
    for info in (*inferred.graph.value_info, *inferred.graph.output):
        if info.name == name and info.type.tensor_type.HasField("shape"):
            return [d.dim_value if d.HasField("dim_value") else None
                    for d in info.type.tensor_type.shape.dim]
    return None


@pytest.mark.parametrize("build", [
    _shape_source, _constant_source,
    lambda: _initializer_source(np.int64), lambda: _initializer_source(np.int32),
], ids=["shape", "constant", "int64-initializer", "int32-initializer"])
def test_each_source_of_shape_data_keeps_propagation_on_and_it_matters(build, tmp_path):
    model = build()
    assert has_shape_data(model)
    # propagation is what finds the reshape's target: the rule keeps it where it counts
    assert _inferred_shape(model, "y", data_prop=True) == [6, 4]
    assert _inferred_shape(model, "y", data_prop=False) != [6, 4]
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    graph = load(path, AnalysisOptions()).graph
    assert graph.values["y"].shape == (6, 4)


def test_a_size_node_is_a_source_too():
    assert has_shape_data(_size_only())
    assert not has_shape_data(_model([helper.make_node("Relu", ["x"], ["y"])], [_x()], [_y()]))


def test_float_and_wide_integer_initializers_are_not_sources():
    weight = numpy_helper.from_array(np.ones([4], dtype=np.float32), "w")
    table = _ints("table", [0, 1, 2, 3])
    table_2d = numpy_helper.from_array(np.zeros([2, 2], dtype=np.int64), "table2")
    nodes = [helper.make_node("Add", ["x", "w"], ["y"])]
    assert not has_shape_data(_model(nodes, [_x()], [_y()], [weight, table_2d]))
    assert has_shape_data(_model(nodes, [_x()], [_y()], [weight, table]))


def _float_chain(rng: random.Random, length: int) -> onnx.ModelProto:
    """Float ops with float weights and attributes only: nowhere for shape data to start."""
    width = 8
    nodes, initializers = [], []
    current = "x"
    for index in range(length):
        out = f"v{index}"
        kind = rng.choice(["Relu", "Add", "MatMul", "Transpose", "Softmax", "Mul", "Sigmoid"])
        if kind in ("Add", "Mul", "MatMul"):
            weight = f"w{index}"
            shape = [width, width] if kind == "MatMul" else [width]
            initializers.append(numpy_helper.from_array(
                np.ones(shape, dtype=np.float32), weight))
            nodes.append(helper.make_node(kind, [current, weight], [out]))
        elif kind == "Transpose":
            nodes.append(helper.make_node(kind, [current], [out], perm=[1, 0]))
        elif kind == "Softmax":
            nodes.append(helper.make_node(kind, [current], [out], axis=-1))
        else:
            nodes.append(helper.make_node(kind, [current], [out]))
        current = out
    nodes.append(helper.make_node("Identity", [current], ["y"]))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", width])
    return _model(nodes, [x], [_y()], initializers)


@pytest.mark.parametrize("seed", range(6))
def test_without_a_source_propagation_changes_nothing(seed):
    model = _float_chain(random.Random(seed), 40)
    assert not has_shape_data(model)
    with_data = onnx.shape_inference.infer_shapes(model, data_prop=True)
    without = onnx.shape_inference.infer_shapes(model, data_prop=False)
    assert with_data.SerializeToString(deterministic=True) == \
        without.SerializeToString(deterministic=True)


@pytest.mark.parametrize("change", ["if", "custom-domain", "function", "sparse"])
def test_what_is_not_looked_into_keeps_propagation_on(change):
    model = _float_chain(random.Random(0), 5)
    graph = model.graph
    if change == "if":
        branch = helper.make_graph([helper.make_node("Shape", ["x"], ["s"])], "b", [],
                                   [helper.make_tensor_value_info("s", TensorProto.INT64, None)])
        graph.node.append(helper.make_node("If", ["c"], ["o"], then_branch=branch,
                                           else_branch=branch))
    elif change == "custom-domain":
        graph.node.append(helper.make_node("Gelu", ["x"], ["o"], domain="com.microsoft"))
    elif change == "function":
        model.functions.append(helper.make_function(
            "local", "f", ["a"], ["b"], [helper.make_node("Shape", ["a"], ["b"])], OPSET))
    else:
        graph.sparse_initializer.append(helper.make_sparse_tensor(
            _ints("values", [1]), _ints("indices", [0]), [4]))
    assert has_shape_data(model)
