"""``trnport check`` saves each run through a forked child that loads the history libraries
while the models are analysed. What it saves is what saving in process saves; a child that
died is replaced by saving in process; a check that stops early leaves no database."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import REPO, SAMPLES, run_cli

MODEL = SAMPLES / "tiny_cnn.onnx"

# saves one report through a recorder (forked, or in process with argv[3] == "here"),
# optionally killing the child first, then prints how and what was stored
_SAVE = """
import json, os, sys
from trnport.analyzers.api import analyze
from trnport.analyzers.results.codec import report_to_dict
from trnport.app.cli.history_recorder import HistoryRecorder
from trnport.app.history import open_store

report = analyze(sys.argv[2])
mode = sys.argv[3]
with HistoryRecorder(sys.argv[1]) as recorder:
    forked = bool(recorder._pid)
    if mode == "here":
        recorder.close()
    elif mode == "kill":
        os.kill(recorder._pid, 9)
        os.waitpid(recorder._pid, 0)
    recorder.save(report)
    still_forked = bool(recorder._pid)
with open_store(sys.argv[1]) as store:
    [summary] = store.list_sessions()
    stored = store.get_session(summary.id).report
stored["model"].pop("path")
expected = report_to_dict(report)
expected["model"].pop("path")
print(json.dumps({"forked": forked, "still_forked": still_forked,
                  "same": stored == expected}))
"""


def _save(tmp_path, mode: str) -> dict:
    db = tmp_path / f"{mode}.db"
    proc = subprocess.run([sys.executable, "-c", _SAVE, str(db), str(MODEL), mode],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_forked_child_saves_the_report_as_saving_in_process_does(tmp_path):
    assert _save(tmp_path, "forked") == {"forked": True, "still_forked": True, "same": True}
    assert _save(tmp_path, "here") == {"forked": True, "still_forked": False, "same": True}


def test_a_dead_child_is_replaced_by_saving_in_process(tmp_path):
    assert _save(tmp_path, "kill") == {"forked": True, "still_forked": False, "same": True}


def test_every_model_of_a_check_is_saved_once(tmp_path):
    db = tmp_path / "history.db"
    second = tmp_path / "second.onnx"
    second.write_bytes(MODEL.read_bytes())
    for jobs in ("1", "2"):
        result = run_cli("check", str(MODEL), str(second), "--db", str(db), "--jobs", jobs,
                         "--fail-on", "none", "--quiet", env={"TRNPORT_NO_HISTORY": "0"})
        assert result.code == 0, result.stderr
        assert result.stderr == ""
    listed = run_cli("history", "list", "--db", str(db), "--format", "json")
    sessions = json.loads(listed.stdout)["sessions"]
    assert sorted(s["model_path"].rsplit("/", 1)[-1] for s in sessions) == \
        ["second.onnx", "second.onnx", "tiny_cnn.onnx", "tiny_cnn.onnx"]


def test_a_check_that_stops_on_bad_input_creates_no_database(tmp_path):
    db = tmp_path / "history.db"
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    result = run_cli("check", str(empty), "--db", str(db), env={"TRNPORT_NO_HISTORY": "0"})
    assert result.code == 2
    assert not db.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.onnx"]
