"""The ground floor (``analyzers/results``) and the presentation (``analyzers/report``) pass
mypy with the strict settings of ``pyproject.toml``."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO


@pytest.mark.slow
def test_results_and_report_type_check(tmp_path):
    # mypy cannot follow the editable install's import hook: it reads the installed names
    # from a tree of links to the source folders, as `make lint` does
    (tmp_path / "trnport").mkdir()
    (tmp_path / "trnport" / "analyzers").symlink_to(REPO / "analyzers")
    mypy = Path(sys.executable).with_name("mypy")
    proc = subprocess.run([str(mypy), "--cache-dir", str(tmp_path / "cache")],
                          capture_output=True, text=True, cwd=REPO,
                          env={"MYPYPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
