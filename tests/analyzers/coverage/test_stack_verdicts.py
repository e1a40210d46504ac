"""The stack layer of coverage: the same exported graph judged for PyTorch/XLA (inf2, or trn2
up to 2.33) and for TorchNeuron (trn2/trn3 from 2.33), with and without an imported
TorchNeuron compatibility table (a fixture in the documented format, invented rows)."""

from __future__ import annotations

import pytest
import torch

from tests.analyzers.coverage.test_coverage_verdicts import _Lambda
from tests.helpers import REPO
from trnport.analyzers.coverage import assess_coverage
from trnport.analyzers.coverage.stacks import cause_of
from trnport.analyzers.graph import Graph
from trnport.analyzers.kb import load_kb
from trnport.analyzers.kb.torchneuron_overlay import stored_name, table_from_markdown
from trnport.analyzers.loaders.torch.fx_graph import graph_from_exported_program
from trnport.analyzers.options import AnalysisOptions

TABLE = REPO / "tests" / "fixtures" / "torchneuron" / "compat_table.md"
# words that describe the PyTorch/XLA stack: no TorchNeuron verdict may rest on them
XLA_WORDS = ("torch-xla", "torch_xla", "torch_neuronx.trace", "lazy xla", "pytorch/xla",
             "xla_device", "mark_step", "xm.")


def _export(fn, *args) -> Graph:
    program = torch.export.export(_Lambda(fn), args, strict=False)
    return graph_from_exported_program(program, "m")


def _assess(graph, target="trn2", sdk=None, stack=None, tables=None):
    kb = load_kb()
    options = AnalysisOptions(target=target, sdk=sdk, stack=stack,
                              torchneuron_tables=str(tables) if tables else None)
    return assess_coverage(graph, kb, kb.profile(sdk), kb.target(target), options)


def _one(result, op):
    (verdict,) = [v for v in result.verdicts if v.op == op]
    return verdict


@pytest.fixture(scope="module")
def fft_graph():
    return _export(lambda x: torch.fft.rfft(x).abs(), torch.randn(4, 64))


def test_an_op_outside_every_lowering_list_is_a_cpu_fallback_on_torchneuron(fft_graph):
    fft = _one(_assess(fft_graph), "aten._fft_r2c.default")
    assert (fft.status, fft.code, fft.severity) == ("cpu_fallback", "TRN102", "warning")
    assert fft.confidence == "low"
    assert "about 1.00 KiB to the host and 1.03 KiB back per call" in fft.reason
    assert "compatibility table was not imported" in fft.reason
    assert "best-practices-pytorch-neuron" in fft.source


def test_the_same_op_keeps_its_documented_xla_verdict_on_inf2_and_on_trn2_xla(fft_graph):
    for target, sdk, stack in (("inf2", None, None), ("trn2", "2.32", None),
                               ("trn2", "2.33", "xla")):
        fft = _one(_assess(fft_graph, target, sdk, stack), "aten._fft_r2c.default")
        assert (fft.status, fft.code) == ("unsupported", "TRN101"), (target, sdk, stack)
        assert "rejected by neuronx-cc" in fft.reason


def test_torchneuron_verdicts_do_not_describe_pytorch_xla():
    graph = _export(lambda x, m: (torch.fft.rfft(x).abs().sum() + torch.addmm(
        x[:, :4], x[:, :8], torch.ones(8, 4), beta=0.5).sum(), torch.nonzero(m)),
        torch.randn(4, 64), torch.ones(3, 3))
    result = _assess(graph)
    for verdict in result.verdicts:
        assert not any(word in verdict.reason.lower() for word in XLA_WORDS), verdict
    for issue in result.dtype_issues:
        assert not any(word in issue.reason.lower() for word in XLA_WORDS), issue


def test_a_case_outside_an_ops_lowering_and_a_data_dependent_shape_are_low_confidence():
    graph = _export(lambda x, m: (torch.addmm(x[:, :4], x[:, :8], torch.ones(8, 4), beta=0.5),
                                  torch.nonzero(m)), torch.randn(4, 64), torch.ones(3, 3))
    result = _assess(graph)
    addmm = _one(result, "aten.addmm.default")
    assert (addmm.status, addmm.code, addmm.confidence) == ("cpu_fallback", "TRN102", "low")
    assert "not documented" in addmm.reason
    nonzero = _one(result, "aten.nonzero.default")
    assert (nonzero.status, nonzero.code, nonzero.severity) == ("cpu_fallback", "TRN301",
                                                                "warning")
    assert "fullgraph=True" in nonzero.reason
    on_inf2 = _one(_assess(graph, "inf2"), "aten.nonzero.default")
    assert (on_inf2.status, on_inf2.severity) == ("unsupported", "error")


