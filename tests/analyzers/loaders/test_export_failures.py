"""A model whose export fails for a reason that belongs to the model gets a report, not
exit 2: a data-dependent guard (TRN305 at the user's line, with what tracing records)."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers import run_cli
from trnport.analyzers.api import analyze
from trnport.analyzers.options import AnalysisOptions

TRUSTED = AnalysisOptions(trust_code=True, target="inf2", sdk="2.32")

GREEDY_NMS = textwrap.dedent('''
    import torch


    class GreedySuppression(torch.nn.Module):
        def forward(self, scores, boxes):
            order = scores.argsort(descending=True)
            keep = []
            while order.numel() > 0:
                best = order[0]
                keep.append(best)
                rest = order[1:]
                order = rest[scores[rest] < scores[best] * 0.9]
            return boxes[torch.stack(keep)]RETURN_EXTRA


    model = GreedySuppression()
    example_inputs = (torch.rand(8), torch.rand(8, 4))
''')


def _write(tmp_path, extra_output=""):
    path = tmp_path / "suppression.py"
    path.write_text(GREEDY_NMS.replace("RETURN_EXTRA", extra_output))
    return path


def _line_of(path, text):
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.slow
def test_data_dependent_guard_is_a_finding_at_the_users_line_with_the_traced_ops(tmp_path):
    path = _write(tmp_path)
    report = analyze(path, TRUSTED)
    guard = next(f for f in report.findings if f.code == "TRN305")
    assert guard.location.file == str(path.resolve())
    assert guard.location.line == _line_of(path, "while order.numel() > 0")
    assert guard.severity == "warning"
    assert "while order.numel() > 0" in guard.message and "torch.jit.trace" in guard.message
    ops = {row.op.split(".")[1] for row in report.operators}
    assert {"argsort", "index", "stack"} <= ops  # the traced graph was analysed
    assert report.model.nodes > 0
    assert any("data-dependent guard" in gap for gap in report.summary.not_analysed)
    # the boolean-mask indexing the loop does is judged where it is written
    mask = next(f for f in report.findings if f.code == "TRN301")
    assert mask.location.line == _line_of(path, "order = rest[")


@pytest.mark.slow
def test_guard_in_a_model_that_cannot_be_traced_either_is_an_error_not_exit_2(tmp_path):
    path = _write(tmp_path, extra_output=', "kept"')
    result = run_cli("check", str(path), "--trust-code", "--no-history", "--format", "json",
                     "--output-dir", str(tmp_path / "out"))
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr
    report = analyze(path, TRUSTED)
    guard = next(f for f in report.findings if f.code == "TRN305")
    assert guard.severity == "error" and "could not be traced" in guard.message
    assert guard.location.line == _line_of(path, "while order.numel() > 0")
    assert report.model.nodes == 0
    assert any(gap.startswith("the whole model") for gap in report.summary.not_analysed)


@pytest.mark.slow
def test_guard_in_training_mode_says_the_backward_is_missing(tmp_path):
    report = analyze(_write(tmp_path), AnalysisOptions(trust_code=True, mode="training"))
    codes = {f.code for f in report.findings}
    assert {"TRN305", "TRN108"} <= codes
