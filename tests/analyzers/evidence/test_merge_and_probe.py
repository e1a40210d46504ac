"""Compiler verdicts replace the knowledge base's in a report; --probe runs analyze() when
torch_neuronx is importable and leaves a note when it is not."""

import dataclasses
import json
import sys
import types

import pytest

from tests.helpers import SAMPLES
from trnport.analyzers.api import analyze
from trnport.analyzers.evidence import apply_probe, merge_evidence, parse_analyze_result
from trnport.analyzers.evidence.model import PROBE
from trnport.analyzers.evidence.probe import UNAVAILABLE
from trnport.analyzers.kb import load_kb
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.results import Finding, Location, OperatorRow, Provenance


@pytest.fixture(scope="module")
def onnx_report():
    return analyze(SAMPLES / "tiny_cnn.onnx")


def _evidence(supported=None, unsupported=(), kind="imported"):
    return parse_analyze_result({
        "neuronx_cc_version": "2.26.6360.0",
        "supported_operators": supported or {},
        "unsupported_operators": [{"kind": k, "failureAt": "neuronx-cc"} for k in unsupported],
    }, source="r.json", kind=kind)


def test_rejected_aten_op_makes_the_onnx_row_unsupported_and_recounts(onnx_report):
    row = next(r for r in onnx_report.operators if r.op == "onnx::Softmax")
    assert row.status == "supported"
    merged = merge_evidence(onnx_report, _evidence(unsupported=["aten::softmax"]), load_kb())
    new_row = next(r for r in merged.operators if r.op == "onnx::Softmax")
    assert new_row.status == "unsupported"
    assert "neuronx-cc 2.26.6360.0" in new_row.reason
    before, after = onnx_report.summary, merged.summary
    assert after.nodes_by_status["unsupported"] == before.nodes_by_status["unsupported"] + 1
    assert after.coverage_pct < before.coverage_pct
    assert after.findings_by_severity["error"] == before.findings_by_severity["error"] + 1
    assert merged.summary.verdict == "blocked"
    imported = [f for f in merged.findings if f.provenance.kind == "imported"]
    assert [f.ops for f in imported] == [("aten.softmax",)]
    assert any("compiler evidence merged" in d for d in merged.diagnostics)


def test_op_compiled_in_one_configuration_and_rejected_in_another_keeps_its_row(onnx_report):
    evidence = _evidence(supported={"aten::softmax": 1}, unsupported=["aten::softmax"])
    merged = merge_evidence(onnx_report, evidence, load_kb())
    row = next(r for r in merged.operators if r.op == "onnx::Softmax")
    assert row.status == "supported"
    assert len(merged.findings) == len(onnx_report.findings) + 1


def test_unknown_op_the_compiler_compiled_becomes_supported_and_loses_its_unknown_finding(
        onnx_report):
    unknown_row = OperatorRow(op="aten.weird_op.default", count=2, status="unknown",
                              reason="no entry")
    unknown_finding = Finding(
        code="TRN105", symbol="unknown-op", severity="warning", category="unsupported_op",
        message="aten.weird_op.default: no entry", fix="probe it",
        ops=("aten.weird_op.default",), nodes=("n1", "n2"), location=Location(),
        provenance=Provenance("rule", "kb"))
    report = dataclasses.replace(
        onnx_report, operators=(*onnx_report.operators, unknown_row),
        findings=(*onnx_report.findings, unknown_finding))
    merged = merge_evidence(report, _evidence(supported={"aten::weird_op": 2}))
    row = next(r for r in merged.operators if r.op == "aten.weird_op.default")
    assert row.status == "supported" and "compiled it" in row.reason
    assert all(f.code != "TRN105" for f in merged.findings)
    assert merged.summary.nodes_by_status["unknown"] == 0


def test_probe_without_torch_neuronx_leaves_a_note_and_the_verdicts(onnx_report, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch_neuronx", None)  # import raises ImportError
    probed = apply_probe(onnx_report, SAMPLES / "tiny_cnn.onnx", AnalysisOptions())
    assert probed.diagnostics[-1] == UNAVAILABLE
    assert probed.operators == onnx_report.operators
    assert probed.findings == onnx_report.findings


def test_probe_on_an_onnx_model_is_skipped_with_a_reason(onnx_report, monkeypatch):
    fake = types.ModuleType("torch_neuronx")
    fake.analyze = lambda *args, **kwargs: pytest.fail("analyze() must not run on ONNX")
    monkeypatch.setitem(sys.modules, "torch_neuronx", fake)
    probed = apply_probe(onnx_report, SAMPLES / "tiny_cnn.onnx", AnalysisOptions())
    assert "Python model files" in probed.diagnostics[-1]


@pytest.mark.slow
def test_check_probe_merges_a_fake_torch_neuronx_verdict(monkeypatch, capsys, tmp_path):
    calls = []

    def fake_analyze(model, example_inputs, **kwargs):
        calls.append((type(model).__name__, type(example_inputs).__name__))
        return {"torch_neuronx_version": "2.9.0.2.15.32035",
                "neuronx_cc_version": "2.27.5334.0+fake",
                "support_percentage": "90.00%",
                "supported_operators": {"aten::linear": 4},
                "unsupported_operators": [{"kind": "aten::gelu", "failureAt": "neuronx-cc",
                                           "call": "mlp_model.py(50): forward"}]}

    fake = types.ModuleType("torch_neuronx")
    fake.analyze = fake_analyze
    monkeypatch.setitem(sys.modules, "torch_neuronx", fake)
    from trnport.app.cli.main import main

    out = tmp_path / "r.json"
    code = main(["check", str(SAMPLES / "mlp_model.py"), "--trust-code", "--no-history",
                 "--no-config", "--probe", "--format", "json", "--output", str(out), "--quiet"])
    report = json.loads(out.read_text())
    assert calls and calls[0][1] == "tuple"
    assert code == 1
    probed = [f for f in report["findings"] if f["provenance"]["kind"] == PROBE]
    assert [f["ops"] for f in probed] == [["aten.gelu"]]
    assert "2.27.5334.0+fake" in probed[0]["provenance"]["source"]
    gelu = [r for r in report["operators"] if r["op"].startswith("aten.gelu")]
    assert gelu and all(r["status"] == "unsupported" for r in gelu)
    assert any("compiler evidence merged" in d for d in report["diagnostics"])
