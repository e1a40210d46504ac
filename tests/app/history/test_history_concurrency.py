"""Concurrent writers and killed writers: every committed session is stored whole, nothing
is lost, and no writer fails with "database is locked"."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from tests.app.history.history_samples import many_findings, memory_section, report
from tests.helpers import REPO
from trnport.app.history import open_store

SAVES = 50


def _start_writer(db_url: str, count: int, findings: int, tag: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.app.history.history_writer", db_url, str(count),
         str(findings), tag],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = process.stdout.readline().strip()
    if first != "ready":
        process.kill()
        raise AssertionError(f"writer did not start: {first} {process.stderr.read()}")
    return process


def _assert_every_session_complete(store) -> None:
    for summary in store.list_sessions():
        detail = store.get_session(summary.id)
        assert len(detail.findings) == summary.finding_count
        assert len(detail.report["findings"]) == summary.finding_count
        memory = detail.report["memory"]
        expected = memory["per_core"]["total_bytes"] if memory else None
        assert detail.memory.per_core_bytes == expected


@pytest.mark.slow
def test_a_thread_and_another_process_writing_at_once_lose_nothing(db_url):
    with open_store(db_url) as store:
        process = _start_writer(db_url, SAVES, 20, "process")
        process_ids: list[int] = []
        errors: list[BaseException] = []
        thread_ids: list[int] = []
        process_saves_when_thread_began: list[int] = []

        def write_from_thread() -> None:
            process_saves_when_thread_began.append(len(process_ids))
            try:
                for number in range(SAVES):
                    saved = store.save_session(
                        report(f"/models/thread-{number % 5}.onnx", many_findings(20),
                               memory=memory_section(20_000 + number)))
                    thread_ids.append(saved.id)
            except BaseException as error:  # reported below, with the process's result
                errors.append(error)

        thread = threading.Thread(target=write_from_thread)
        for line in process.stdout:
            process_ids.append(int(line.split()[1]))
            if len(process_ids) == 1:
                thread.start()
        err = process.stderr.read()
        process.wait(timeout=300)
        thread.join(timeout=300)

        assert errors == []
        assert process.returncode == 0, err
        assert "locked" not in err
        # The thread began saving while the process was still in the middle of its saves.
        assert process_saves_when_thread_began[0] < SAVES
        assert len(process_ids) == SAVES and len(thread_ids) == SAVES
        stored = {s.id for s in store.list_sessions()}
        assert stored == set(process_ids) | set(thread_ids)
        assert len(stored) == 2 * SAVES
        _assert_every_session_complete(store)


@pytest.mark.slow
def test_a_writer_killed_mid_save_leaves_a_consistent_database(sqlite_url):
    committed: set[int] = set()
    for _round in range(3):
        # Each save writes 400 finding rows, so a kill lands inside a transaction often.
        process = _start_writer(sqlite_url, 0, 400, "killed")
        while len(committed) < 3 * (_round + 1):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            committed.add(int(line.split()[1]))
        time.sleep(0.013 * (_round + 1))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        # Anything it printed before dying was committed before it was printed.
        committed |= {int(line.split()[1]) for line in process.stdout.read().splitlines()
                      if line.startswith("saved ")}

    plain = sqlite3.connect(sqlite_url)
    try:
        assert plain.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert plain.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        plain.close()
    with open_store(sqlite_url) as store:
        stored = {s.id for s in store.list_sessions()}
        assert committed <= stored
        _assert_every_session_complete(store)
        for session_id in stored:
            json.dumps(store.get_session(session_id).report)
        # And the database still takes new sessions.
        store.save_session(report("/models/after.onnx"))


@pytest.mark.slow
def test_processes_opening_an_old_database_at_once_upgrade_it_once(tmp_path):
    from tests.fixtures.history import build_schema_0001
    from trnport.app.history.schema import head_revision

    db = tmp_path / "history.db"
    db.write_bytes(build_schema_0001.OUTPUT.read_bytes())
    writers = [subprocess.Popen(
        [sys.executable, "-m", "tests.app.history.history_writer", str(db), "5", "3",
         f"opener{i}"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(3)]
    results = [w.communicate(timeout=120) for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0], [err for _out, err in results]
    with open_store(str(db)) as store:
        sessions = store.list_sessions()
        _assert_every_session_complete(store)
    assert len(sessions) == len(build_schema_0001.SESSIONS) + 15
    plain = sqlite3.connect(db)
    try:
        assert plain.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (head_revision(),)]
        assert plain.execute("SELECT count(*) FROM memory_summaries").fetchone()[0] == \
            len(sessions)
    finally:
        plain.close()
    assert list(tmp_path.glob("history.db.*.bak"))
