"""``trnport history`` from the command line, in a fresh process, in text and JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.app.history.history_samples import finding, memory_section, report
from tests.helpers import REPO, CliResult, assert_one_line_error
from trnport.analyzers.results.codec import report_to_dict
from trnport.app.history import open_store

# Runs the real ``trnport`` entry point, registering the history command if main.py does
# not list it yet, so these tests hold before and after it is wired in.
_CLI = """
import sys
from trnport.app.cli import history_command, main
if history_command not in main.COMMANDS:
    main.COMMANDS = (*main.COMMANDS, history_command)
sys.exit(main.main(sys.argv[1:]))
"""


def run_history(*args: str, env: dict[str, str] | None = None) -> CliResult:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("TRNPORT_DEBUG", None)
    proc = subprocess.run([sys.executable, "-c", _CLI, "history", *args], capture_output=True,
                          text=True, cwd=REPO, env=full_env, timeout=120)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def populated(tmp_path):
    """A history with two sessions of net.onnx (an SDK upgrade) and one of other.onnx."""
    db = str(tmp_path / "history.db")
    net = tmp_path / "net.onnx"
    with open_store(db) as store:
        first = store.save_session(report(
            net, (finding("TRN101", "aten.grid_sampler_2d", line=41),
                  finding("TRN202", "aten.argmax", severity="warning")),
            profile="2.31", coverage=80.0, memory=memory_section(3 * 2**30)))
        other = store.save_session(report(tmp_path / "other.onnx", profile="2.31"))
        second = store.save_session(report(
            net, (finding("TRN202", "aten.argmax", severity="warning"),
                  finding("TRN301", "aten.nonzero", line=90)),
            profile="2.32", coverage=95.0, memory=memory_section(2 * 2**30)))
    return {"db": db, "net": str(net), "ids": (first.id, other.id, second.id)}


def test_list_in_text_shows_every_session_newest_first(populated):
    result = run_history("list", "--db", populated["db"])
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["ID", "DATE", "(UTC)"]
    first, other, second = populated["ids"]
    assert [int(line.split()[0]) for line in lines[1:]] == [second, other, first]
    assert "net.onnx" in lines[1] and "2.32" in lines[1] and "95.0%" in lines[1]


def test_list_in_json_filters_by_model(populated):
    result = run_history("list", "--db", populated["db"], "--model", populated["net"],
                         "--format", "json")
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    first, _other, second = populated["ids"]
    assert data["schema"] == "trnport.history-list/1"
    assert [s["id"] for s in data["sessions"]] == [second, first]
    assert data["sessions"][1]["findings_by_severity"] == {"error": 1, "warning": 1,
                                                            "info": 0}


def test_trnport_db_environment_variable_selects_the_database(populated):
    result = run_history("list", "--format", "json", env={"TRNPORT_DB": populated["db"]})
    assert result.code == 0, result.stderr
    assert len(json.loads(result.stdout)["sessions"]) == 3


def test_show_prints_one_session_in_text_and_json(populated):
    first = populated["ids"][0]
    text = run_history("show", str(first), "--db", populated["db"])
    assert text.code == 0, text.stderr
    assert "TRN101" in text.stdout and "model.py:41" in text.stdout
    assert "per core 3.00 GiB of 16.00 GiB (19%), fits" in text.stdout
    as_json = run_history("show", str(first), "--db", populated["db"], "--format", "json")
    data = json.loads(as_json.stdout)
    assert data["session"]["id"] == first
    assert [f["code"] for f in data["findings"]] == ["TRN101", "TRN202"]
    assert data["report"]["kb"]["profile"] == "2.31"


def test_diff_in_text_names_fixed_new_and_still_open_and_the_sdk_change(populated):
    first, _other, second = populated["ids"]
    result = run_history("diff", str(first), str(second), "--db", populated["db"])
    assert result.code == 0, result.stderr
    out = result.stdout
    assert "1 fixed, 1 new, 1 still open" in out
    assert "SDK profile: 2.31 -> 2.32" in out and "neuronx-cc: 2.26 -> 2.27" in out
    assert "coverage 80.0% -> 95.0% (+15.0 pts)" in out
    assert "memory per core: 3.00 GiB -> 2.00 GiB (-1.00 GiB)" in out
    assert "memory utilization: 19% -> 12% (-6 pts)" in out
    fixed_part = out.split("FIXED:")[1].split("NEW:")[0]
    assert "TRN101" in fixed_part and "TRN301" in out.split("NEW:")[1]


def test_diff_in_json_has_the_same_answer(populated):
    first, _other, second = populated["ids"]
    result = run_history("diff", str(first), str(second), "--db", populated["db"],
                         "--format", "json")
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["counts"] == {"fixed": 1, "new": 1, "still_open": 1}
    assert [f["code"] for f in data["findings"]["fixed"]] == ["TRN101"]
    assert [f["code"] for f in data["findings"]["new"]] == ["TRN301"]
    assert data["coverage"] == {"before": 80.0, "after": 95.0, "delta": 15.0}
    assert data["memory"]["per_core_bytes"]["delta"] == -(2**30)
    assert {"field": "profile", "before": "2.31", "after": "2.32"} in data["changes"]


def test_export_writes_every_full_report_to_a_file(populated, tmp_path):
    out = tmp_path / "export" / "history.json"
    result = run_history("export", "--db", populated["db"], "-o", str(out))
    assert result.code == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == "trnport.history-export/1"
    assert [s["id"] for s in data["sessions"]] == sorted(populated["ids"])
    with open_store(populated["db"]) as store:
        assert data["sessions"][0]["report"] == store.get_session(populated["ids"][0]).report
    to_stdout = run_history("export", "--db", populated["db"], "--format", "json")
    assert json.loads(to_stdout.stdout)["sessions"] == data["sessions"]


def test_prune_keep_and_before(populated):
    kept = run_history("prune", "--keep", "1", "--db", populated["db"])
    assert kept.code == 0, kept.stderr
    assert kept.stdout.strip() == "Deleted 1 sessions; 2 left."
    listed = json.loads(run_history("list", "--db", populated["db"], "--format",
                                    "json").stdout)
    assert {s["id"] for s in listed["sessions"]} == set(populated["ids"][1:])
    everything = run_history("prune", "--before", "2999-01-01", "--db", populated["db"])
    assert everything.stdout.strip() == "Deleted 2 sessions; 0 left."


def test_recheck_of_a_session_whose_model_is_gone_is_one_line(populated):
    result = run_history("recheck", str(populated["ids"][0]), "--sdk", "2.32",
                         "--db", populated["db"])
    assert_one_line_error(result, "no longer exists", "net.onnx")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("show", "abc"), "expected a session id"),
        (("show", "999"), "no session 999"),
        (("diff", "1"), "required: B"),
        (("prune",), "one of the arguments --keep --before is required"),
        (("prune", "--keep", "2", "--before", "2025-01-01"), "not allowed with"),
        (("prune", "--before", "last tuesday"), "expected a date"),
        (("recheck", "1"), "--sdk"),
        (("list", "--format", "xml"), "invalid choice"),
    ],
)
def test_bad_history_usage_is_one_line_and_exit_2(populated, args, fragment):
    assert_one_line_error(run_history(*args, "--db", populated["db"]), fragment)


def test_a_corrupt_database_is_one_line_and_left_as_it_was(tmp_path):
    db = tmp_path / "history.db"
    db.write_bytes(b"\x00garbage" * 300)
    result = run_history("list", "--db", str(db))
    assert_one_line_error(result, "not a SQLite database", str(db))
    assert db.read_bytes() == b"\x00garbage" * 300


def test_history_help_lists_its_actions():
    result = run_history("--help")
    assert result.code == 0
    for action in ("list", "show", "diff", "recheck", "export", "prune"):
        assert action in result.stdout


def test_saved_reports_round_trip_through_the_command_line(tmp_path):
    db = str(tmp_path / "h.db")
    original = report(tmp_path / "m.onnx", (finding("TRN105", "custom.op"),))
    with open_store(db) as store:
        session_id = store.save_session(original).id
    shown = json.loads(run_history("show", str(session_id), "--db", db, "--format",
                                   "json").stdout)
    assert shown["report"] == report_to_dict(original)
