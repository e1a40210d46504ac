"""Saving one analysis to the history: what ``trnport check`` and the GUI call."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from trnport.analyzers.results import Report
from trnport.app.history.database import (
    create_history_engine,
    database_error,
    describe,
    is_sqlite,
    resolve_url,
)
from trnport.app.history.records import SessionSummary
from trnport.app.history.schema import prepare_sqlite_file, upgrade_to_head
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
        path.parent.mkdir(parents=True, exist_ok=True)
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


def record_report(report: Report, db_url: str | None = None) -> SessionSummary:
    """Save ``report`` as a new session in the history at ``db_url`` (see
    :func:`open_store` for the default) and return its summary."""
    with open_store(db_url) as store:
        return store.save_session(report)