def test_what_neuronx_cc_rejects_after_lowering_stays_an_error_on_torchneuron():
    graph = _export(lambda i: torch.topk(i, 2).values, torch.randint(0, 9, (3, 8)))
    topk = _one(_assess(graph), "aten.topk.default")
    assert (topk.status, topk.code) == ("unsupported", "TRN103")
    assert "NCC_EVRF013" in topk.reason and "neuronx-cc compiles TorchNeuron's graphs" \
        in topk.reason


def test_a_cuda_only_kernel_cannot_fall_back_to_the_cpu():
    kb = load_kb()
    spec = kb.stacks["torchneuron"]
    assert "aten._flash_attention_forward" in spec.no_cpu_kernel

    class _Outcome:
        status, code, matched = "unsupported", "TRN101", "entry"

    assert cause_of(_Outcome, "aten._flash_attention_forward.default", kb, spec) == \
        "no_cpu_kernel"
    assert cause_of(_Outcome, "aten._fft_r2c.default", kb, spec) == "no_lowering"
    assert cause_of(_Outcome, "aten.triangular_solve.default", kb, spec) == "compiler"


def test_supported_ops_are_supported_with_lower_confidence_without_the_table(fft_graph):
    graph = _export(lambda x: torch.relu(x) + 1, torch.randn(2, 3))
    relu = _one(_assess(graph), "aten.relu.default")
    on_inf2 = _one(_assess(graph, "inf2"), "aten.relu.default")
    assert relu.status == on_inf2.status == "supported"
    order = ["low", "medium", "high"]
    assert order.index(relu.confidence) == max(order.index(on_inf2.confidence) - 1, 0)
    assert "not confirmed for TorchNeuron" in relu.reason


def test_int64_verdicts_name_the_posture_they_assume_where_the_default_is_not_confirmed():
    graph = _export(lambda i: i + 1, torch.arange(4))
    issues = [i for i in _assess(graph).dtype_issues if i.code == "TRN202"]
    assert issues and all("for 2.34 trnport assumes the 2.32 default" in i.reason
                          for i in issues)
    assert all("is not confirmed" in i.reason for i in issues)
    older = [i for i in _assess(graph, sdk="2.32").dtype_issues if i.code == "TRN202"]
    assert older and not any("assumes" in i.reason for i in older)


def test_an_imported_table_decides_per_op_and_dtype_with_provenance_imported(tmp_path):
    table = table_from_markdown(TABLE, "2.14.3.0")
    (tmp_path / stored_name(table.version)).write_text(table.to_json(), encoding="utf-8")
    graph = _export(lambda x, i: (torch.fft.rfft(x).abs(), torch.cumsum(x, 0),
                                  torch.cumsum(i, 0), torch.relu(x)),
                    torch.randn(4, 64), torch.arange(4))
    result = _assess(graph, sdk="2.33", tables=tmp_path)
    fft = _one(result, "aten._fft_r2c.default")
    assert (fft.status, fft.provenance, fft.confidence) == ("cpu_fallback", "imported", "high")
    assert "torch.fft.rfft" in fft.reason and "2.14.3.0" in fft.reason
    assert "torch_api_compatibility.md 2.14.3.0" in fft.source
    cumsums = sorted((v for v in result.verdicts if v.op == "aten.cumsum.default"),
                     key=lambda v: v.status)
    assert [v.status for v in cumsums] == ["cpu_fallback", "supported"]  # int64 falls back
    relu = _one(result, "aten.relu.default")
    assert (relu.status, relu.provenance, relu.confidence) == ("supported", "imported",
                                                               "medium")
    abs_op = _one(result, "aten.abs.default")
    assert abs_op.provenance == "imported"
    # an op the table does not list keeps the stack verdict, saying so
    unlisted = [v for v in result.verdicts if v.provenance != "imported"]
    assert all("does not list it" in v.reason for v in unlisted if v.status == "supported")
    # the same table is not used on the XLA stack, nor for a line that does not list it
    on_inf2 = _assess(graph, "inf2", tables=tmp_path)
    assert all(v.provenance == "rule" for v in on_inf2.verdicts)
