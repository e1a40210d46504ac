"""No finding, fix or rewrite recommends PyTorch/XLA or NxD for trn2/trn3 on 2.34, and the
hazard and recompilation findings follow torch.compile's rules on TorchNeuron."""

from __future__ import annotations

import re

import pytest

from trnport.analyzers.api import analyze
from trnport.analyzers.options import AnalysisOptions

MODEL = """\
import torch


class Mixed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(64, 64)

    def forward(self, x):
        peak = x.abs().max().item()
        y = self.proj(x) / peak
        spectrum = torch.fft.rfft(y).abs()
        scaled = torch.addmm(y[:, :8], y[:, :16], torch.ones(16, 8), beta=0.5)
        return spectrum.sum() + scaled.sum(), torch.nonzero(y > 0)


model = Mixed()
example_inputs = [(torch.randn(n, 64),) for n in (2, 4, 8)]
"""
XLA_ADVICE = re.compile(
    r"torch_neuronx\.trace|torch-xla|torch_xla|xm\.|mark_step|add_step_closure|lazy XLA|"
    r"XLA_USE_BF16|NxD|neuronx-distributed|parallel_model_trace|ModelBuilder|"
    r"PartitionerConfig", re.I)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("advice") / "mixed.py"
    path.write_text(MODEL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def on_torchneuron(model_file):
    return analyze(model_file, AnalysisOptions(target="trn2", trust_code=True))


@pytest.mark.slow
@pytest.mark.parametrize("family", ["trn2", "trn3"])
def test_nothing_recommends_xla_or_nxd_on_torchneuron(model_file, family, on_torchneuron):
    report = on_torchneuron if family == "trn2" else analyze(
        model_file, AnalysisOptions(target=family, trust_code=True))
    assert report.target.stack == "torchneuron"
    texts = [f.message for f in report.findings] + [f.fix for f in report.findings] + \
        [r.title for r in report.rewrites] + [row.reason for row in report.operators]
    offending = [text for text in texts if XLA_ADVICE.search(text)]
    assert not offending, offending


@pytest.mark.slow
def test_hazards_follow_torch_compile_on_torchneuron(on_torchneuron):
    by_code = {}
    for finding in on_torchneuron.findings:
        by_code.setdefault(finding.code, []).append(finding)
    host_read = by_code["TRN303"][0]
    assert "fullgraph=True" in host_read.message and "breaks the graph" in host_read.message
    assert "every N steps" in by_code["TRN303"][0].fix or host_read.rewrite
    recompile = by_code["TRN310"][0]
    assert "rejects dynamic=True" in recompile.message
    assert "compiles again for every new input shape" in recompile.message
    fallback = next(f for f in by_code["TRN102"] if "_fft_r2c" in f.ops[0])
    assert fallback.severity == "warning" and "per call" in fallback.message
    assert not [f for f in on_torchneuron.findings if f.severity == "error"
                and f.code in ("TRN101", "TRN301")]


@pytest.mark.slow
def test_the_same_model_on_xla_keeps_the_xla_advice(model_file):
    report = analyze(model_file, AnalysisOptions(target="inf2", trust_code=True))
    host_read = next(f for f in report.findings if f.code == "TRN303")
    assert "torch_neuronx.trace freezes the value" in host_read.message
    assert any(f.code == "TRN101" and f.severity == "error" for f in report.findings)
    scalar = next(r for r in report.rewrites if r.id == "RW-keep-scalar-on-device")
    assert "xm.add_step_closure" in scalar.title
