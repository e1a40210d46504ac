"""``trnport check`` for one (target, SDK, stack): the stack in every report, the refusal of a
stack the line does not offer, --stack and the ``stack`` config key, XLA training on a line
that no longer supports it, ``--compare SDK[:STACK]``, and imported TorchNeuron tables."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from tests.app.check_models import TINY_CNN
from tests.helpers import REPO, assert_one_line_error, run_cli

REPORT_SCHEMA = json.loads((REPO / "resources" / "schemas" / "report.schema.json").read_text())
TABLE = REPO / "tests" / "fixtures" / "torchneuron" / "compat_table.md"
FFT_MODEL = """\
import torch


class Spectrum(torch.nn.Module):
    def forward(self, x):
        return torch.fft.rfft(x).abs()


model = Spectrum()
example_inputs = (torch.randn(4, 64),)
"""


def _json(*args, env=None) -> dict:
    result = run_cli("check", *args, "--no-history", "--no-config", "--format", "json",
                     "--fail-on", "none", env=env)
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    return report


@pytest.fixture(scope="module")
def fft_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("fft") / "spectrum.py"
    path.write_text(FFT_MODEL, encoding="utf-8")
    return path


def test_the_report_names_the_stack_of_the_target_and_line():
    trn2 = _json(str(TINY_CNN))
    assert (trn2["kb"]["profile"], trn2["target"]["stack"]) == ("2.34", "torchneuron")
    assert trn2["target"]["stack_label"] == "TorchNeuron (public beta)"
    inf2 = _json(str(TINY_CNN), "--target", "inf2")
    assert inf2["target"]["stack"] == "xla"
    assert _json(str(TINY_CNN), "--sdk", "2.32")["target"]["stack"] == "xla"
    older = _json(str(TINY_CNN), "--sdk", "2.33", "--stack", "xla")
    assert older["target"]["stack_label"] == "PyTorch/XLA (deprecated)"


def test_xla_on_trn2_with_2_34_is_refused_with_one_line():
    result = run_cli("check", str(TINY_CNN), "--no-history", "--no-config", "--stack", "xla")
    assert_one_line_error(result, "PyTorch/XLA is not available for trn2 on Neuron SDK 2.34",
                          "--stack torchneuron")
    assert_one_line_error(run_cli("check", str(TINY_CNN), "--no-history", "--no-config",
                                  "--target", "inf2", "--stack", "torchneuron"),
                          "TorchNeuron is not available for inf2")
    assert_one_line_error(run_cli("check", str(TINY_CNN), "--stack", "jax"), "--stack")


def test_the_stack_config_key_reaches_the_analysis(tmp_path):
    (tmp_path / "trnport.toml").write_text('sdk = "2.33"\nstack = "xla"\n')
    result = run_cli("check", str(TINY_CNN), "--no-history", "--format", "json",
                     "--fail-on", "none", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["target"]["stack"] == "xla"
    (tmp_path / "trnport.toml").write_text('stack = "tpu"\n')
    assert_one_line_error(run_cli("check", str(TINY_CNN), "--no-history", cwd=tmp_path),
                          "stack", "expected one of xla, torchneuron")


def test_every_format_names_the_stack_in_its_header(tmp_path):
    out = tmp_path / "out"
    result = run_cli("check", str(TINY_CNN), "--no-history", "--no-config", "--fail-on",
                     "none", "--format", "text,markdown,html,junit,sarif", "--output-dir",
                     str(out))
    assert result.code == 0, result.stderr
    assert "stack TorchNeuron (public beta)" in (out / "tiny_cnn.txt").read_text()
    markdown = (out / "tiny_cnn.md").read_text()
    assert "| SDK profile | Stack |" in markdown and r"TorchNeuron \(public beta\) |" in markdown
    assert "TorchNeuron (public beta)</span>" in (out / "tiny_cnn.html").read_text()
    junit = ET.parse(out / "tiny_cnn.junit.xml").getroot()
    properties = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert properties["stack"] == "torchneuron"
    sarif = json.loads((out / "tiny_cnn.sarif").read_text())
    model_facts = sarif["runs"][0]["properties"]["models"][0]
    assert (model_facts["stack"], model_facts["stackLabel"]) == ("torchneuron",
                                                                 "TorchNeuron (public beta)")


def test_an_op_outside_every_lowering_list_warns_on_trn2_and_keeps_its_xla_error_on_inf2(
        fft_model):
    trn2 = _json(str(fft_model), "--trust-code")
    fft = [f for f in trn2["findings"] if "aten._fft_r2c.default" in f["ops"]]
    assert {f["code"] for f in fft} >= {"TRN102"} and "TRN101" not in {f["code"] for f in fft}
    assert all(f["severity"] != "error" for f in fft)
    assert trn2["summary"]["verdict"] == "needs-work"
    inf2 = _json(str(fft_model), "--trust-code", "--target", "inf2")
    error = next(f for f in inf2["findings"] if f["code"] == "TRN101")
    assert error["severity"] == "error" and "rejected by neuronx-cc" in error["message"]


def test_training_on_xla_from_2_30_is_an_error_naming_torchneuron():
    mlp = REPO / "resources" / "samples" / "mlp_model.py"
    report = _json(str(mlp), "--trust-code", "--mode", "training", "--stack", "xla",
                   "--sdk", "2.32")
    (finding,) = [f for f in report["findings"] if f["code"] == "TRN602"]
    assert finding["severity"] == "error" and "TorchNeuron" in finding["message"]
    assert "announce-no-support-pytorch-xla-training" in finding["provenance"]["source"]
    assert not [f for f in _json(str(mlp), "--trust-code", "--mode", "training")["findings"]
                if f["code"] == "TRN602"]  # TorchNeuron trains on trn2
    old = _json(str(mlp), "--trust-code", "--mode", "training", "--sdk", "2.29")
    assert not [f for f in old["findings"] if f["code"] == "TRN602"]


def test_compare_lists_what_changes_in_text_json_and_html(fft_model, tmp_path):
    text = run_cli("check", str(fft_model), "--trust-code", "--no-history", "--no-config",
                   "--compare", "2.32:xla")
    assert text.code == 0, text.stderr
    assert "current: trn2, SDK 2.34, TorchNeuron (public beta)" in text.stdout
    assert "other:   trn2, SDK 2.32, PyTorch/XLA" in text.stdout
    assert "aten._fft_r2c.default: cpu_fallback x1 -> unsupported x1" in text.stdout
    assert "NEW FINDINGS" in text.stdout and "FINDINGS GONE" in text.stdout
    out = tmp_path / "cmp"
    files = run_cli("check", str(fft_model), "--trust-code", "--no-history", "--no-config",
                    "--compare", "2.32:xla", "--format", "json,html", "--output-dir", str(out))
    assert files.code == 0, files.stderr
    data = json.loads((out / "spectrum.compare.json").read_text())
    assert data["schema"] == "trnport.comparison/1"
    assert (data["current"]["stack"], data["other"]["stack"]) == ("torchneuron", "xla")
    change = next(c for c in data["operators"] if c["op"] == "aten._fft_r2c.default")
    assert (change["before"], change["after"]) == ({"cpu_fallback": 1}, {"unsupported": 1})
    assert {f["code"] for f in data["findings"]["new"]} >= {"TRN101"}
    assert {f["code"] for f in data["findings"]["gone"]} >= {"TRN102"}
    html = (out / "spectrum.compare.html").read_text()
    assert "Operator verdicts that change" in html and "aten._fft_r2c.default" in html


@pytest.mark.parametrize("args, fragment", [
    (("--compare", "2.34:xla"), "PyTorch/XLA is not available for trn2"),
    (("--compare", "2.32:jax"), "unknown stack 'jax'"),
    (("--compare", "2.32", "--format", "sarif"), "--compare writes text, json, html"),
])
def test_bad_compare_requests_are_one_line_errors(args, fragment):
    result = run_cli("check", str(TINY_CNN), "--no-history", "--no-config", *args)
    assert_one_line_error(result, fragment)


def test_an_imported_table_is_stored_per_version_and_decides_verdicts(fft_model, tmp_path):
    env = {"TRNPORT_TORCHNEURON_TABLES": str(tmp_path / "tables")}
    imported = run_cli("kb", "import-torchneuron", str(TABLE), "--torch-neuronx", "2.14.3.0",
                       "--format", "json", env=env)
    assert imported.code == 0, imported.stderr
    data = json.loads(imported.stdout)
    assert data["by_status"] == {"Y": 5, "CPU_FALLBACK": 2, "N": 2}
    assert set(data["profiles"]) == {"2.33", "2.34"}
    assert (tmp_path / "tables" / "torch-neuronx-2.14.3.0.json").is_file()
    report = _json(str(fft_model), "--trust-code", env=env)
    assert report["kb"]["torchneuron_table"] == "2.14.3.0"
    fft = next(f for f in report["findings"] if "aten._fft_r2c.default" in f["ops"]
               and f["code"] == "TRN102")
    assert fft["provenance"]["kind"] == "imported"
    assert "torch_api_compatibility.md 2.14.3.0" in fft["provenance"]["source"]
    assert not _json(str(fft_model), "--trust-code", "--target", "inf2",
                     env=env)["kb"]["torchneuron_table"]


@pytest.mark.parametrize("fixture, version, fragment", [
    ("unknown_status.md", "2.14.3.0", "is not one of Y, CPU_FALLBACK, N"),
    ("no_limitations.md", "2.14.3.0", "no Limitations column"),
    ("compat_table.md", "2.9.0.2.15.32035", "is the PyTorch/XLA library"),
])
def test_an_unexpected_table_is_refused_with_one_line(tmp_path, fixture, version, fragment):
    result = run_cli("kb", "import-torchneuron", str(TABLE.parent / fixture), "--torch-neuronx",
                     version, env={"TRNPORT_TORCHNEURON_TABLES": str(tmp_path)})
    assert_one_line_error(result, fragment)
    assert not list(tmp_path.iterdir())


def test_the_html_report_of_a_torchneuron_analysis_says_the_table_is_missing(tmp_path):
    out = tmp_path / "html"
    run_cli("check", str(TINY_CNN), "--no-history", "--no-config", "--format", "html",
            "--output-dir", str(out), "--fail-on", "none")
    page = (out / "tiny_cnn.html").read_text()
    assert "TorchNeuron table</th><td>not imported" in page
