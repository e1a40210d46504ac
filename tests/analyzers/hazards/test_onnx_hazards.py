"""Hazard rules on ONNX models built with onnx.helper (what fires and what must not), the
SDK dependence of TRN503, and the --input-shape flag."""

import subprocess
import sys

import pytest

from tests.analyzers.hazards import onnx_models
from tests.helpers import REPO, SAMPLES, assert_one_line_error, run_cli
from trnport.analyzers.api import analyze
from trnport.analyzers.options import AnalysisOptions


def _codes(path, **options):
    return [f for f in analyze(path, AnalysisOptions(**options)).findings]


def _with(findings, code):
    return [f for f in findings if f.code == code]


def test_onnx_symbolic_input_dims_get_bucket_advice(tmp_path):
    found = _with(_codes(onnx_models.dynamic_input(tmp_path / "m.onnx")), "TRN302")
    assert len(found) == 1
    finding = found[0]
    assert finding.category == "dynamic_shape" and finding.severity == "warning"
    assert "batch (axis 0)" in finding.message and "seq (axis 1)" in finding.message
    assert "seq in 1..unbounded: pad to buckets [512, 1024, 2048, 4096]" in finding.message
    # a batch axis gets dynamic batching at one compiled batch size, not buckets
    assert "batch in 1..unbounded is a batch axis: compile batch 1" in finding.message
    assert "pad inputs to a few fixed bucket sizes" in finding.fix
    assert finding.fix.endswith("(e.g. --input-shape x=1x512x8)")
    (sized,) = _with(_codes(onnx_models.dynamic_input(tmp_path / "m.onnx"), batch=4,
                            seq_len=128), "TRN302")
    assert "compile batch 4" in sized.message
    assert sized.fix.endswith("(e.g. --input-shape x=4x128x8)")


def test_onnx_batch_only_dynamic_input_is_told_to_use_dynamic_batching():
    (finding,) = _with(_codes(SAMPLES / "tiny_cnn.onnx"), "TRN302")
    assert "buckets" not in finding.message
    assert finding.fix == ("Pin the size with --input-shape and use dynamic batching on the "
                           "batch axis (e.g. --input-shape image=1x3x32x32)")


def test_onnx_static_or_pinned_inputs_are_not_dynamic(tmp_path):
    assert not _with(_codes(onnx_models.static_input(tmp_path / "s.onnx")), "TRN302")
    pinned = _codes(onnx_models.dynamic_input(tmp_path / "d.onnx"),
                    input_shapes={"x": (1, 128, 8)})
    assert not _with(pinned, "TRN302")


def test_onnx_if_on_data_is_control_flow_but_constant_if_is_not(tmp_path):
    on_data = _codes(onnx_models.if_on_data(tmp_path / "if.onnx"))
    found = _with(on_data, "TRN304")
    assert [(f.severity, f.category, f.nodes) for f in found] == [
        ("error", "control_flow", ("branch",))]
    assert not [f for f in _with(on_data, "TRN101") if "branch" in f.nodes]  # reported once
    constant = _codes(onnx_models.if_on_constant(tmp_path / "c.onnx"))
    assert not _with(constant, "TRN304")
    assert [f.ops for f in _with(constant, "TRN101")] == [("onnx::If",)]  # no converter


def test_onnx_loop_with_data_trip_count_is_flagged_and_counted_loop_is_not(tmp_path):
    data = _with(_codes(onnx_models.loop(tmp_path / "a.onnx", data_trip_count=True)), "TRN304")
    assert [f.nodes for f in data] == [("repeat",)]
    fixed = _codes(onnx_models.loop(tmp_path / "b.onnx", data_trip_count=False))
    assert not _with(fixed, "TRN304")
    assert [f.ops for f in _with(fixed, "TRN101")] == [("onnx::Loop",)]


@pytest.mark.parametrize(("fill", "kind"), [
    (float("-inf"), "-inf"), (-3.4028234663852886e38, "float32-min"),
])
def test_onnx_mask_constants_reaching_a_softmax_under_bf16(tmp_path, fill, kind):
    found = _with(_codes(onnx_models.mask_constant(tmp_path / "m.onnx", fill)), "TRN501")
    assert len(found) == 1 and f"({kind}) reaches the softmax" in found[0].message
    assert found[0].category == "numerical" and found[0].nodes == ("fill",)


def test_onnx_bf16_min_mask_is_flagged_only_when_added_to_a_second_mask(tmp_path):
    bf16_min = -3.3895313892515355e38
    once = onnx_models.mask_constant(tmp_path / "once.onnx", bf16_min)
    assert not _with(_codes(once), "TRN501")  # finite after one addition
    twice = onnx_models.mask_constant(tmp_path / "twice.onnx", bf16_min, second_mask=True)
    found = _with(_codes(twice), "TRN501")
    assert [f.nodes for f in found] == [("fill",)]
    assert "is added to a second mask" in found[0].message


