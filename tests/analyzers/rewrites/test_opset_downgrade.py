"""RW-onnx-opset-downgrade: models at opsets 18-20 lowered to the highest opset onnx2torch
converts, checked (full check with shape inference), run against the original, re-analysed;
near misses refused with their reason."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from tests.analyzers.rewrites import models
from tests.analyzers.rewrites.models import const, tensor
from trnport.analyzers.rewrites.catalog import automation_for
from trnport.analyzers.rewrites.onnx.engine import apply_rewrites
from trnport.analyzers.rewrites.onnx.onnx_opset_downgrade import blocked, model_opset, target_opset
from trnport.analyzers.rewrites.verify import verify
from trnport.analyzers.rewriting.onnx import reanalyse, rewrite_model
from trnport.app.cli.main import main

RW = "RW-onnx-opset-downgrade"
F = TensorProto.FLOAT


def downgrade(model):
    result = apply_rewrites(model, [RW])
    if result.applied:
        onnx.checker.check_model(result.model, full_check=True)
        proof = verify(model, result.model)
        assert proof.ok, proof.reason
        assert proof.max_abs <= 1e-5
    return result


def node(result, name):
    return next(n for n in result.model.graph.node if n.name == name)


def attrs(n):
    return {a.name: helper.get_attribute_value(a) for a in n.attribute}


def reduce_mean(opset=18, axes_constant=True, noop=None, with_axes=True, as_constant_node=False):
    inputs = [tensor("x", F, [2, 3, 4, 5])]
    nodes, inits = [], []
    reduce_inputs = ["x"]
    if with_axes:
        axes = np.array([2, 3], dtype=np.int64)
        if not axes_constant:
            inputs.append(tensor("axes", TensorProto.INT64, [2]))
        elif as_constant_node:
            nodes.append(helper.make_node("Constant", [], ["axes"], name="axes_const",
                                          value=onnx.numpy_helper.from_array(axes)))
        else:
            inits.append(const("axes", axes))
        reduce_inputs.append("axes")
    extra = {} if noop is None else {"noop_with_empty_axes": noop}
    nodes.append(helper.make_node("ReduceMean", reduce_inputs, ["m"], name="mean",
                                  keepdims=1, **extra))
    nodes.append(helper.make_node("Reshape", ["m", "shape"], ["y"], name="flat"))
    inits.append(const("shape", np.array([2, -1] if with_axes else [-1], dtype=np.int64)))
    out = tensor("y", F, [2, 3] if with_axes else ["k"])
    return models.model(nodes, inputs, [out], inits, opset=opset)


def resize(opset=19, **extra):
    return models.model(
        [helper.make_node("Resize", ["x", "", "scales"], ["y"], name="up", mode="nearest",
                          coordinate_transformation_mode="asymmetric", nearest_mode="floor",
                          **extra),
         helper.make_node("Relu", ["y"], ["z"], name="relu")],
        [tensor("x", F, [1, 2, 3, 3])], [tensor("z", F, [1, 2, 6, 6])],
        [const("scales", np.array([1, 1, 2, 2], dtype=np.float32))], opset=opset)


def split(opset=18, known=True):
    dim = 7 if known else "n"
    return models.model(
        [helper.make_node("Split", ["x"], ["a", "b", "c"], name="split", axis=1,
                          num_outputs=3),
         helper.make_node("ReduceMean", ["a", "axes"], ["y"], name="mean", keepdims=0)],
        [tensor("x", F, [2, dim])],
        [tensor("y", F, [2]), tensor("b", F, [2, "b"]), tensor("c", F, [2, "c"])],
        [const("axes", np.array([1], dtype=np.int64))], opset=opset)


def test_the_knowledge_base_decides_the_target_opset():
    assert blocked("ReduceMean", 18) and not blocked("ReduceMean", 17)
    assert blocked("Reshape", 19) and not blocked("Reshape", 18)
    assert target_opset({"Reshape", "Relu"}, 20) == 18
    assert target_opset({"ReduceMean", "Reshape", "Resize"}, 20) == 17


def test_reduce_mean_axes_input_becomes_attribute():
    original = reduce_mean(opset=18)
    result = downgrade(original)
    assert model_opset(result.model) == 17
    assert [n.op_type for n in result.model.graph.node] == ["ReduceMean", "Reshape"]
    mean = node(result, "mean")
    assert list(mean.input) == ["x"] and attrs(mean) == {"keepdims": 1, "axes": [2, 3]}
    assert [i.name for i in result.model.graph.initializer] == ["shape"]
    assert [(a.node, a.removed_ops, a.added_ops) for a in result.applied] == [
        ("mean", ("ReduceMean",), ("ReduceMean",))]


def test_constant_node_axes_are_read_and_the_constant_dropped():
    result = downgrade(reduce_mean(opset=18, as_constant_node=True))
    assert [n.op_type for n in result.model.graph.node] == ["ReduceMean", "Reshape"]
    assert attrs(node(result, "mean"))["axes"] == [2, 3]


@pytest.mark.parametrize(("noop", "op"), [(1, "Identity"), (0, "ReduceMean")])
def test_reduce_without_axes_follows_noop_with_empty_axes(noop, op):
    result = downgrade(reduce_mean(opset=18, with_axes=False, noop=noop))
    assert [n.op_type for n in result.model.graph.node] == [op, "Reshape"]
    assert "axes" not in attrs(node(result, "mean"))


def test_non_constant_axes_are_refused_with_the_reason():
    result = apply_rewrites(reduce_mean(opset=18, axes_constant=False), [RW])
    assert not result.applied and model_opset(result.model) == 18
    assert [(r.node, r.reason) for r in result.refusals] == [
        ("mean", "axes 'axes' of ReduceMean is not a constant initializer or Constant output")]


def test_resize_and_relu_at_opset_19_keep_their_nodes():
    result = downgrade(resize(opset=19))
    assert model_opset(result.model) == 17
    assert [n.op_type for n in result.model.graph.node] == ["Resize", "Relu"]
    assert attrs(node(result, "up"))["mode"] == b"nearest"
    assert [a.node for a in result.applied] == ["up"]


def test_resize_default_new_attributes_are_dropped():
    result = downgrade(resize(opset=19, antialias=0, keep_aspect_ratio_policy="stretch"))
    assert {"antialias", "keep_aspect_ratio_policy"}.isdisjoint(attrs(node(result, "up")))


def test_resize_with_antialias_is_refused_with_the_reason():
    result = apply_rewrites(resize(opset=19, antialias=1), [RW])
    assert not result.applied
    assert [(r.node, r.reason) for r in result.refusals] == [
        ("up", "attribute antialias=1 of Resize has no equivalent before opset 18")]


def test_resize_half_pixel_symmetric_is_refused():
    model = resize(opset=19)
    for attr in model.graph.node[0].attribute:
        if attr.name == "coordinate_transformation_mode":
            attr.s = b"half_pixel_symmetric"
    result = apply_rewrites(model, [RW])
    assert [r.reason for r in result.refusals] == [
        "coordinate_transformation_mode='half_pixel_symmetric' of Resize has no equivalent "
        "before opset 19"]


def test_reshape_at_opset_20_keeps_the_node_for_types_valid_at_18():
    original = models.model(
        [helper.make_node("Reshape", ["x", "shape"], ["r"], name="reshape"),
         helper.make_node("Relu", ["r"], ["y"], name="relu")],
        [tensor("x", F, [2, 3, 4])], [tensor("y", F, [6, 4])],
        [const("shape", np.array([6, 4], dtype=np.int64))], opset=20)
    result = downgrade(original)
    assert model_opset(result.model) == 18
    assert [n.op_type for n in result.model.graph.node] == ["Reshape", "Relu"]
    assert [a.node for a in result.applied] == ["reshape"]


def test_split_num_outputs_becomes_split_sizes():
    result = downgrade(split(opset=18))
    assert model_opset(result.model) == 17
    parts = node(result, "split")
    assert "num_outputs" not in attrs(parts) and len(parts.input) == 2
    sizes = onnx.numpy_helper.to_array(
        next(i for i in result.model.graph.initializer if i.name == parts.input[1]))
    assert sizes.tolist() == [3, 3, 1]
    assert attrs(node(result, "mean"))["axes"] == [1]


def test_split_num_outputs_of_unknown_length_is_refused():
    result = apply_rewrites(split(opset=18, known=False), [RW])
    assert not result.applied
    assert [r.reason for r in result.refusals] == [
        "the length of axis 1 of 'x' is unknown, so Split num_outputs cannot become split sizes"]


def test_pad_axes_input_is_refused_unless_absent():
    def pad(with_axes):
        inputs = ["x", "pads", "", "axes"] if with_axes else ["x", "pads"]
        pads = [1, 1] if with_axes else [0, 1, 0, 1]
        return models.model(
            [helper.make_node("Pad", inputs, ["p"], name="pad"),
             helper.make_node("ReduceMean", ["p", "ax"], ["y"], name="mean", keepdims=0)],
            [tensor("x", F, [2, 3])], [tensor("y", F, [2])],
            [const("pads", np.array(pads, dtype=np.int64)),
             const("axes", np.array([1], dtype=np.int64)),
             const("ax", np.array([1], dtype=np.int64))], opset=18)

    assert [n.op_type for n in downgrade(pad(False)).model.graph.node] == ["Pad", "ReduceMean"]
    result = apply_rewrites(pad(True), [RW])
    assert [r.reason for r in result.refusals] == [
        "input 3 ('axes') of Pad has no equivalent before opset 18"]


def test_an_op_missing_at_the_target_is_refused_by_name():
    model = models.model(
        [helper.make_node("Gelu", ["x"], ["g"], name="gelu"),
         helper.make_node("ReduceMean", ["g", "axes"], ["y"], name="mean", keepdims=0)],
        [tensor("x", F, [2, 3])], [tensor("y", F, [2])],
        [const("axes", np.array([1], dtype=np.int64))], opset=20)
    result = apply_rewrites(model, [RW])
    assert not result.applied and model_opset(result.model) == 20
    assert [(r.node, r.reason) for r in result.refusals] == [
        ("gelu", "Gelu does not exist at opset 17 (added in opset 20)")]


def test_a_model_onnx2torch_converts_is_left_alone():
    result = apply_rewrites(reduce_mean(opset=17, as_constant_node=False, with_axes=False), [RW])
    assert not result.applied and not result.refusals


def test_opset_findings_are_automated_suggestions():
    assert automation_for(RW, "onnx::Resize").id == RW


def test_rewrite_clears_trn101_on_reanalysis(tmp_path):
    path = tmp_path / "mean.onnx"
    onnx.save(reduce_mean(opset=18), str(path))
    outcome = reanalyse(path, rewrite_model(onnx.load(str(path)), [RW]))
    assert [s.status for s in outcome.steps] == ["verified"]
    assert ("TRN101", ("mean",)) in {(f.code, f.nodes) for f in outcome.cleared}
    assert not [f for f in outcome.report_after.findings if f.code == "TRN101"]
    suggestion = next(s for s in outcome.report_before.rewrites if s.id == RW)
    assert suggestion.automated and suggestion.apply.endswith(f"--apply {RW}")


def test_cli_all_safe_downgrades_and_lists_cleared_findings(tmp_path, capsys):
    path = tmp_path / "resize.onnx"
    onnx.save(resize(opset=19), str(path))
    out = tmp_path / "out.onnx"
    assert main(["rewrite", str(path), "--all-safe", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"{RW}: verified on 1 node(s) (up); outputs equal" in text
    assert "TRN101 up" in text
    written = onnx.load(str(out))
    onnx.checker.check_model(written, full_check=True)
    assert model_opset(written) == 17


def test_cli_apply_reports_the_refusal_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "resize.onnx"
    onnx.save(resize(opset=19, antialias=1), str(path))
    out = tmp_path / "out.onnx"
    assert main(["rewrite", str(path), "--apply", RW, "-o", str(out)]) == 1
    text = capsys.readouterr().out
    assert "refused up: attribute antialias=1 of Resize has no equivalent before opset 18" in text
    assert not out.exists()
