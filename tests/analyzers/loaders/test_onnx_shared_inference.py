"""Shape inference once per distinct node configuration gives exactly the IR that onnx's
whole-graph inference gives, and leaves to it every graph where that could differ."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.analyzers.loaders import onnx_fixtures as fx
from trnport.analyzers.errors import InputError
from trnport.analyzers.loaders.onnx import loader as onnx_loader
from trnport.analyzers.loaders.onnx import shared_inference
from trnport.analyzers.options import AnalysisOptions


def _load(path: Path, monkeypatch, shared: bool, **options):
    """``(graph, diagnostics, used)`` as the loader gives them (or the error text), with
    shared inference allowed or not; ``used`` says whether it answered."""
    answers = []
    original = shared_inference.shared_value_types

    def spying(*args):
        answers.append(original(*args))
        return answers[-1]

    with monkeypatch.context() as patch:
        patch.setattr(onnx_loader, "shared_value_types", spying)
        if not shared:
            patch.setattr(onnx_loader, "may_share", lambda model, data_prop: False)
        try:
            loaded = onnx_loader.load(path, AnalysisOptions(**options))
        except InputError as error:
            return str(error), [], False
    used = any(answer is not None for answer in answers)
    return loaded.graph, loaded.diagnostics, used


def _both(model: onnx.ModelProto, tmp_path: Path, monkeypatch, **options):
    path = fx.save(model, tmp_path / "model.onnx")
    shared = _load(path, monkeypatch, True, **options)
    whole = _load(path, monkeypatch, False, **options)
    assert shared[:2] == whole[:2]
    if not isinstance(shared[0], str):
        assert shared[0].metadata == whole[0].metadata
    return shared


def _stack(layers: int, targets: list[list[int]]) -> onnx.ModelProto:
    """Per layer: MatMul by its own weight, Add its bias, Reshape to that layer's target
    (an int64 initializer) and back, Relu. Layers with equal targets share configurations."""
    nodes, inits, x = [], [], "x"
    for layer in range(layers):
        target = targets[layer % len(targets)]
        inits += [fx._weight(f"w{layer}", (12, 12), layer), fx._weight(f"b{layer}", (12,), layer),
                  numpy_helper.from_array(np.array(target, np.int64), f"t{layer}"),
                  numpy_helper.from_array(np.array([0, 12], np.int64), f"flat{layer}")]
        nodes += [helper.make_node("MatMul", [x, f"w{layer}"], [f"m{layer}"]),
                  helper.make_node("Add", [f"m{layer}", f"b{layer}"], [f"a{layer}"]),
                  helper.make_node("Reshape", [f"a{layer}", f"t{layer}"], [f"r{layer}"]),
                  helper.make_node("Reshape", [f"r{layer}", f"flat{layer}"], [f"f{layer}"]),
                  helper.make_node("Relu", [f"f{layer}"], [f"y{layer}"])]
        x = f"y{layer}"
    graph = helper.make_graph(
        nodes, "stack", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 12])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], inits)
    return fx._model(graph)


@pytest.mark.parametrize("name", ["mlp", "weights", "many"])
def test_plain_fixture_graphs_are_shared_and_equal(name, tmp_path, monkeypatch):
    builders = {"mlp": fx.mlp_model, "weights": fx.weights_model,
                "many": lambda: fx.many_nodes_model(6)}
    graph, _, used = _both(builders[name](), tmp_path, monkeypatch)
    assert used
    assert graph.metadata["shapes"] == "inferred"


@pytest.mark.parametrize("name", ["attributes", "control_flow", "old_ir", "inconsistent_types",
                                  "dtype_zoo", "unsorted"])
def test_graphs_it_cannot_share_keep_the_whole_graph_inference(name, tmp_path, monkeypatch):
    # a custom-domain op, subgraphs, an initializer listed as input, a failing inference, a
    # Cast from complex64 (outside Cast's type constraints, which only the per-node
    # inference checks), a node read before it is written
    builders = {"attributes": fx.attribute_model, "control_flow": fx.control_flow_model,
                "old_ir": fx.old_ir_model, "inconsistent_types": fx.inconsistent_types_model,
                "dtype_zoo": fx.dtype_zoo_model, "unsorted": fx.unsorted_model}
    _, _, used = _both(builders[name](), tmp_path, monkeypatch)
    assert not used


@pytest.mark.parametrize("name", ["cyclic", "dangling", "duplicate_output"])
def test_broken_graphs_raise_the_same_error(name, tmp_path, monkeypatch):
    builders = {"cyclic": fx.cyclic_model, "dangling": fx.dangling_input_model,
                "duplicate_output": fx.duplicate_output_model}
    error, _, _ = _both(builders[name](), tmp_path, monkeypatch)
    assert isinstance(error, str) and "invalid ONNX graph" in error


def test_equal_configurations_share_and_different_constants_do_not(tmp_path, monkeypatch):
    graph, _, used = _both(_stack(6, [[0, 3, 4], [0, 2, 6]]), tmp_path, monkeypatch)
    assert used
    shapes = [graph.values[f"r{layer}"].shape for layer in range(6)]
    assert shapes == [("batch", 3, 4), ("batch", 2, 6)] * 3
    assert graph.values["y5"].shape == ("batch", 12)


def test_a_pinned_input_shape_flows_through_the_shared_types(tmp_path, monkeypatch):
    graph, _, used = _both(_stack(3, [[0, 4, 3]]), tmp_path, monkeypatch,
                           input_shapes={"x": (5, 12)})
    assert used
    assert graph.values["r2"].shape == (5, 4, 3)


def test_unknown_dims_get_fresh_symbols_skipping_the_graphs_own(tmp_path, monkeypatch):
    # Concat along a symbolic axis leaves that dim unknown: onnx names it unk__N, skipping
    # unk__0, which an input already uses; two equal nodes still get two symbols
    nodes = [helper.make_node("Concat", ["a", "a"], ["c0"], axis=0),
             helper.make_node("Concat", ["a", "a"], ["c1"], axis=0),
             helper.make_node("Add", ["c0", "c1"], ["y"])]
    graph = helper.make_graph(
        nodes, "symbols",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["n", 4]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, ["unk__0", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    ir, _, used = _both(fx._model(graph), tmp_path, monkeypatch)
    assert used
    assert ir.values["c0"].shape == ("unk__1", 4)
    assert ir.values["c1"].shape == ("unk__2", 4)


def test_declared_outputs_are_merged_and_conflicts_left_to_onnx(tmp_path, monkeypatch):
    def model(declared):
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
            "merge",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, declared)],
            [fx._weight("w", (8, 4))])
        return fx._model(graph)

    merged, _, used = _both(model([None, None]), tmp_path, monkeypatch)
    assert used and merged.values["y"].shape == ("batch", 4)
    named, _, used = _both(model(["rows", 4]), tmp_path, monkeypatch)
    assert used and named.values["y"].shape == ("rows", 4)  # a declared symbol stays
    _, _, used = _both(model(["batch", 5]), tmp_path, monkeypatch)
    assert not used  # 5 against the inferred 4: onnx records an error and goes on


def _reshaped_by(target_nodes: list[onnx.NodeProto]) -> onnx.ModelProto:
    """x[batch, 4, 3] reshaped to the ``target`` the nodes compute from the integer
    initializers ``zero`` ([0]) and ``rest`` ([12])."""
    graph = helper.make_graph(
        [*target_nodes, helper.make_node("Reshape", ["x", "target"], ["y"])], "reshaped",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array([0], np.int64), "zero"),
         numpy_helper.from_array(np.array([12], np.int64), "rest")])
    return fx._model(graph)


def test_propagated_shape_data_reaching_a_reshape_is_left_to_onnx(tmp_path, monkeypatch):
    # Shape → Gather → Concat → Reshape: only data propagation gives the Reshape its target
    ir, _, used = _both(_reshaped_by([
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["b"], axis=0),
        helper.make_node("Concat", ["b", "rest"], ["target"], axis=0)]), tmp_path, monkeypatch)
    assert not used
    assert ir.values["y"].shape == ("batch", 12)
    # without Shape, integer constants concatenated into a target still propagate
    ir, _, used = _both(_reshaped_by([
        helper.make_node("Concat", ["zero", "rest"], ["target"], axis=0)]), tmp_path, monkeypatch)
    assert not used
    assert ir.values["y"].shape == ("batch", 12)


def test_constant_nodes_and_float_operands_are_part_of_a_configuration(tmp_path, monkeypatch):
    # two Reshapes to Constant targets, and Resizes by per-layer float scales
    nodes, inits = [], []
    for layer, (target, scale) in enumerate((([2, 8], 2.0), ([4, 4], 3.0), ([2, 8], 2.0))):
        nodes += [
            helper.make_node("Constant", [], [f"t{layer}"],
                             value=numpy_helper.from_array(np.array(target, np.int64))),
            helper.make_node("Reshape", ["x", f"t{layer}"], [f"r{layer}"]),
            helper.make_node("Unsqueeze", [f"r{layer}", "axes"], [f"u{layer}"]),
            helper.make_node("Unsqueeze", [f"u{layer}", "axes"], [f"v{layer}"]),
            helper.make_node("Resize", [f"v{layer}", "", f"s{layer}"], [f"z{layer}"],
                             mode="nearest")]
        inits.append(numpy_helper.from_array(np.array([1, 1, scale, scale], np.float32),
                                             f"s{layer}"))
    inits.append(numpy_helper.from_array(np.array([0], np.int64), "axes"))
    graph = helper.make_graph(
        nodes, "constants", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [16])],
        [helper.make_tensor_value_info(f"z{layer}", TensorProto.FLOAT, None)
         for layer in range(3)], inits)
    ir, _, used = _both(fx._model(graph), tmp_path, monkeypatch)
    assert used
    assert [ir.values[f"z{layer}"].shape for layer in range(3)] == [
        (1, 1, 4, 16), (1, 1, 12, 12), (1, 1, 4, 16)]


def test_a_failing_node_inference_is_left_to_onnx(tmp_path, monkeypatch):
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
        "bad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [fx._weight("w", (5, 4))])
    ir, _, used = _both(fx._model(graph), tmp_path, monkeypatch)
    assert not used
    assert ir.values["y"].shape is None


def test_may_share_refuses_what_it_can_see_in_the_model():
    plain = fx.mlp_model()
    assert shared_inference.may_share(plain, data_prop=True)
    with_info = onnx.ModelProto()
    with_info.CopyFrom(plain)
    with_info.graph.value_info.add(name="h")
    assert not shared_inference.may_share(with_info, data_prop=False)
    with_function = onnx.ModelProto()
    with_function.CopyFrom(plain)
    with_function.functions.add(name="f", domain="local")
    assert not shared_inference.may_share(with_function, data_prop=False)
    shaped = fx._model(helper.make_graph(
        [helper.make_node("Shape", ["x"], ["y"])], "shape",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.INT64, None)]))
    assert not shared_inference.may_share(shaped, data_prop=True)
    assert shared_inference.may_share(shaped, data_prop=False)
    assert not shared_inference.may_share(fx.control_flow_model(), data_prop=False)


def _without_declared_shapes(model: onnx.ModelProto) -> onnx.ModelProto:
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    copy.graph.ClearField("value_info")
    for output in copy.graph.output:
        if output.type.HasField("tensor_type"):
            output.type.tensor_type.ClearField("shape")
    return copy


@pytest.mark.slow
def test_onnx_node_test_models_give_the_same_ir(tmp_path, monkeypatch):
    """Every model of onnx's own node tests (one per op and variant), with its declared
    shapes removed so that inference must find them, loads to the same IR both ways."""
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = [case for case in collect_testcases(None) if case.model is not None]
    shared_count = 0
    for index, case in enumerate(cases):
        path = tmp_path / f"case{index}.onnx"
        try:
            onnx.save(_without_declared_shapes(case.model), os.fspath(path))
        except (ValueError, onnx.onnx_cpp2py_export.checker.ValidationError):
            continue
        shared = _load(path, monkeypatch, True)
        whole = _load(path, monkeypatch, False)
        if not isinstance(shared[0], str):
            # NaN attribute values (tree ensembles) are unequal to themselves
            if any(np.isnan(v) for n in shared[0].nodes for v in _floats(n.attributes)):
                continue
        assert shared[:2] == whole[:2], case.name
        shared_count += shared[2]
    assert shared_count > 1000  # most single-op graphs are plain: sharing is exercised


def _floats(attributes) -> list[float]:
    found = []
    for value in attributes.values():
        if isinstance(value, float):
            found.append(value)
        elif isinstance(value, dict):
            found += [v for v in value.get("values", []) if isinstance(v, float)]
        elif isinstance(value, list):
            found += [v for v in value if isinstance(v, float)]
    return found
