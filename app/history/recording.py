"""Saving one analysis to the history: what ``trnport check`` and the GUI call."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from trnport.analyzers.errors import InputError
from trnport.analyzers.results import Report
from trnport.app.history.database import (
    create_history_engine,
    database_error,
    describe,
    is_sqlite,
    resolve_url,
)
from trnport.app.history.records import SessionSummary
from trnport.app.history.schema import (
    integrity_problems,
    prepare_sqlite_file,
    upgrade_to_head,
)
from trnport.app.history.store import Store


def open_store(url: str | None = None) -> Store:
    """Open (creating or upgrading as needed) the history database at ``url``.

    ``url`` is a SQLite file path, a ``sqlite:///`` or ``postgresql://`` URL, or None for
    ``$TRNPORT_DB`` or else ``history.db`` in the user data folder. An outdated SQLite file
    is backed up next to itself before it is upgraded. Raises
    :class:`~trnport.analyzers.errors.InputError` (one line) for a file that is not a
    SQLite database, a database of another program or of a newer trnport, or a server
    that cannot be reached.
    """
    resolved = resolve_url(url)
    where = describe(resolved)
    if is_sqlite(resolved):
        path = Path(resolved.database)
        prepare_sqlite_file(path, where)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"history database {where}: cannot create its folder: "
                             f"{error.strerror or error}") from None
    engine = create_history_engine(resolved)
    try:
        upgrade_to_head(engine, where)
    except SQLAlchemyError as error:
        engine.dispose()
        raise database_error(where, error) from None
    except BaseException:
        engine.dispose()
        raise
    return Store(sessionmaker(engine, expire_on_commit=False), location=where,
                 on_close=engine.dispose)


def check_integrity(url: str | None = None) -> tuple[str, list[str]]:
    """The database's name and what SQLite's full integrity check found in it ([] when it
    is sound), read-only. SQLite files only; a server checks its own storage."""
    resolved = resolve_url(url)
    where = describe(resolved)
    if not is_sqlite(resolved):
        raise InputError(f"history database {where}: the integrity check is for SQLite "
                         "files; a PostgreSQL server checks its own storage")
    return where, integrity_problems(Path(resolved.database), where)


def record_report(report: Report, db_url: str | None = None) -> SessionSummary:
    """Save ``report`` as a new session in the history at ``db_url`` (see
    :func:`open_store` for the default) and return its summary."""
    with open_store(db_url) as store:
        return store.save_session(report)
