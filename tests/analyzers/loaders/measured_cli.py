"""``trnport check`` in a fresh process, with that process's peak memory.

The CLI runs as the child of a small measuring process, which reads the child's peak RSS
(KiB on Linux) with getrusage after it ends: a bound on memory, not a timing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO

PEAK_LIMIT_MIB = 512
SIZE_LIMIT_BYTES = 10 * 1000 * 1000
_MEASURE = (
    "import resource, subprocess, sys\n"
    "proc = subprocess.run([sys.executable, '-m', 'trnport.app.cli.main', 'check', *sys.argv[1:],"
    " '--no-history', '--fail-on', 'none', '--format', 'json'], capture_output=True, text=True)\n"
    "sys.stdout.write(proc.stdout)\n"
    "sys.stderr.write(proc.stderr)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(proc.returncode)\n"
)


def check_measured(path: Path) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, peak MiB) of ``trnport check path --format json``."""
    proc = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True,
                          text=True, cwd=REPO, timeout=600)
    *lines, peak_kib = proc.stderr.strip().splitlines()
    return proc.returncode, proc.stdout, "\n".join(lines), int(peak_kib) / 1024


def assert_refused_within_bounds(path: Path, reason: str) -> None:
    """``path``, under 10 MB, is refused in one line naming ``reason``, with exit 2 and a
    peak under :data:`PEAK_LIMIT_MIB`."""
    assert path.stat().st_size < SIZE_LIMIT_BYTES
    code, _stdout, stderr, peak_mib = check_measured(path)
    assert code == 2, stderr
    assert len(stderr.splitlines()) == 1 and stderr.startswith("trnport: "), stderr
    assert reason in stderr and "unexpected error" not in stderr, stderr
    assert peak_mib < PEAK_LIMIT_MIB, (path.name, peak_mib)
