"""Databases the history must not touch: corrupt files, other programs' databases, newer
schemas and unreachable servers give one clear line and leave everything as it was."""

from __future__ import annotations

import os
import sqlite3

import pytest
from sqlalchemy import create_engine, text

from tests.app.history.history_samples import report
from tests.app.history.pg_cluster import free_port
from trnport.analyzers.errors import InputError
from trnport.app.history import open_store
from trnport.app.history.database import resolve_url

FUTURE = "0999_from_a_newer_trnport"


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message.strip() == message
    return message


def _siblings(path) -> set[str]:
    return {p.name for p in path.parent.iterdir()}


def test_a_file_that_is_not_sqlite_is_refused_and_left_byte_identical(tmp_path):
    db = tmp_path / "history.db"
    content = b"this is a text file someone named history.db\n" + os.urandom(5000)
    db.write_bytes(content)
    with pytest.raises(InputError) as caught:
        open_store(str(db))
    message = _one_line(caught)
    assert str(db) in message and "not a SQLite database" in message
    assert db.read_bytes() == content
    assert _siblings(db) == {"history.db"}


def test_a_damaged_sqlite_file_is_refused_and_left_byte_identical(tmp_path):
    db = tmp_path / "history.db"
    open_store(str(db)).close()
    damaged = bytearray(db.read_bytes())
    damaged[100:4096] = os.urandom(4096 - 100)  # the schema page, after the header
    db.write_bytes(bytes(damaged))
    for sidecar in ("history.db-wal", "history.db-shm"):
        (tmp_path / sidecar).unlink(missing_ok=True)
    with pytest.raises(InputError) as caught:
        open_store(str(db))
    assert str(db) in _one_line(caught)
    assert db.read_bytes() == bytes(damaged)


def test_another_programs_sqlite_database_is_refused_untouched(tmp_path):
    db = tmp_path / "notes.db"
    with sqlite3.connect(db) as other:
        other.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    content = db.read_bytes()
    with pytest.raises(InputError) as caught:
        open_store(str(db))
    assert "another program" in _one_line(caught)
    assert db.read_bytes() == content


def _stamp_future_revision(db_url: str) -> None:
    engine = create_engine(resolve_url(db_url))
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :rev"),
                               {"rev": FUTURE})
    finally:
        engine.dispose()


def test_a_database_from_a_newer_release_is_refused(db_url, tmp_path):
    with open_store(db_url) as store:
        store.save_session(report(tmp_path / "m.onnx"))
    _stamp_future_revision(db_url)
    if "://" not in db_url:
        before = open(db_url, "rb").read()
    with pytest.raises(InputError) as caught:
        open_store(db_url)
    message = _one_line(caught)
    assert FUTURE in message and "newer" in message and "upgrade trnport" in message
    if "://" not in db_url:
        assert open(db_url, "rb").read() == before
        assert not list(tmp_path.glob("*.bak"))


def test_an_unreachable_server_is_one_line_without_the_password():
    url = f"postgresql://trnport:s3cret-pass@127.0.0.1:{free_port()}/history"
    with pytest.raises(InputError) as caught:
        open_store(url)
    message = _one_line(caught)
    assert "127.0.0.1" in message and "s3cret-pass" not in message


@pytest.mark.parametrize("url", ["mysql://u@localhost/db", "sqlite://", "not a url://x"])
def test_unsupported_database_urls_are_refused(url):
    with pytest.raises(InputError) as caught:
        open_store(url)
    _one_line(caught)
