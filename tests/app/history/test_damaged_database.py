"""A history file with a damaged b-tree page is refused on opening (SQLite's quick check)
and left byte-for-byte as it was; ``trnport history check`` runs the full integrity check."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.app.history.history_samples import finding, report
from tests.helpers import SAMPLES, assert_one_line_error, run_cli
from trnport.app.history import open_store
from trnport.app.history.schema import DamagedDatabaseError


def _saved_history(path: Path, sessions: int = 3) -> Path:
    findings = tuple(finding("TRN101", f"aten.op_{n}.default") for n in range(20))
    with open_store(str(path)) as store:
        for n in range(sessions):
            store.save_session(report(path.parent / f"model_{n}.onnx", findings))
    return path


def _damage_findings_tree(path: Path) -> None:
    """Point the first cell of the findings table's root page at a page that cannot exist."""
    with sqlite3.connect(path) as connection:
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'findings'").fetchone()[0]
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        connection.execute("PRAGMA journal_mode = DELETE")  # everything in the main file
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        assert handle.read(1) == b"\x05", "the findings root is an interior page"
        handle.seek((root - 1) * page_size + 8)
        handle.write(b"\xff\xff\xff\x7f")


@pytest.fixture
def damaged(tmp_path) -> Path:
    path = _saved_history(tmp_path / "history.db", sessions=40)
    _damage_findings_tree(path)
    return path


def test_opening_a_damaged_database_is_refused_in_one_line(damaged):
    content = damaged.read_bytes()
    with pytest.raises(DamagedDatabaseError) as caught:
        open_store(str(damaged))
    message = str(caught.value)
    assert "\n" not in message and "is damaged" in message and str(damaged) in message
    assert damaged.read_bytes() == content


def test_check_refuses_a_damaged_history_with_exit_2_and_writes_nothing(damaged):
    content = damaged.read_bytes()
    result = run_cli("check", str(SAMPLES / "tiny_cnn.onnx"), "--db", str(damaged),
                     "--fail-on", "none", env={"TRNPORT_NO_HISTORY": "0"})
    assert_one_line_error(result, "is damaged", "left untouched")
    assert damaged.read_bytes() == content


def test_history_check_lists_what_the_integrity_check_finds(damaged):
    result = run_cli("history", "check", "--db", str(damaged))
    assert_one_line_error(result, "is damaged", "integrity check found")
    assert "malformed" in result.stdout or "page" in result.stdout, result.stdout


def test_history_check_passes_a_sound_database(tmp_path):
    db = _saved_history(tmp_path / "history.db")
    result = run_cli("history", "check", "--db", str(db))
    assert result.code == 0, result.stderr
    assert "ok" in result.stdout and result.stderr == ""


def test_history_check_of_a_missing_file_is_one_line(tmp_path):
    result = run_cli("history", "check", "--db", str(tmp_path / "none.db"))
    assert_one_line_error(result, "does not exist")
    assert list(tmp_path.iterdir()) == []


def _folder(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in path.iterdir()}


def test_history_check_leaves_nothing_beside_a_sound_database(tmp_path):
    db = _saved_history(tmp_path / "history.db")
    assert db.read_bytes()[18:20] == b"\x02\x02", "the history is a WAL database"
    before = _folder(tmp_path)
    result = run_cli("history", "check", "--db", str(db))
    assert result.code == 0, result.stderr
    assert _folder(tmp_path) == before  # no -wal or -shm left by the read-only check


def test_a_damaged_wal_database_is_refused_with_nothing_created_beside_it(damaged):
    with damaged.open("r+b") as handle:  # back to WAL mode, as trnport writes it
        handle.seek(18)
        handle.write(b"\x02\x02")
    before = _folder(damaged.parent)
    result = run_cli("check", str(SAMPLES / "tiny_cnn.onnx"), "--db", str(damaged),
                     "--fail-on", "none", "-o", "-", env={"TRNPORT_NO_HISTORY": "0"})
    assert_one_line_error(result, "is damaged", "left untouched")
    assert run_cli("history", "check", "--db", str(damaged)).code == 2
    assert _folder(damaged.parent) == before
