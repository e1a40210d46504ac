"""A model whose export fails for a reason that belongs to the model gets a report, not
exit 2: a data-dependent guard (TRN305 at the user's line, with what tracing records), a
custom op whose library is not loaded (TRN106 on its node), an op torch cannot decompose
(TRN107 on its node, the rest analysed)."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers import run_cli
from trnport.analyzers.api import analyze
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.rules.docs import example_code
from trnport.analyzers.rules.registry import rule_module

TRUSTED = AnalysisOptions(trust_code=True, target="inf2", sdk="2.32")

#: the documented example of TRN305: a greedy NMS loop on a tensor condition
GREEDY_NMS = example_code(rule_module("TRN305"))


def _write(tmp_path, extra_output=""):
    path = tmp_path / "suppression.py"
    returned = "return boxes[torch.stack(keep)]"
    path.write_text(GREEDY_NMS.replace(returned, returned + extra_output))
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


CUSTOM_OP_PROGRAM = textwrap.dedent('''
    import sys
    import torch


    @torch.library.custom_op("vendorlib::fused_gelu", mutates_args=())
    def fused_gelu(x: torch.Tensor, scale: float) -> torch.Tensor:
        return torch.nn.functional.gelu(x) * scale


    @fused_gelu.register_fake
    def _(x, scale):
        return torch.empty_like(x)


    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(8, 8)

        def forward(self, x):
            return torch.relu(fused_gelu(self.proj(x), 2.0))


    torch.export.save(torch.export.export(Block(), (torch.randn(2, 8),)), sys.argv[1])
''')


@pytest.mark.slow
def test_pt2_with_an_op_from_an_unloaded_library_gets_trn106_on_that_node(tmp_path):
    import subprocess
    import sys

    maker = tmp_path / "make_program.py"
    maker.write_text(CUSTOM_OP_PROGRAM)
    archive = tmp_path / "vendor.pt2"
    # the library is registered only in the process that saves the program
    subprocess.run([sys.executable, str(maker), str(archive)], check=True, capture_output=True)
    report = analyze(archive, TRUSTED)
    custom = next(f for f in report.findings if f.code == "TRN106")
    assert custom.ops == ("vendorlib.fused_gelu.default",)
    assert len(custom.nodes) == 1
    assert custom.location.file == str(maker) and custom.location.line == \
        _line_of(maker, "fused_gelu(self.proj(x)")
    ops = {row.op for row in report.operators}
    assert {"aten.relu.default", "vendorlib.fused_gelu.default"} <= ops
    assert any("vendorlib::fused_gelu is not registered" in d for d in report.diagnostics)


#: the documented example of TRN107: a CSR tensor made and densified inside the model
SPARSE_MIX = example_code(rule_module("TRN107"))


@pytest.mark.slow
def test_op_torch_cannot_decompose_is_a_finding_and_the_rest_is_analysed(tmp_path):
    path = tmp_path / "sparse_mix.py"
    path.write_text(SPARSE_MIX)
    report = analyze(path, TRUSTED)
    stuck = next(f for f in report.findings if f.code == "TRN107")
    assert stuck.location.file == str(path.resolve())
    assert stuck.location.line == _line_of(path, "to_dense()")
    assert "layout_impl" in stuck.message
    ops = {row.op for row in report.operators}
    assert {"aten.relu.default", "aten.addmm.default"} <= ops


@pytest.mark.slow
def test_saved_program_with_to_sparse_is_analysed_around_it(tmp_path):
    import runpy

    import torch

    source = tmp_path / "sparse_mix.py"
    source.write_text(SPARSE_MIX.replace("to_sparse_csr()", "to_sparse()"))
    namespace = runpy.run_path(str(source))
    archive = tmp_path / "sparse_mix.pt2"
    torch.export.save(torch.export.export(namespace["model"], namespace["example_inputs"]),
                      str(archive))
    report = analyze(archive, TRUSTED)
    stuck = next(f for f in report.findings if f.code == "TRN107")
    assert stuck.ops == ("aten.to_sparse.default",)
    assert stuck.location.line == _line_of(source, "to_dense()")
    assert "aten.relu.default" in {row.op for row in report.operators}
