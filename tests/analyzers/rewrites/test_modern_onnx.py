"""Modern ONNX exports: `torch.onnx.export(..., dynamo=True)` writes opset 18+, which the
onnx2torch converter takes only in part. A ResNet-style CNN, a ViT-style encoder and a
shifted-window attention block, built in code, are exported both ways; the ONNX report
separates the converter-only errors ("fixable") from what blocks Neuron and names the whole
rewrite chain, and after `trnport rewrite --all-safe` the ONNX and PyTorch reports flag the
same ops."""

from __future__ import annotations

import contextlib
import io
import runpy
import warnings

import onnx
import pytest

from tests.analyzers.rewrites.modern_models import MODELS
from tests.helpers import run_cli
from trnport.analyzers.api import analyze
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.report.text_renderer import render_text

OPTIONS = AnalysisOptions(target="inf2", sdk="2.32", trust_code=True)
ON_DEVICE = ("supported", "conditional")


def _export_both_ways(folder, name):
    import torch

    source = folder / f"{name}.py"
    source.write_text(MODELS[name])
    namespace = runpy.run_path(str(source))
    exported = folder / f"{name}.onnx"
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(namespace["model"], namespace["example_inputs"], str(exported),
                          dynamo=True, external_data=False)
    return source, exported


def _base(op):
    """``aten.view.default`` → ``view``: the op as either form names it."""
    return op.split(".")[1] if op.startswith("aten.") else op


def flagged_ops(report):
    """The PyTorch ops a report keeps off the device or blocks on: ops with a status other
    than supported/conditional and the ops of error findings, an ONNX node counted as the
    ATen op it was exported from."""
    def aten_ops(op, source_ops):
        return {_base(s) for s in source_ops} if op.startswith("onnx::") and source_ops \
            else {_base(op)}

    flagged = set()
    for row in report.operators:
        if row.status not in ON_DEVICE:
            flagged |= aten_ops(row.op, row.source_ops)
    for finding in report.findings:
        if finding.severity == "error":
            for op in finding.ops:
                source = finding.message.split("(from ", 1)[1].split(")")[0] \
                    if "(from " in finding.message else None
                flagged |= aten_ops(op, (source,) if source else ())
    return flagged


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODELS))
def test_dynamo_export_is_fixable_and_agrees_with_pytorch_after_the_suggested_chain(
        name, tmp_path):
    source, exported = _export_both_ways(tmp_path, name)
    assert onnx.load(str(exported)).opset_import[0].version >= 18

    torch_report = analyze(source, OPTIONS)
    onnx_report = analyze(exported, OPTIONS)
    assert onnx_report.summary.verdict == "blocked"
    fix = onnx_report.summary.converter_fix
    assert fix is not None and fix.fixable, fix
    assert fix.converter_errors == onnx_report.summary.findings_by_severity["error"]
    assert fix.chain[-1] == "RW-onnx-opset-downgrade"
    assert "RW-reshape-allowzero-off" in fix.chain  # hidden behind the opset errors
    assert f"--all-safe -o {tmp_path / name}.rewritten.onnx" in fix.command
    assert "fixable: " in render_text(onnx_report)
    suggested = {s.id: s for s in onnx_report.rewrites}
    assert set(fix.chain) <= set(suggested)  # a rewrite an opset error hides is suggested too
    assert all(suggested[rewrite_id].apply == fix.command for rewrite_id in fix.chain)
    assert flagged_ops(onnx_report) != flagged_ops(torch_report)

    rewritten = tmp_path / f"{name}.rewritten.onnx"
    result = run_cli("rewrite", str(exported), "--all-safe", "-o", str(rewritten),
                     "--target", "inf2", "--sdk", "2.32")
    assert result.code == 0, result.stdout + result.stderr
    for rewrite_id in fix.chain:
        assert f"{rewrite_id}: verified" in result.stdout, result.stdout

    after = analyze(rewritten, OPTIONS)
    assert after.summary.findings_by_severity["error"] == 0
    assert after.summary.converter_fix is None
    assert flagged_ops(after) == flagged_ops(torch_report)
    assert (after.summary.verdict == "blocked") == (torch_report.summary.verdict == "blocked")
