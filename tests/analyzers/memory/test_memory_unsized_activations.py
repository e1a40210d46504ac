"""A model whose inputs keep symbolic dims (ONNX dim_param, no --input-shape): the memory
verdict says the fit is the weights' only, in every format, and compute is not claimed 0."""

import json

import pytest

from tests.analyzers.hazards import onnx_models
from tests.analyzers.report.browser import dump_dom
from tests.helpers import run_cli
from trnport.analyzers.api import analyze
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.report.html_renderer import render_html
from trnport.analyzers.report.markdown_renderer import render_markdown
from trnport.analyzers.results.memory import WEIGHTS_ONLY

pytestmark = pytest.mark.slow


@pytest.fixture
def symbolic(tmp_path):
    return onnx_models.dynamic_input(tmp_path / "d.onnx")


def test_json_says_activations_were_not_sized_and_leaves_compute_unknown(symbolic):
    result = run_cli("check", str(symbolic), "--format", "json", "--no-history", "--no-config")
    assert result.code == 0, result.stderr
    memory = json.loads(result.stdout)["memory"]
    assert memory["fit_basis"] == WEIGHTS_ONLY
    assert memory["activations"]["sized"] is False
    assert memory["activations"]["unsized_inputs"] == ["x"]
    assert memory["compute"]["flops"] is None and memory["compute"]["step_flops"] is None
    assert memory["compute"]["roofline"] == []


def test_pinned_shape_sizes_the_activations(symbolic):
    result = run_cli("check", str(symbolic), "--format", "json", "--no-history", "--no-config",
                     "--input-shape", "x=1x16x8")
    memory = json.loads(result.stdout)["memory"]
    assert memory["fit_basis"] == "weights and activations"
    assert memory["activations"]["sized"] is True and memory["activations"]["peak_bytes"] > 0
    assert memory["compute"]["flops"] is not None


def test_text_verdict_claims_no_fit_for_activations(symbolic):
    result = run_cli("check", str(symbolic), "--no-history", "--no-config")
    memory = result.stdout.split("MEMORY per NeuronCore", 1)[1].split("OPERATORS", 1)[0]
    assert f"-> {WEIGHTS_ONLY}" in memory and "-> FITS" not in memory
    assert "input x keeps symbolic dims" in memory
    assert "compute: not sized" in memory and "0 TFLOP" not in memory
    assert "largest batch per TP" not in memory


def test_markdown_and_html_say_weights_only(symbolic, tmp_path):
    report = analyze(symbolic, AnalysisOptions())
    markdown = render_markdown(report)
    assert f"— {WEIGHTS_ONLY}" in markdown and "Compute: not sized" in markdown
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    dom = dump_dom(page)
    assert f"— {WEIGHTS_ONLY}" in dom and f"({WEIGHTS_ONLY})" in dom
