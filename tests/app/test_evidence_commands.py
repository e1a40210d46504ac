"""trnport import-analyze / import-log: compiler findings, check-style exit codes, and a
one-line error with exit 2 for anything that is not in the documented formats."""

import json

import pytest

from tests.helpers import REPO, SAMPLES, assert_one_line_error, run_cli

FIXTURES = REPO / "tests" / "fixtures" / "evidence"
CLEAN = {"neuronx_cc_version": "2.26.6360.0", "support_percentage": "100.00%",
         "supported_operators": {"aten::linear": 2}, "unsupported_operators": []}


def test_import_analyze_prints_the_rejected_ops_and_fails_the_gate():
    result = run_cli("import-analyze", str(FIXTURES / "analyze_inference.json"))
    assert result.code == 1, result.stderr
    assert "neuronx-cc 2.26.6360.0+a1b2c3d4" in result.stdout
    assert "TRN101 unsupported-op: aten.fft_fft" in result.stdout
    assert "at model.py:6" in result.stdout
    assert "gate FAILED" in result.stdout


def test_import_analyze_json_and_a_clean_result_exits_zero(tmp_path):
    path = tmp_path / "clean.json"
    path.write_text(json.dumps(CLEAN))
    result = run_cli("import-analyze", str(path), "--format", "json")
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "trnport.evidence/1"
    assert data["findings"] == [] and data["supported_operators"] == {"aten.linear": 2}
    assert data["neuronx_cc"] == "2.26.6360.0"


def test_fail_on_none_never_fails():
    result = run_cli("import-analyze", str(FIXTURES / "analyze_inference.json"),
                     "--fail-on", "none")
    assert result.code == 0


def test_import_analyze_with_model_merges_into_the_models_report(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({**CLEAN, "unsupported_operators": [
        {"kind": "aten::softmax", "failureAt": "neuronx-cc"}]}))
    result = run_cli("import-analyze", str(path), "--model", str(SAMPLES / "tiny_cnn.onnx"),
                     "--format", "json")
    assert result.code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["schema"] == "trnport.report/1"
    softmax = next(r for r in report["operators"] if r["op"] == "onnx::Softmax")
    assert softmax["status"] == "unsupported"
    imported = [f for f in report["findings"] if f["provenance"]["kind"] == "imported"]
    assert [f["ops"] for f in imported] == [["aten.softmax"]]


def test_import_log_turns_codes_and_hlo_lists_into_findings():
    result = run_cli("import-log", str(FIXTURES / "neuronx_cc.log"), "--format", "json")
    assert result.code == 1, result.stderr
    data = json.loads(result.stdout)
    codes = sorted(f["code"] for f in data["findings"])
    assert codes == ["TRN101", "TRN101", "TRN103", "TRN103", "TRN401"]
    assert data["neuronx_cc"] == "2.26.6360.0+a1b2c3d4"


def test_import_log_of_a_clean_compile_passes(tmp_path):
    path = tmp_path / "ok.log"
    path.write_text("INFO: Compiler status PASS\n")
    result = run_cli("import-log", str(path))
    assert result.code == 0
    assert "no findings" in result.stdout and "gate passed" in result.stdout


@pytest.mark.parametrize("name, content, fragment", [
    ("empty.json", b"", "empty"),
    ("truncated.json", b'{"supported_operators": {"aten::relu": 1}, "unsupported_op', "JSON"),
    ("garbage.json", bytes(range(256)) * 8, "binary"),
    ("report.json", b'{"schema": "trnport.report/1", "findings": []}', "missing key"),
    ("wrongtype.json", b'{"supported_operators": {}, "unsupported_operators": {"a": 1}}',
     "must be a list"),
])
def test_bad_analyze_files_are_one_line_errors(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    assert_one_line_error(run_cli("import-analyze", str(path)), fragment)


@pytest.mark.parametrize("name, content, fragment", [
    ("empty.log", b"", "empty"),
    ("garbage.log", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8, "binary"),
])
def test_bad_logs_are_one_line_errors(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    assert_one_line_error(run_cli("import-log", str(path)), fragment)


def test_missing_files_are_one_line_errors(tmp_path):
    assert_one_line_error(run_cli("import-analyze", str(tmp_path / "nope.json")), "no such file")
    assert_one_line_error(run_cli("import-log", str(tmp_path)), "is a folder")


def test_check_probe_without_torch_neuronx_notes_it_and_keeps_the_exit_code(tmp_path):
    plain = run_cli("check", str(SAMPLES / "tiny_cnn.onnx"), "--no-history", "--no-config",
                    "--format", "json")
    probed = run_cli("check", str(SAMPLES / "tiny_cnn.onnx"), "--no-history", "--no-config",
                     "--format", "json", "--probe",
                     env={"PYTHONPATH": str(_blocker(tmp_path))})
    assert probed.code == plain.code, probed.stderr
    report = json.loads(probed.stdout)
    assert any("torch_neuronx is not importable" in d for d in report["diagnostics"])
    assert report["findings"] == json.loads(plain.stdout)["findings"]


def _blocker(folder):
    """A sitecustomize that makes torch_neuronx unimportable even on a Neuron host."""
    (folder / "sitecustomize.py").write_text(
        "import sys\nsys.modules['torch_neuronx'] = None\n")
    return folder
