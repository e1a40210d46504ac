"""The history store: save a report as a session, list, fetch, compare and prune sessions.

A :class:`Store` is built around a session factory it is given (``open_store`` makes one
for a URL; tests and the GUI may pass their own). Each method runs in its own
transaction and returns plain dataclasses from :mod:`trnport.app.history.records`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from trnport.analyzers.errors import InputError
from trnport.analyzers.results import Report
from trnport.analyzers.results.codec import report_to_dict
from trnport.app.history.convert import (
    as_utc,
    finding_values,
    make_finding,
    make_memory,
    make_summary,
    memory_values,
    resolve_model_path,
    row_values,
    session_values,
    to_naive_utc,
    utc_now,
)
from trnport.app.history.database import database_error
from trnport.app.history.diff import compare
from trnport.app.history.models import FindingRow, MemorySummaryRow, ModelRow, SessionRow
from trnport.app.history.records import SessionDetail, SessionDiff, SessionSummary

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


class SessionNotFound(InputError):
    """No session with the asked id in this history database."""


class Store:
    """Porting sessions in one database. Safe to share between threads: every call opens
    its own ORM session from the injected factory."""

    def __init__(self, session_factory: sessionmaker[Session], *, location: str = "",
                 on_close: Callable[[], None] | None = None) -> None:
        self._session_factory = session_factory
        self.location = location
        self._on_close = on_close

    def close(self) -> None:
        """Release the database connections (when this store opened them)."""
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------

    def save_session(self, report: Report) -> SessionSummary:
        """Store ``report`` as a new session, all of it in one transaction."""
        report_dict = report_to_dict(report)
        values = session_values(report, report_dict)
        model_path = resolve_model_path(report.model.path)
        now = utc_now()
        with self._transaction() as db:
            row = SessionRow(model_id=self._model_id(db, model_path, now), created_at=now,
                             **values)
            row.findings = [FindingRow(**v) for v in finding_values(report)]
            row.memory = MemorySummaryRow(**memory_values(report))
            db.add(row)
            db.flush()
            return make_summary(row.id, row.created_at, model_path, values)

    def _model_id(self, db: Session, path: str, now: datetime) -> int:
        # Insert-if-absent in one statement: two processes may file the same model at once.
        dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
        db.execute(dialect.insert(ModelRow).values(path=path, first_seen=now)
                   .on_conflict_do_nothing(index_elements=["path"]))
        return db.execute(select(ModelRow.id).where(ModelRow.path == path)).scalar_one()

    def prune(self, *, keep: int | None = None, before: datetime | None = None) -> int:
        """Delete sessions: all but the newest ``keep`` of each model, or those created
        before ``before`` (naive means UTC). Returns how many were deleted."""
        if (keep is None) == (before is None):
            raise InputError("prune needs either a number of sessions to keep or a date")
        if keep is not None and keep < 0:
            raise InputError(f"prune --keep must be 0 or more, got {keep}")
        with self._transaction() as db:
            if before is not None:
                doomed = list(db.scalars(select(SessionRow.id).where(
                    SessionRow.created_at < to_naive_utc(before))))
            else:
                doomed = []
                for model_id in db.scalars(select(ModelRow.id)):
                    doomed += db.scalars(
                        select(SessionRow.id).where(SessionRow.model_id == model_id)
                        .order_by(SessionRow.created_at.desc(), SessionRow.id.desc())
                        .offset(keep))
            for start in range(0, len(doomed), 500):
                # Findings and memory rows go with their session (ON DELETE CASCADE).
                db.execute(delete(SessionRow).where(SessionRow.id.in_(doomed[start:start + 500])))
            has_sessions = select(SessionRow.id).where(SessionRow.model_id == ModelRow.id)
            db.execute(delete(ModelRow).where(~has_sessions.exists()))
            return len(doomed)

    # -- reading -------------------------------------------------------------------

    def list_sessions(self, model_path: str | None = None,
                      limit: int | None = None) -> list[SessionSummary]:
        """Sessions, newest first; only those of ``model_path`` (a path or a sha256) if
        given."""
        query = self._summary_query()
        if model_path is not None:
            query = query.where(self._model_filter(model_path))
        if limit is not None:
            query = query.limit(limit)
        with self._transaction() as db:
            return [self._summary(session, path) for session, path in db.execute(query)]

    def last_session(self, model: str) -> SessionSummary | None:
        """The newest session of a model, given by path or by sha256."""
        sessions = self.list_sessions(model, limit=1)
        return sessions[0] if sessions else None

    def get_session(self, session_id: int) -> SessionDetail:
        """One session with its findings, memory summary and full report."""
        query = (select(SessionRow).where(SessionRow.id == session_id)
                 .options(selectinload(SessionRow.findings), selectinload(SessionRow.memory),
                          selectinload(SessionRow.model)))
        with self._transaction() as db:
            row = db.scalars(query).one_or_none()
            if row is None:
                raise SessionNotFound(f"no session {session_id} in history database "
                                      f"{self.location}; 'trnport history list' shows them")
            return SessionDetail(
                summary=self._summary(row, row.model.path),
                findings=tuple(make_finding(row_values(f)) for f in row.findings),
                memory=make_memory(row_values(row.memory) if row.memory else None),
                report=json.loads(row.report_json),
            )

    def diff_sessions(self, before_id: int, after_id: int) -> SessionDiff:
        """What was fixed, is new and is still open from one session to another."""
        return compare(self.get_session(before_id), self.get_session(after_id))

    def count_sessions(self) -> int:
        with self._transaction() as db:
            return db.execute(select(func.count(SessionRow.id))).scalar_one()

    def export(self) -> Iterator[dict[str, Any]]:
        """Every session, oldest first, as ``{"id", "created_at", "model_path", "report"}``
        (read in batches, so a large history is never all in memory at once)."""
        last_id = 0
        while True:
            query = (select(SessionRow.id, SessionRow.created_at, ModelRow.path,
                            SessionRow.report_json)
                     .join(ModelRow).where(SessionRow.id > last_id)
                     .order_by(SessionRow.id).limit(200))
            with self._transaction() as db:
                batch = db.execute(query).all()
            if not batch:
                return
            for session_id, created_at, path, report_json in batch:
                yield {"id": session_id, "created_at": as_utc(created_at).isoformat(),
                       "model_path": path, "report": json.loads(report_json)}
            last_id = batch[-1][0]

    # -- helpers -------------------------------------------------------------------

    def _transaction(self):
        return _Transaction(self._session_factory, self.location)

    @staticmethod
    def _summary_query():
        return (select(SessionRow, ModelRow.path).join(ModelRow)
                .order_by(SessionRow.created_at.desc(), SessionRow.id.desc()))

    @staticmethod
    def _model_filter(model: str):
        if _SHA256.fullmatch(model):
            return SessionRow.model_sha256 == model.lower()
        return ModelRow.path == resolve_model_path(model)

    @staticmethod
    def _summary(row: SessionRow, path: str) -> SessionSummary:
        return make_summary(row.id, row.created_at, path, row_values(row))


class _Transaction:
    """An ORM session in one transaction, committed on success; database failures become a
    one-line :class:`InputError` naming the database."""

    def __init__(self, factory: sessionmaker[Session], location: str) -> None:
        self._factory = factory
        self._location = location
        self._session: Session | None = None

    def __enter__(self) -> Session:
        self._session = self._factory()
        self._session.begin()
        return self._session

    def __exit__(self, exc_type, exc, _tb) -> bool:
        session, self._session = self._session, None
        try:
            if exc_type is None:
                session.commit()
            else:
                session.rollback()
        except SQLAlchemyError as error:
            session.close()
            raise database_error(self._location, error) from None
        session.close()
        if isinstance(exc, SQLAlchemyError):
            raise database_error(self._location, exc) from None
        return False
