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
