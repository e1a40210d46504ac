"""trnport installed into a PyTorch/XLA environment (torch 2.9.0, torch-xla 2.9.0): its torch
is left alone, the loaders and coverage work on torch 2.9, and ``--probe xla`` runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trnport.analyzers.api import analyze
from trnport.analyzers.options import AnalysisOptions

TRNPORT = [sys.executable, "-m", "trnport.app.entry"]


def _check(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*TRNPORT, "check", *args, "--no-history", "--no-config"],
                          capture_output=True, text=True, timeout=900, cwd=cwd)


def _report(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_torch_and_torch_xla_stay_at_the_environments_versions():
    from importlib import metadata

    assert metadata.version("torch").split("+")[0] == "2.9.0"
    assert metadata.version("torch-xla").split("+")[0] == "2.9.0"


def test_python_file_is_exported_and_judged_on_torch_2_9(models):
    report = analyze(models / "plain_model.py",
                          AnalysisOptions(target="inf2", sdk="2.32", trust_code=True))
    assert report.model.torch == "2.9.0"
    statuses = {row.op: row.status for row in report.operators}
    assert statuses, "no operators analysed"
    assert not [op for op, status in statuses.items() if status == "unknown"], statuses
    assert report.summary.verdict == "ready", [f.code for f in report.findings]


def test_pt2_exported_with_torch_2_9_is_read(tmp_path):
    import torch

    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(),
                                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                                torch.nn.Linear(8, 2))
    program = torch.export.export(model, (torch.randn(1, 3, 16, 16),))
    path = tmp_path / "cnn.pt2"
    torch.export.save(program, str(path))
    report = analyze(path, AnalysisOptions(target="inf2", sdk="2.32"))
    assert report.model.format == "pt2"
    assert {"aten.convolution.default", "aten.relu.default"} <= {r.op for r in report.operators}
    assert not [r.op for r in report.operators if r.status == "unknown"]


@pytest.mark.slow
def test_hugging_face_config_is_built_on_the_meta_device(tmp_path):
    from transformers import LlamaConfig

    config = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, vocab_size=256)
    config.save_pretrained(tmp_path)
    report = analyze(tmp_path, AnalysisOptions(target="inf2", sdk="2.32", seq_len=32))
    assert report.model.format == "hf-config"
    assert report.summary.verdict != "blocked", [f.message for f in report.findings]


def test_check_command_works(models):
    report = _report(_check(str(models / "plain_model.py"), "--trust-code", "--target", "inf2",
                            "--format", "json", cwd=models))
    assert report["model"]["torch"] == "2.9.0"
    assert report["kb"]["torch"], "the report names the torch the knowledge base came from"


@pytest.mark.slow
def test_xla_probe_reports_what_really_fell_back(models, tmp_path):
    store = tmp_path / "disagreements.jsonl"
    result = subprocess.run(
        [*TRNPORT, "check", str(models / "fallback_model.py"), "--trust-code", "--probe", "xla",
         "--target", "inf2", "--sdk", "2.32", "--format", "json", "--no-history",
         "--no-config"],
        capture_output=True, text=True, timeout=900, cwd=models,
        env={**__import__("os").environ, "TRNPORT_DISAGREEMENTS": str(store)})
    report = _report(result)
    probed = [f for f in report["findings"] if f["provenance"]["kind"] == "xla-probe"]
    rows = {row["op"]: row for row in report["operators"]}
    i0 = [row for op, row in rows.items() if op.startswith("aten.i0")]
    assert i0 and i0[0]["status"] == "cpu_fallback", rows.keys()
    assert "xla-probe" in i0[0]["reason"]
    merged = [d for d in report["diagnostics"] if d.startswith("xla probe merged")]
    assert merged and "torch-xla 2.9.0" in merged[0], report["diagnostics"]
    # the static verdict already sent aten.i0 to the host: the probe confirms, adds no copy
    assert all("aten.i0" not in " ".join(f["ops"]) for f in probed) or probed
    plain = _report(_check(str(models / "plain_model.py"), "--trust-code", "--probe", "xla",
                           "--target", "inf2", "--format", "json", cwd=models))
    assert not [f for f in plain["findings"] if f["provenance"]["kind"] == "xla-probe"]
    assert any(d.startswith("xla probe merged") and "0 op(s) ran on the CPU" in d
               for d in plain["diagnostics"]), plain["diagnostics"]


def test_doctor_names_the_xla_stack_and_the_probe():
    result = subprocess.run([*TRNPORT, "doctor", "--format", "json"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["versions"]["torch"].startswith("2.9.0")
    assert found["stack"] == "xla"
    assert found["probes"]["--probe xla"].startswith("available")


def test_torchscript_saved_with_torch_2_9_is_read(tmp_path):
    import torch

    path = tmp_path / "scripted.pt"
    torch.jit.script(torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU())).save(str(path))
    report = analyze(path, AnalysisOptions(target="inf2", sdk="2.32"))
    assert report.model.format == "torchscript"
    assert report.summary.verdict == "ready"


def test_pt2_saved_by_the_suites_torch_is_read_on_torch_2_9():
    # tests/golden/models/sort_and_cumsum.pt2 was written by torch 2.13 (constraints.txt)
    path = Path(__file__).resolve().parents[1] / "golden" / "models" / "sort_and_cumsum.pt2"
    report = analyze(path, AnalysisOptions(target="inf2", sdk="2.32"))
    assert {row.op for row in report.operators} >= {"aten.sort.default", "aten.cumsum.default"}
