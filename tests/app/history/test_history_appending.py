"""A check's save into a SQLite history already at the newest schema is written with
``sqlite3`` alone (``appending``). The rows it writes are the rows the SQLAlchemy store
writes, value for value and type for type; anything else goes through the store."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime

import pytest

from tests.app.history.history_samples import finding, memory_section, report
from tests.helpers import REPO, SAMPLES
from trnport.analyzers.api import analyze
from trnport.app.history import appending, open_store, record_report, store
from trnport.app.history.schema import DamagedDatabaseError

MOMENT = datetime(2026, 12, 3, 8, 0, 0)  # whole seconds: the stored text keeps ".000000"
TABLES = ("models", "sessions", "findings", "memory_summaries")


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(store, "utc_now", lambda: MOMENT)
    monkeypatch.setattr(appending, "utc_now", lambda: MOMENT)


def _rows(path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as connection:
        return {table: [tuple((type(v).__name__, v) for v in row) for row in
                        connection.execute(f"SELECT * FROM {table} ORDER BY rowid")]
                for table in TABLES}


def _both(tmp_path, reports) -> tuple[dict, dict]:
    """The rows of every table after saving ``reports`` through the store and through
    appending, each into a database created at the newest schema."""
    by_store, by_appending = tmp_path / "store.db", tmp_path / "appending.db"
    for path in (by_store, by_appending):
        open_store(str(path)).close()
    for item in reports:
        stored = record_report(item, str(by_store))
        appended = appending.append_session(item, str(by_appending))
        assert appended == stored  # the same summary back
    return _rows(by_store), _rows(by_appending)


def test_a_real_report_is_stored_alike(tmp_path):
    sample = analyze(SAMPLES / "tiny_cnn.onnx")
    assert sample.findings and sample.memory is not None
    by_store, by_appending = _both(tmp_path, [sample, sample])  # the model is filed once
    assert by_appending == by_store
    assert len(by_store["sessions"]) == 2 and len(by_store["models"]) == 1


def test_findings_memory_and_odd_paths_are_stored_alike(tmp_path):
    odd = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.onnx")
    findings = (finding("TRN101", "aten.sort.default"),
                finding("TRN204", "aten.cumsum.default", severity="warning", line=None,
                        file=odd, module=None, message="naïve «message» ✓"))
    reports = [report(odd, findings, content=b"odd", memory=memory_section(3 * 2**30)),
               report(tmp_path / "plain.onnx", memory=None, instance=None)]
    by_store, by_appending = _both(tmp_path, reports)
    assert by_appending == by_store
    assert any(kind == "bytes" for kind, _ in by_store["models"][0])  # the odd path


def test_a_new_or_unversioned_file_is_left_to_the_store(tmp_path):
    sample = report(tmp_path / "m.onnx")
    assert appending.append_session(sample, str(tmp_path / "new.db")) is None
    assert not (tmp_path / "new.db").exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert appending.append_session(sample, str(empty)) is None
    summary = appending.save_report(sample, str(tmp_path / "new.db"))  # the store creates it
    assert [s.id for s in open_store(str(tmp_path / "new.db")).list_sessions()] == [summary.id]


def test_a_url_is_left_to_the_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'url.db'}"
    open_store(url).close()
    assert appending.append_session(report(tmp_path / "m.onnx"), url) is None


def test_what_the_store_refuses_is_refused_alike(tmp_path):
    sample = report(tmp_path / "m.onnx")
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    for path in (foreign, tmp_path):  # another program's file; a directory
        with pytest.raises(Exception) as by_store:
            record_report(sample, str(path))
        with pytest.raises(Exception) as by_appending:
            appending.append_session(sample, str(path))
        assert str(by_appending.value) == str(by_store.value)
        assert type(by_appending.value) is type(by_store.value)


def test_a_damaged_file_is_refused_by_appending_too(tmp_path):
    from tests.app.history.test_damaged_database import _damage_findings_tree, _saved_history

    path = _saved_history(tmp_path / "history.db", sessions=40)
    _damage_findings_tree(path)
    content = path.read_bytes()
    with pytest.raises(DamagedDatabaseError):
        appending.append_session(report(tmp_path / "m.onnx"), str(path))
    assert path.read_bytes() == content


_CHECK = """
import json, sys
from trnport.app.entry import main
try:
    main(["check", sys.argv[1], "--db", sys.argv[2], "--fail-on", "none", "--quiet"])
except SystemExit:
    pass
print(json.dumps("sqlalchemy" in sys.modules))
"""


def _check_imports_sqlalchemy(db) -> bool:
    proc = subprocess.run([sys.executable, "-c", _CHECK, str(SAMPLES / "tiny_cnn.onnx"),
                           str(db)], capture_output=True, text=True, cwd=REPO, timeout=300,
                          env={**os.environ, "TRNPORT_NO_HISTORY": "0"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_check_imports_sqlalchemy_only_to_create_the_history(tmp_path):
    db = tmp_path / "history.db"
    assert _check_imports_sqlalchemy(db)  # the first save creates the schema
    assert not _check_imports_sqlalchemy(db)
    with open_store(str(db)) as history:
        assert len(history.list_sessions()) == 2
