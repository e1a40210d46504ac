"""Saving a check's report into a SQLite history file that is already at this release's
schema, with the standard library's ``sqlite3`` alone.

Importing SQLAlchemy costs a third of a CPU-second, more than analysing a small model, and
every ``trnport check`` saves one session. When the history is a SQLite file that exists and
is at :data:`.schema.HEAD_REVISION`, the session is written here: the rows hold the column
values :mod:`.convert` builds for the ORM (the same dicts), written as SQLAlchemy's SQLite
dialect writes them (timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff`` text, JSON columns through
``json.dumps``, a path that is not UTF-8 as its bytes), on a connection set up by the same
pragmas and taking the write lock up front. The column list comes from the file's own
table, so the models stay the one place the schema is written down; a test holds the rows
this writes equal to the ORM's. Anything else (a new file, one to migrate, PostgreSQL) goes
through :func:`.recording.record_report`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime
from typing import Any

from trnport.app.history.convert import (
    finding_values,
    is_utf8,
    make_summary,
    memory_values,
    resolve_model_path,
    session_values,
    utc_now,
)
from trnport.app.history.database import (
    BUSY_TIMEOUT_SECONDS,
    configure_sqlite_connection,
    database_error,
    sqlite_path,
)
from trnport.app.history.records import SessionSummary
from trnport.app.history.schema import HEAD_REVISION, checked_sqlite_revision

#: how SQLAlchemy's SQLite dialect stores a DateTime
_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"


def save_report(report: Any, db_url: str | None = None) -> SessionSummary:
    """Save ``report`` as a new session in the history at ``db_url`` (as
    :func:`.recording.record_report` does), without SQLAlchemy where that is possible."""
    summary = append_session(report, db_url)
    if summary is None:
        from trnport.app.history.recording import record_report

        summary = record_report(report, db_url)
    return summary


def append_session(report: Any, db_url: str | None = None) -> SessionSummary | None:
    """Write ``report`` into an existing SQLite history at the head revision; None (and
    nothing written) when the history is anything else."""
    path = sqlite_path(db_url)
    if path is None:
        return None
    where = str(path)
    if checked_sqlite_revision(path, where) != HEAD_REVISION:
        return None
    from trnport.analyzers.results.codec import report_to_dict

    values = session_values(report, report_to_dict(report))
    model_path = resolve_model_path(report.model.path)
    now = utc_now()
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
    except sqlite3.Error as error:
        raise database_error(where, error) from None
    try:
        configure_sqlite_connection(connection)
        connection.execute("BEGIN IMMEDIATE")
        try:
            session_id = _write(connection, report, values, model_path, now)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:  # SQLite ends some failed transactions itself
                connection.execute("ROLLBACK")
            raise
    except (sqlite3.Error, UnicodeEncodeError) as error:  # as the ORM's StatementError
        raise database_error(where, error) from None
    finally:
        connection.close()
    return make_summary(session_id, now, model_path, values)


def _write(connection: sqlite3.Connection, report: Any, values: dict[str, Any],
           model_path: str, now: datetime) -> int:
    # Insert-if-absent in one statement: two processes may file the same model at once.
    stored_path = _path_value(model_path)
    connection.execute("INSERT INTO models (path, first_seen) VALUES (?, ?) "
                       "ON CONFLICT (path) DO NOTHING", (stored_path, _timestamp(now)))
    (model_id,) = connection.execute("SELECT id FROM models WHERE path = ?",
                                     (stored_path,)).fetchone()
    session_id = _insert(connection, "sessions",
                         {"model_id": model_id, "created_at": _timestamp(now), **values})
    for row in finding_values(report):
        row["location_file"] = _path_value(row["location_file"])
        _insert(connection, "findings", {"session_id": session_id, **row})
    _insert(connection, "memory_summaries", {"session_id": session_id, **memory_values(report)})
    return session_id


def _insert(connection: sqlite3.Connection, table: str, row: dict[str, Any]) -> int:
    """Insert ``row`` (column name to value) into ``table``; its rowid."""
    columns = _columns(connection, table)
    unknown = set(row) - set(columns)
    if unknown:  # the file's schema is not the one these values were built for
        raise sqlite3.OperationalError(f"table {table} has no column {sorted(unknown)[0]}")
    names = [name for name in columns if name in row]
    cursor = connection.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [_column_value(row[name]) for name in names])
    return int(cursor.lastrowid)


def _columns(connection: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


def _column_value(value: Any) -> Any:
    """A value as SQLAlchemy's SQLite dialect binds it: JSON columns (dicts, lists) as
    ``json.dumps`` text."""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def _path_value(path: str | None) -> str | bytes | None:
    """A file path as the models' ``FilePath`` type stores it in SQLite: its bytes when
    it is not UTF-8."""
    if path is None or is_utf8(path):
        return path
    return os.fsencode(path)


def _timestamp(moment: datetime) -> str:
    return moment.strftime(_TIMESTAMP)

