"""Where the history lives and how to connect: the URL, and an engine set up for safe
concurrent use (SQLite: WAL, foreign keys, a busy timeout, writers serialised up front)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from trnport.analyzers.errors import InputError

if TYPE_CHECKING:  # SQLAlchemy is imported where an engine or URL is made
    from sqlalchemy import Engine
    from sqlalchemy.engine import URL
    from sqlalchemy.exc import SQLAlchemyError

DB_ENV = "TRNPORT_DB"
DEFAULT_FILENAME = "history.db"
# How long a writer waits for another one (GUI and CLI saving at once) before giving up.
BUSY_TIMEOUT_SECONDS = 30


def default_database_path() -> Path:
    """``history.db`` in the per-user data folder (platformdirs)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("trnport", appauthor=False)) / DEFAULT_FILENAME


def sqlite_path(url: str | None = None) -> Path | None:
    """The SQLite file :func:`resolve_url` picks when the database is given as a plain
    path (or not given), without importing SQLAlchemy; None for a URL."""
    text = url or os.environ.get(DB_ENV) or str(default_database_path())
    return None if "://" in text else Path(text).expanduser().absolute()


def resolve_url(url: str | None = None) -> URL:
    """The database to use: ``url`` if given, else ``$TRNPORT_DB``, else the default file.

    A value without ``://`` is a SQLite file path; ``postgresql://`` and ``postgres://``
    select PostgreSQL through psycopg 3.
    """
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError

    text = url or os.environ.get(DB_ENV) or str(default_database_path())
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text).expanduser().absolute()))
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise InputError(f"history database URL {text!r} is not a valid URL") from None
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise InputError("history database URL must name a SQLite file, "
                             "not an in-memory database")
        return parsed.set(database=str(Path(parsed.database).expanduser().absolute()))
    raise InputError(f"history database URL {describe(parsed)!r}: only SQLite files and "
                     "PostgreSQL (postgresql://) are supported")


def describe(url: URL) -> str:
    """How to name the database in a message: the file path, or the URL without password."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def create_history_engine(url: URL) -> Engine:
    """An engine for ``url``; SQLite connections get the pragmas the history relies on."""
    from sqlalchemy import create_engine, event

    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
    event.listen(engine, "connect", configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def configure_sqlite_connection(dbapi_connection, _record=None) -> None:
    """Set the pragmas of a new SQLite connection (``sqlite3``'s own, or SQLAlchemy's)."""
    # Hand transaction control to SQLAlchemy's "begin" event below: the sqlite3 module's
    # own implicit BEGIN is deferred, which lets two writers deadlock on lock upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # WAL lets readers (the GUI's list) run while a CLI writer commits; FULL sync makes
        # each committed session survive power loss as well as a killed process.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
    finally:
        cursor.close()


def _begin_immediate(connection) -> None:
    # Take the write lock when the transaction starts, so a writer waits (busy_timeout)
    # instead of failing with "database is locked" when it first writes.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def database_error(location: str, error: SQLAlchemyError | Exception) -> InputError:
    """A database failure as the one-line error the CLI prints (driver detail kept to its
    first line; the URL's password never appears)."""
    cause = getattr(error, "orig", None) or error
    first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return InputError(f"history database {location}: {first}")
