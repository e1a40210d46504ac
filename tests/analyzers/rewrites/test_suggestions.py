"""The report's rewrite suggestions: ranked by gain, valid against the schema, and for
Python-file models a unified diff labelled as a suggestion."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import onnx

from tests.analyzers.rewrites import models
from trnport.analyzers.api import analyze
from trnport.analyzers.results import Finding, Location, Provenance
from trnport.analyzers.rewrites.source_diff import source_diff
from trnport.analyzers.rewrites.suggest import suggest_rewrites

SCHEMA = Path(__file__).resolve().parents[3] / "resources" / "schemas" / "report.schema.json"


def test_onnx_report_ranks_automated_rewrite_first_and_validates(tmp_path):
    import jsonschema

    from trnport.analyzers.report.json_renderer import render_json

    path = tmp_path / "onehot.onnx"
    onnx.save(models.one_hot(), str(path))
    report = analyze(path)
    first = report.rewrites[0]
    assert first.id == "RW-one-hot-compare-arange" and first.automated
    assert first.nodes_on_device == 1 and first.rank == 1
    assert first.apply.endswith("--apply RW-one-hot-compare-arange")
    jsonschema.validate(json.loads(render_json(report)), json.loads(SCHEMA.read_text()))


def test_gain_orders_fallbacks_before_hints():
    def finding(rewrite, node):
        return Finding(code="TRN101", symbol="unsupported-op", severity="error",
                       category="unsupported_op", message="m", fix="f", ops=("aten.x",),
                       nodes=(node,), location=Location(),
                       provenance=Provenance(kind="rule", source="s"), rewrite=rewrite)

    statuses = {"a": ("supported", None), "b": ("cpu_fallback", "RW-b")}
    found = suggest_rewrites([finding("RW-a", "a"), finding("RW-b", "b")], statuses,
                             {"b": 100}, None, "pt2")
    assert [(s.id, s.flops_on_device, s.host_round_trips_removed, s.rank) for s in found] == [
        ("RW-b", 100, 1, 1), ("RW-a", 0, 0, 2)]


def test_python_source_gets_a_unified_diff_suggestion(tmp_path):
    source = tmp_path / "model.py"
    source.write_text("def f(scores):\n"
                      "    fill = torch.finfo(scores.dtype).min\n"
                      "    return fill\n")
    diff = source_diff("RW-finite-mask-fill", str(source), 2)
    assert "-    fill = torch.finfo(scores.dtype).min" in diff
    assert "+    fill = -1e4" in diff
    assert "(suggestion, not verified)" in diff
    assert source_diff("RW-finite-mask-fill", str(source), 3) is None


def test_onnx_rewrite_path_does_not_import_torch(tmp_path):
    path = tmp_path / "m.onnx"
    onnx.save(models.integer_topk(), str(path))
    code = ("import sys\nfrom trnport.app.cli.main import main\n"
            f"main(['rewrite', {str(path)!r}, '--all-safe', '-o', {str(tmp_path / 'o.onnx')!r}])\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_topk_diff_edits_the_call_once(tmp_path):
    """``torch.topk(x, k)`` gets one cast, not a second one on ``torch`` itself."""
    from trnport.analyzers.rewrites.source_diff import source_diff

    source = tmp_path / "model.py"
    source.write_text("values, idx = torch.topk(scores, 3)\n", encoding="utf-8")
    diff = source_diff("RW-topk-int-to-float", str(source), 1)
    assert "+values, idx = torch.topk(scores.float(), 3)\n" in diff
    assert "torch.float()" not in diff


def test_opset_errors_are_told_apart_from_what_blocks_neuron(tmp_path):
    """A ReduceMean onnx2torch cannot convert at opset 18 is answered by the rewrite chain;
    the NonZero beside it blocks Neuron whatever the opset."""
    import jsonschema
    import numpy as np
    from onnx import TensorProto, helper

    from trnport.analyzers.report.json_renderer import render_json
    from trnport.analyzers.report.text_renderer import render_text

    nodes = [helper.make_node("ReduceMean", ["x", "axes"], ["m"], name="mean", keepdims=1),
             helper.make_node("NonZero", ["m"], ["where"], name="nz")]
    built = models.model(nodes, [models.tensor("x", TensorProto.FLOAT, [2, 3, 4])],
                         [models.tensor("where", TensorProto.INT64, [3, None])],
                         [models.const("axes", np.array([2], dtype=np.int64))], opset=18)
    path = tmp_path / "mixed.onnx"
    onnx.save(built, str(path))
    from trnport.analyzers.options import AnalysisOptions

    report = analyze(path, AnalysisOptions(target="inf2", sdk="2.32"))  # NonZero: an error
    fix = report.summary.converter_fix
    assert (fix.converter_errors, fix.neuron_errors, fix.fixable) == (1, 1, False)
    assert fix.chain == ("RW-onnx-opset-downgrade",)
    text = render_text(report)
    assert "1 error blocks only the onnx2torch converter" in text
    assert "1 error blocks Neuron itself" in text and "fixable:" not in text
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(json.loads(render_json(report)), schema)


def test_report_without_converter_errors_has_no_fix_plan(tmp_path):
    path = tmp_path / "onehot.onnx"
    onnx.save(models.integer_topk(), str(path))
    assert analyze(path).summary.converter_fix is None
