"""Porting-code lint: fixtures mark what must fire (# expect: CODE) and what must not
(# ok: CODE), line by line."""

import re

import pytest

from tests.helpers import REPO
from trnport.analyzers.errors import InputError
from trnport.analyzers.lint import lint_source
from trnport.analyzers.rules.lint_script import lint_findings

FIXTURES = REPO / "tests" / "fixtures" / "lint"
MARK = re.compile(r"#\s*(expect|ok):\s*(TRN\d{3})")


def _marks(path, kind):
    return {(number, code) for number, line in enumerate(path.read_text().splitlines(), 1)
            for found_kind, code in MARK.findall(line) if found_kind == kind}


@pytest.mark.parametrize("name", ["train_gpu.py", "train_xla.py"])
def test_lint_fixture_fires_exactly_where_marked(name):
    path = FIXTURES / name
    fired = {(f.location.line, f.code) for f in lint_findings(path)}
    assert _marks(path, "expect") <= fired
    assert not (_marks(path, "ok") & fired)
    assert fired <= _marks(path, "expect"), sorted(fired - _marks(path, "expect"))


def test_lint_findings_carry_the_neuron_replacement_and_its_source():
    findings = lint_findings(FIXTURES / "train_gpu.py")
    nccl = next(f for f in findings if f.code == "TRN703")
    assert "init_process_group('xla')" in nccl.fix
    assert "pytorch-neuron-programming-guide" in nccl.provenance.source
    assert nccl.severity == "error" and nccl.category == "porting"


def test_cuda_availability_probe_is_a_warning_not_an_error():
    issues = lint_source("import torch\nok = torch.cuda.is_available()\n")
    assert [(i.check, i.severity) for i in issues] == [("cuda-runtime", "warning")]


def test_lint_refuses_syntax_errors_with_file_and_line():
    with pytest.raises(InputError, match=r"broken\.py:2: syntax error"):
        lint_source("x = 1\ndef (:\n", "broken.py")


def test_lint_refuses_a_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        lint_findings(tmp_path / "absent.py")


def test_device_keyword_and_map_location_are_flagged():
    issues = lint_source("import torch\nx = torch.zeros(2, device='cuda:0')\n"
                         "s = torch.load('w.pt', map_location='cuda')\n")
    assert [(i.line, i.check) for i in issues] == [(2, "cuda-device"), (3, "cuda-device")]
