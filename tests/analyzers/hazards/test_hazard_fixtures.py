"""The PyTorch hazard fixtures: each `# expect: CODE` line gets that finding, each
`# ok: CODE` line does not."""

import re
import shlex

import pytest

from tests.helpers import REPO
from trnport.analyzers.options import AnalysisOptions

FIXTURES = REPO / "tests" / "fixtures" / "hazards"


def _marks(path):
    """(line, kind, code) for every mark in ``path``."""
    marks = []
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        for kind, codes in re.findall(r"(expect|ok):\s*((?:TRN\d{3}[\s,]*)+)", text):
            marks += [(number, kind, code) for code in re.findall(r"TRN\d{3}", codes)]
    return marks


def _options(path):
    first = path.read_text().splitlines()[0]
    settings = {"trust_code": True}
    if first.startswith("# trnport:"):
        words = shlex.split(first.split(":", 1)[1])
        for flag, value in zip(words[::2], words[1::2], strict=True):
            settings[flag.lstrip("-").replace("-", "_")] = value
    return AnalysisOptions(**settings)


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.py")), ids=lambda p: p.stem)
def test_fixture_findings_match_the_marks(path):
    from trnport.analyzers.api import analyze

    marks = _marks(path)
    assert marks, f"{path.name} marks nothing"
    report = analyze(path, _options(path))
    here = {(f.location.line, f.code) for f in report.findings
            if f.location.file and f.location.file.endswith(path.name)}
    for line, kind, code in marks:
        if kind == "expect":
            assert (line, code) in here, (path.name, line, code, sorted(here))
        else:
            assert (line, code) not in here, (path.name, line, code)


@pytest.mark.slow
def test_python_branch_reports_the_branch_taken_and_category():
    from trnport.analyzers.api import analyze

    report = analyze(FIXTURES / "python_branch.py", AnalysisOptions(trust_code=True))
    branch = next(f for f in report.findings if f.code == "TRN304")
    assert branch.category == "control_flow"
    assert "if x.mean() > 0:" in branch.message and "(True)" in branch.message
    assert not [f for f in report.findings if f.code == "TRN303"]


@pytest.mark.slow
def test_pinning_an_unknown_input_of_an_exported_model_is_refused():
    from trnport.analyzers.api import analyze
    from trnport.analyzers.errors import InputError

    with pytest.raises(InputError, match=r"no tensor input named .ids.*tokens"):
        analyze(FIXTURES / "dynamic_seq.py",
                AnalysisOptions(trust_code=True, input_shapes={"ids": (2, 32, 16)}))


@pytest.mark.slow
def test_pinned_torch_input_is_not_reported_as_dynamic():
    from trnport.analyzers.api import analyze

    report = analyze(FIXTURES / "dynamic_seq.py",
                     AnalysisOptions(trust_code=True, input_shapes={"tokens": (2, 128, 16)}))
    assert "TRN302" not in {f.code for f in report.findings}


@pytest.mark.slow
def test_pinned_dtype_of_an_exported_input_must_match_the_example_inputs():
    from trnport.analyzers.api import analyze
    from trnport.analyzers.errors import InputError

    with pytest.raises(InputError, match=r"'tokens' is float32 .* asks for int64"):
        analyze(FIXTURES / "dynamic_seq.py",
                AnalysisOptions(trust_code=True, input_shapes={"tokens": (2, 128, 16)},
                                input_dtypes={"tokens": "int64"}))
    same = analyze(FIXTURES / "dynamic_seq.py",
                   AnalysisOptions(trust_code=True, input_shapes={"tokens": (2, 128, 16)},
                                   input_dtypes={"tokens": "float32"}))
    assert "TRN302" not in {f.code for f in same.findings}
