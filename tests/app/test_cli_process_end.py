"""The command line leaves the collector as it found it, except when it ends the process.

Run as the console script (no ``argv``), ``trnport`` freezes what is alive before it
returns, so the interpreter's last full collection has nothing to walk; called from code
that goes on running (``main(argv)``), it leaves the collector alone. Rendering pauses the
collector and turns it back on.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import SAMPLES

_PROBE = """
import gc, json, sys
from trnport.app.entry import main
as_script = sys.argv[1] == "script"
argv = ["check", sys.argv[2], "--no-history", "--format", "json", "--output", sys.argv[3]]
if as_script:
    sys.argv = ["trnport", *argv]
    status = main()
else:
    status = main(argv)
print(json.dumps({"status": status, "frozen": gc.get_freeze_count(),
                  "enabled": gc.isenabled()}))
"""


def _run(how: str, tmp_path) -> dict:
    report = tmp_path / f"{how}.json"
    proc = subprocess.run([sys.executable, "-c", _PROBE, how, str(SAMPLES / "tiny_cnn.onnx"),
                           str(report)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    outcome = json.loads(proc.stdout.strip().splitlines()[-1])
    assert json.loads(report.read_text())["model"]["nodes"] > 0  # a real report was written
    return outcome


def test_the_console_script_freezes_what_is_alive_before_the_process_ends(tmp_path):
    outcome = _run("script", tmp_path)
    assert outcome["frozen"] > 0 and outcome["enabled"]


def test_a_call_with_arguments_leaves_the_collector_alone(tmp_path):
    outcome = _run("library", tmp_path)
    assert outcome == {"status": outcome["status"], "frozen": 0, "enabled": True}