def test_onnx_mask_constants_depend_on_dtype_and_generation(tmp_path):
    fp32_min = onnx_models.mask_constant(tmp_path / "f.onnx", -3.4028234663852886e38)
    assert not _with(_codes(fp32_min, dtype="fp32"), "TRN501")
    assert not _with(_codes(onnx_models.mask_constant(tmp_path / "r.onnx", -1e4)), "TRN501")
    neg_inf = onnx_models.mask_constant(tmp_path / "i.onnx", float("-inf"))
    assert not _with(_codes(neg_inf, dtype="fp32", target="trn2"), "TRN501")
    on_trn1 = _with(_codes(neg_inf, dtype="fp32", target="trn1"), "TRN501")
    assert len(on_trn1) == 1 and "--enable-saturate-infinity" in on_trn1[0].message


def test_autocast_precision_risk_changes_with_sdk(tmp_path):
    deep = onnx_models.deep_matmuls(tmp_path / "deep.onnx", depth=10)
    old = _with(_codes(deep, sdk="2.26", dtype="fp32"), "TRN503")
    assert [(f.severity, f.category) for f in old] == [("warning", "numerical")]
    assert "--auto-cast=matmult" in old[0].message and len(old[0].nodes) == 10
    assert not _with(_codes(deep, sdk="2.32", dtype="fp32"), "TRN503")
    assert _with(_codes(deep, sdk="2.26"), "TRN503")[0].severity == "info"
    shallow = onnx_models.deep_matmuls(tmp_path / "shallow.onnx", depth=3)
    assert not _with(_codes(shallow, sdk="2.26", dtype="fp32"), "TRN503")


def test_onnx_hazard_analysis_does_not_import_torch(tmp_path):
    path = onnx_models.if_on_data(tmp_path / "if.onnx")
    code = ("import sys; from trnport.analyzers.api import analyze; "
            f"r = analyze({str(path)!r}); "
            "assert 'TRN304' in {f.code for f in r.findings}; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=300)


def test_cli_input_shape_pins_symbolic_dims(tmp_path):
    path = onnx_models.dynamic_input(tmp_path / "d.onnx")
    pinned = run_cli("check", str(path), "--input-shape", "x=1x128x8:float32",
                     "--format", "json", "--no-history", "--no-config")
    assert pinned.code == 0, pinned.stderr
    assert "TRN302" not in pinned.stdout
    free = run_cli("check", str(path), "--format", "json", "--no-history", "--no-config")
    assert "TRN302" in free.stdout


@pytest.mark.parametrize(("value", "fragment"), [
    ("x", "NAME=DIMS"), ("x=1xA", "whole numbers"), ("x=1x2:float128", "unknown dtype"),
])
def test_cli_input_shape_syntax_errors_are_one_line(tmp_path, value, fragment):
    path = onnx_models.dynamic_input(tmp_path / "d.onnx")
    result = run_cli("check", str(path), "--input-shape", value, "--no-history")
    assert_one_line_error(result)
    assert fragment in result.stderr


def test_cli_input_shape_unknown_input_is_a_clear_error(tmp_path):
    path = onnx_models.dynamic_input(tmp_path / "d.onnx")
    result = run_cli("check", str(path), "--input-shape", "ids=1x128x8", "--no-history")
    assert_one_line_error(result)
    assert "no tensor input named 'ids'" in result.stderr


def test_input_shape_dtype_sets_the_onnx_input_type(tmp_path):
    from trnport.analyzers.loaders.onnx.loader import load

    path = onnx_models.dynamic_input(tmp_path / "d.onnx")
    graph = load(path, AnalysisOptions(input_shapes={"x": (1, 128, 8)},
                                       input_dtypes={"x": "float16"})).graph
    assert graph.values["x"].dtype == "float16" and graph.values["x"].shape == (1, 128, 8)
    kept = load(path, AnalysisOptions(input_shapes={"x": (1, 128, 8)})).graph
    assert kept.values["x"].dtype == "float32"


def test_cli_input_shape_dtype_changes_the_onnx_findings(tmp_path):
    path = onnx_models.hashed_ids(tmp_path / "t.onnx")
    as_int64 = run_cli("check", str(path), "--input-shape", "ids=1x128", "--format", "json",
                       "--no-history", "--no-config")
    as_int32 = run_cli("check", str(path), "--input-shape", "ids=1x128:int32", "--format",
                       "json", "--no-history", "--no-config")
    assert as_int64.code == 0 and as_int32.code == 0, (as_int64.stderr, as_int32.stderr)
    assert "TRN202" in as_int64.stdout and "TRN202" not in as_int32.stdout


def test_token_ids_that_only_index_a_table_are_not_reported_as_narrowed(tmp_path):
    path = onnx_models.token_embedding(tmp_path / "t.onnx")
    result = run_cli("check", str(path), "--input-shape", "ids=1x128", "--format", "json",
                     "--no-history", "--no-config")
    assert result.code == 0, result.stderr
    assert "TRN202" not in result.stdout


@pytest.mark.parametrize(("elem_type", "fires"), [
    (onnx_models.TensorProto.INT16, True), (onnx_models.TensorProto.UINT16, True),
    (onnx_models.TensorProto.INT32, False),
])
def test_onnx_int16_inputs_are_reported_as_widened(tmp_path, elem_type, fires):
    found = _with(_codes(onnx_models.int16_codes(tmp_path / "c.onnx", elem_type)), "TRN206")
    assert [(f.severity, f.category, f.nodes) for f in found] == (
        [("info", "dtype", ("widen",))] if fires else [])
