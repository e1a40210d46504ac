"""--mode training: backward ops get verdicts; inference is unchanged; failures are notes."""

import textwrap

import pytest

from trnport.analyzers.api import analyze
from trnport.analyzers.options import AnalysisOptions

MODEL = textwrap.dedent('''
    import torch


    class Head(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden, self.out = torch.nn.Linear(16, 16), torch.nn.Linear(16, 4)
            self.drop = torch.nn.Dropout(0.1, inplace=INPLACE)

        def forward(self, x):
            return self.out(self.drop(torch.relu(self.hidden(x))))


    model = Head()
    example_inputs = (torch.randn(8, 16),)
''')


def _write(tmp_path, inplace=True):
    path = tmp_path / "head.py"
    path.write_text(MODEL.replace("INPLACE", str(inplace)))
    return path


@pytest.mark.slow
def test_training_mode_adds_backward_ops_located_in_the_user_file(tmp_path):
    path = _write(tmp_path)
    training = analyze(path, AnalysisOptions(mode="training", trust_code=True))
    inference = analyze(path, AnalysisOptions(trust_code=True))
    assert training.model.nodes > inference.model.nodes
    ops = {row.op for row in training.operators}
    assert "aten.mm.default" in ops  # weight gradients
    assert any("backward nodes analysed" in d for d in training.diagnostics)
    codes = {f.code for f in training.findings}
    assert "TRN601" in codes and "TRN601" not in {f.code for f in inference.findings}
    finding = next(f for f in training.findings if f.code == "TRN601")
    assert finding.location.file.endswith("head.py") and finding.location.line == 12


@pytest.mark.slow
def test_out_of_place_dropout_does_not_fire(tmp_path):
    report = analyze(_write(tmp_path, inplace=False),
                     AnalysisOptions(mode="training", trust_code=True))
    assert "TRN601" not in {f.code for f in report.findings}


@pytest.mark.slow
def test_model_without_float_output_gets_a_note_not_a_crash(tmp_path):
    path = tmp_path / "argmax.py"
    path.write_text("import torch\nmodel = torch.nn.Sequential(torch.nn.Linear(4, 4))\n"
                    "model.forward = lambda x: torch.nn.Linear.forward(model[0], x).argmax(-1)\n"
                    "example_inputs = (torch.randn(2, 4),)\n")
    report = analyze(path, AnalysisOptions(mode="training", trust_code=True))
    assert any("could not be captured" in d for d in report.diagnostics)
    gap = next(f for f in report.findings if f.code == "TRN108")
    assert gap.severity == "warning" and "forward ops only" in gap.message
    assert gap.location.file.endswith("argmax.py")
    assert report.summary.verdict == "needs-work"
    assert any("backward graph" in line for line in report.summary.not_analysed)


PRETRAINING = textwrap.dedent('''
    import torch


    class PreTraining(torch.nn.Module):
        """A masked-LM head is trained; the next-sentence head and the router's gate get
        no gradient from this forward (one is unused, one only picks an index)."""

        def __init__(self):
            super().__init__()
            self.body = torch.nn.Linear(16, 16)
            self.gate = torch.nn.Linear(16, 2)
            self.experts = torch.nn.Linear(16, 32)
            self.nsp_head = torch.nn.Linear(16, 2)

        def forward(self, x):
            hidden = torch.relu(self.body(x))
            choice = self.gate(hidden).argmax(-1, keepdim=True)
            return self.experts(hidden) * (choice + 1)


    model = PreTraining()
    example_inputs = (torch.randn(4, 16),)
''')


@pytest.mark.slow
def test_parameters_without_gradient_still_get_their_backward_analysed(tmp_path):
    path = tmp_path / "pretraining.py"
    path.write_text(PRETRAINING)
    report = analyze(path, AnalysisOptions(mode="training", trust_code=True))
    assert "TRN108" not in {f.code for f in report.findings}
    assert not report.summary.not_analysed
    assert any("backward nodes analysed" in d for d in report.diagnostics)
    frozen = next(d for d in report.diagnostics if "traced as frozen" in d)
    assert "nsp_head.weight" in frozen and "gate.weight" in frozen
    assert "experts.weight" not in frozen and "body.weight" not in frozen
    # the weight gradients of body and experts are matrix products in the backward pass
    backward_mm = next(r for r in report.operators if r.op == "aten.mm.default")
    assert backward_mm.count >= 3
