"""``--probe xla``: what torch-xla really did is merged into the report (provenance
``xla-probe``), both verdicts are shown where they disagree, and the probe leaves only a note
where torch-xla is not importable. The probe itself runs in ``make compat`` (torch-xla 2.9);
here its observations are merged into real reports."""

from __future__ import annotations

from collections import Counter
from importlib import util
from pathlib import Path

import pytest

from trnport.analyzers.api import analyze
from trnport.analyzers.evidence.xla_probe import (
    XlaObservation,
    apply_xla_probe,
    hlo_support,
    merge_observation,
    parse_hlo,
)
from trnport.analyzers.options import AnalysisOptions

MODEL = '''import torch

class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(8, 8)

    def forward(self, x):
        return torch.hypot(self.proj(x), x).relu()

model = Model()
example_inputs = (torch.randn(2, 8),)
'''
# the shape of a graph torch-xla writes with XLA_SAVE_TENSORS_FMT=hlo (abridged; the lines
# are as long as HLO writes them)
HLO = '''HloModule SyncTensorsGraph.12, entry_computation_layout={(f32[8,8]{1,0})->(f32[2,8]{1,0})}

ENTRY %SyncTensorsGraph.12 (p0.1: f32[8,8], p1.2: f32[2,8]) -> (f32[2,8]) {
  %p1.2 = f32[2,8]{1,0} parameter(1)
  %p0.1 = f32[8,8]{1,0} parameter(0)
  %transpose.3 = f32[8,8]{0,1} transpose(f32[8,8]{1,0} %p0.1), dimensions={1,0}
  %dot.4 = f32[2,8]{1,0} dot(f32[2,8]{1,0} %p1.2, f32[8,8]{0,1} %transpose.3), lhs_contracting_dims={1}, rhs_contracting_dims={0}
  %fft.5 = c64[2,8]{1,0} fft(c64[2,8]{1,0} %dot.4), fft_type=FFT, fft_length={8}
  %custom-call.6 = f32[2,8]{1,0} custom-call(f32[2,8]{1,0} %dot.4), custom_call_target="AwsNeuronGelu"
  %tuple.7 = (f32[2,8]{1,0}, f32[2,8]{1,0}) tuple(f32[2,8]{1,0} %dot.4, f32[2,8]{1,0} %custom-call.6)
  ROOT %tuple.8 = (f32[2,8]{1,0}) tuple(f32[2,8]{1,0} %dot.4)
}
'''


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("xla") / "hypot_model.py"
    path.write_text(MODEL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def report(model_file):
    return analyze(model_file, AnalysisOptions(target="inf2", sdk="2.32", trust_code=True))


def _observation(report, fallbacks: dict[str, int], hlo: str = "") -> XlaObservation:
    dispatched = {row.op: row.count for row in report.operators}
    opcodes, calls = parse_hlo(hlo)
    return XlaObservation(torch="2.9.0", torch_xla="2.9.0", dispatched=dispatched,
                          fallbacks=fallbacks, graphs_executed=2, hlo_opcodes=opcodes,
                          custom_calls=calls)


def _row(report, prefix: str):
    return next(row for row in report.operators if row.op.startswith(prefix))


def test_hlo_text_gives_its_opcodes_and_custom_call_targets():
    opcodes, calls = parse_hlo(HLO)
    assert opcodes == Counter({"parameter": 2, "transpose": 1, "dot": 1, "fft": 1,
                               "custom-call": 1, "tuple": 2})
    assert calls == Counter({"AwsNeuronGelu": 1})


def test_the_hlo_table_has_every_opcode_with_a_status_and_unsupported_ones_a_source():
    table = hlo_support()
    assert {"add", "dot", "fft", "sort", "custom-call"} <= set(table["opcodes"])
    for opcode, entry in table["opcodes"].items():
        assert entry["status"] in ("supported", "supported_with_constraints", "partial",
                                   "unsupported", "unknown"), opcode
        if entry["status"] == "unsupported":
            assert entry.get("source"), opcode
    assert "AwsNeuronGelu" in table["custom_call_targets"]


def test_a_fallback_the_static_verdict_predicted_is_confirmed_not_repeated(report):
    assert _row(report, "aten.hypot").status == "cpu_fallback"
    merged, disagreements = merge_observation(report, _observation(report, {"aten::hypot": 1}))
    row = _row(merged, "aten.hypot")
    assert row.status == "cpu_fallback" and row.confidence == "high"
    assert "confirmed: torch-xla 2.9.0 (xla-probe) ran it on the CPU" in row.reason
    assert disagreements == ()
    assert not [f for f in merged.findings if f.provenance.kind == "xla-probe"]
    assert any(d.startswith("xla probe merged: torch-xla 2.9.0 on the CPU")
               and "2 device graph(s) executed, 1 op(s) ran on the CPU" in d
               for d in merged.diagnostics)


def test_a_fallback_the_static_verdict_missed_becomes_a_finding_and_a_disagreement(report):
    relu = _row(report, "aten.relu")
    assert relu.status == "supported"
    merged, disagreements = merge_observation(
        report, _observation(report, {"aten::hypot": 1, "aten::relu": 3}))
    row = _row(merged, "aten.relu")
    assert row.status == "cpu_fallback"
    assert row.reason.startswith("torch-xla 2.9.0 (xla-probe) ran it on the CPU; static "
                                 "verdict supported")
    probed = [f for f in merged.findings if f.provenance.kind == "xla-probe"]
    assert [(f.code, f.ops) for f in probed] == [("TRN102", (relu.op,))]
    assert "3 call(s)" in probed[0].message and probed[0].severity == "warning"
    assert [(d.op, d.static, d.probe) for d in disagreements] == [
        ("aten.relu", "supported", "cpu_fallback")]
    assert merged.summary.nodes_by_status["cpu_fallback"] > \
        report.summary.nodes_by_status["cpu_fallback"]
    assert any("disagree on aten.relu: static supported, torch-xla cpu_fallback" in d
               for d in merged.diagnostics)


def test_an_op_torch_xla_lowered_loses_the_static_fallback_but_keeps_it_in_the_reason(report):
    merged, disagreements = merge_observation(report, _observation(report, {}))
    row = _row(merged, "aten.hypot")
    assert row.status == "supported"
    assert "lowered it; static verdict cpu_fallback" in row.reason
    assert not [f for f in merged.findings if f.code == "TRN102" and
                any(op.startswith("aten.hypot") for op in f.ops)]
    assert [(d.op, d.probe) for d in disagreements] == [("aten.hypot", "lowered")]


def test_an_unsupported_hlo_opcode_is_an_error_and_undocumented_ones_are_noted(report):
    merged, _ = merge_observation(report, _observation(report, {"aten::hypot": 1}, HLO))
    errors = [f for f in merged.findings if f.provenance.kind == "xla-probe"]
    assert [(f.code, f.severity, f.ops) for f in errors] == [("TRN101", "error", ("hlo.fft",))]
    assert "EHCA" not in errors[0].message and "source:" in errors[0].message
    assert merged.summary.verdict == "blocked"


@pytest.mark.skipif(util.find_spec("torch_xla") is not None, reason="torch-xla is installed")
def test_without_torch_xla_the_probe_leaves_a_note_and_changes_nothing(report, model_file):
    probed, disagreements = apply_xla_probe(report, model_file,
                                            AnalysisOptions(trust_code=True))
    assert disagreements == ()
    assert probed.operators == report.operators and probed.findings == report.findings
    assert probed.diagnostics[-1].startswith("xla probe unavailable: torch-xla is not "
                                             "importable here")


def test_an_unknown_op_the_probe_saw_loses_its_unknown_finding(report):
    import dataclasses

    from trnport.analyzers.results import Finding, Location, Provenance

    row = _row(report, "aten.relu")
    unknown = Finding(code="TRN105", symbol="unknown-op", severity="warning",
                      category="unsupported_op", message=f"{row.op}: not in the knowledge base",
                      fix="verify it", ops=(row.op,), nodes=("relu",), location=Location(),
                      provenance=Provenance(kind="rule", source="kb"))
    rows = tuple(dataclasses.replace(r, status="unknown") if r is row else r
                 for r in report.operators)
    gap = dataclasses.replace(report, operators=rows, findings=(*report.findings, unknown))
    merged, _ = merge_observation(gap, _observation(gap, {"aten::hypot": 1}))
    assert _row(merged, "aten.relu").status == "supported"
    assert not [f for f in merged.findings if f.code == "TRN105"]


def test_a_fallback_of_an_op_the_static_graph_decomposed_points_at_the_model(report):
    merged, _ = merge_observation(report, _observation(report, {"aten::hypot": 1,
                                                                "aten::sinc": 1}))
    sinc = [f for f in merged.findings if f.ops == ("aten.sinc",)]
    assert len(sinc) == 1 and sinc[0].symbol == "host-fallback"
    assert sinc[0].location.file == report.model.path
