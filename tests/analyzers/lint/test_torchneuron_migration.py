"""The PyTorch/XLA → TorchNeuron migration checks of lint-script: what fires on TorchNeuron
(trn2/trn3 from Neuron 2.33), with TorchNeuron replacements and the stack and SDK named, and
what fires on PyTorch/XLA instead."""

import pytest

from tests.analyzers.lint.test_lint_rules import FIXTURES, _marks
from trnport.analyzers.kb import load_kb
from trnport.analyzers.lint import lint_source
from trnport.analyzers.rules.lint_script import lint_findings

SCRIPT = FIXTURES / "train_for_torchneuron.py"
# advice that belongs to PyTorch/XLA and NxD: never recommended on TorchNeuron
XLA_ADVICE = ("torch_neuronx.trace", "xm.", "mark_step", "torch_xla", "XLA_USE_BF16=",
              "parallel_model_trace", "ModelBuilder", "NxD Inference", "neuronx-distributed",
              "add_step_closure", "'xla'", "device_type='xla'")


def _stack(target="trn2", sdk=None, stack=None):
    kb = load_kb()
    return kb.stack(kb.profile(sdk), target, stack)


def test_the_migration_fixture_fires_exactly_where_marked_on_torchneuron():
    fired = {(f.location.line, f.code) for f in lint_findings(SCRIPT, _stack())}
    expected = _marks(SCRIPT, "expect")
    assert expected <= fired, sorted(expected - fired)
    assert not (_marks(SCRIPT, "ok") & fired)
    codes_checked = {code for _, code in expected}
    assert {(line, code) for line, code in fired if code in codes_checked} <= expected


def test_torchneuron_findings_are_errors_with_torchneuron_replacements():
    findings = [f for f in lint_findings(SCRIPT, _stack()) if f.code in
                ("TRN708", "TRN709", "TRN710")]
    by_line = {f.location.line: f for f in findings}
    mark_step = next(f for f in findings if "mark_step" in f.message)
    assert mark_step.severity == "error" and "delete it" in mark_step.fix
    trace = next(f for f in findings if "torch_neuronx.trace" in f.message)
    assert trace.severity == "error"
    assert 'torch.compile(model, backend="neuron", fullgraph=True)' in trace.fix
    dynamic = next(f for f in findings if "dynamic=True" in f.message)
    assert dynamic.severity == "error" and "rejected" in dynamic.message
    mode = next(f for f in findings if "max-autotune" in f.message)
    assert mode.severity == "warning" and "ignored" in mode.message
    for finding in by_line.values():
        assert "for TorchNeuron (public beta), the PyTorch stack of trn2 on Neuron SDK 2.34" \
            in finding.message
        assert not any(word in finding.fix for word in XLA_ADVICE), finding.fix
        assert finding.provenance.source.startswith("torchneuron_migration")


def test_no_lint_fix_recommends_xla_or_nxd_on_torchneuron():
    for path in sorted(FIXTURES.glob("*.py")):
        for finding in lint_findings(path, _stack()):
            assert not any(word in finding.fix for word in XLA_ADVICE), (path.name, finding)


def test_the_same_script_on_pytorch_xla_gets_the_bf16_error_and_no_migration_errors():
    findings = lint_findings(SCRIPT, _stack("trn1"))
    codes = {f.code for f in findings}
    assert not codes & {"TRN708", "TRN709", "TRN710"}
    bf16 = next(f for f in findings if f.code == "TRN711")
    # issue #1314 documents a compiler crash (NCC_INLA001), so the finding is an error
    assert bf16.location.line == 9 and bf16.severity == "error"
    assert "NCC_INLA001" in bf16.message and "issues/1314" in bf16.provenance.source
    assert 'device_type="xla"' in bf16.fix


def test_the_bf16_warning_needs_auto_cast_none():
    script = "import os\nos.environ['XLA_USE_BF16'] = '1'\n"
    assert not [i for i in lint_source(script) if i.check == "bf16-auto-cast-none"]
    both = script + "os.environ.setdefault('NEURON_CC_FLAGS', '-O1 --auto-cast none')\n"
    assert [i.line for i in lint_source(both) if i.check == "bf16-auto-cast-none"] == [2]


@pytest.mark.parametrize("source, check", [
    ("import torch.distributed as dist\ndist.init_process_group('xla')\n", "xla-api"),
    ("import torch\nx = torch.ones(2).to('xla')\n", "xla-api"),
    ("import torch\nwith torch.autocast(device_type='xla'):\n    pass\n", "xla-api"),
    ("from torch_xla import runtime as xr\nn = xr.world_size()\n", "xla-api"),
    ("import neuronx_distributed_inference\n", "xla-inference-api"),
    ("import os\nos.environ['VLLM_NEURON_FRAMEWORK'] = 'neuronx-distributed-inference'\n",
     "xla-inference-api"),
])
def test_other_xla_era_constructs_are_found(source, check):
    assert check in {i.check for i in lint_source(source)}


def test_step_boundary_is_not_asked_for_on_torchneuron():
    path = FIXTURES / "train_gpu.py"
    xla = {f.code for f in lint_findings(path, _stack("trn1"))}
    native = {f.code for f in lint_findings(path, _stack())}
    assert "TRN707" in xla and "TRN707" not in native
