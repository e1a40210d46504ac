"""Shapes that onnx derives rather than the user declares: a ``-1`` dim written inside an If
branch (as onnx's function expansion does, e.g. ``test_affine_grid_3d_expanded``) is an
unknown dim, and an element count beyond any device's memory is a finding, not a refusal
and not a fit."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from trnport.analyzers.api import analyze
from trnport.analyzers.errors import InputError
from trnport.analyzers.options import AnalysisOptions


def _if_with_minus_one_branches() -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 3])
    cond = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])

    def branch(name: str, op: str) -> onnx.GraphProto:
        out = helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, [-1, 3])
        return helper.make_graph([helper.make_node(op, ["x"], [f"{name}_out"])], name, [],
                                 [out], value_info=[out])

    node = helper.make_node("If", ["c"], ["y"], then_branch=branch("then", "Relu"),
                            else_branch=branch("else", "Neg"))
    graph = helper.make_graph([node], "g", [cond, x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _constant_of_shape(dims: list[int]) -> onnx.ModelProto:
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    shape = numpy_helper.from_array(np.array(dims, dtype=np.int64), "shape")
    nodes = [helper.make_node("Constant", [], ["s"], value=shape),
             helper.make_node("ConstantOfShape", ["s"], ["y"])]
    graph = helper.make_graph(nodes, "g", [], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _save(model: onnx.ModelProto, path) -> str:
    onnx.save(model, path)
    return str(path)


def test_minus_one_in_if_branches_is_an_unknown_dim(tmp_path):
    model = _if_with_minus_one_branches()
    onnx.checker.check_model(model, full_check=True)  # onnx itself calls it valid
    report = analyze(_save(model, tmp_path / "branches.onnx"), AnalysisOptions())
    assert report.model.nodes >= 3
    assert {row.op for row in report.operators} >= {"onnx::If", "onnx::Relu", "onnx::Neg"}


def test_a_declared_negative_input_dim_is_still_refused(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [-1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [-1, 3])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(InputError, match="negative dimension"):
        analyze(_save(model, tmp_path / "declared.onnx"), AnalysisOptions())


def test_an_element_count_beyond_any_device_is_a_memory_finding(tmp_path):
    report = analyze(_save(_constant_of_shape([2**31, 2**31]), tmp_path / "huge.onnx"),
                     AnalysisOptions())
    codes = {f.code for f in report.findings}
    assert "TRN401" in codes
    assert report.summary.verdict == "blocked"


def _reshape_to(dims: list[int]) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    shape = numpy_helper.from_array(np.array(dims, dtype=np.int64), "shape")
    graph = helper.make_graph([helper.make_node("Reshape", ["x", "shape"], ["y"])], "g", [x],
                              [y], initializer=[shape])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_a_reshape_to_an_absurd_constant_shape_is_a_finding_not_a_fit(tmp_path):
    report = analyze(_save(_reshape_to([2**62, 2**62]), tmp_path / "reshape.onnx"),
                     AnalysisOptions())
    [finding] = [f for f in report.findings if f.code == "TRN409"]
    assert finding.nodes and "onnx::Reshape" in finding.ops
    assert report.summary.verdict == "blocked"


def test_an_ordinary_reshape_raises_no_size_finding(tmp_path):
    report = analyze(_save(_reshape_to([3, -1]), tmp_path / "ordinary.onnx"),
                     AnalysisOptions())
    assert not {"TRN401", "TRN409"} & {f.code for f in report.findings}
