"""The porting history: every analysis kept as a session, listed, compared and pruned.

SQLAlchemy models and alembic migrations (shipped in ``migrations/``) behind a
:class:`Store` whose methods return frozen dataclasses. Never imports Qt; the engine
never imports this package.
"""

from trnport.app.history.recording import open_store, record_report
from trnport.app.history.records import (
    FieldChange,
    MemorySummary,
    NumberDelta,
    SessionDetail,
    SessionDiff,
    SessionSummary,
    StoredFinding,
)
from trnport.app.history.store import SessionNotFound, Store

__all__ = [
    "FieldChange", "MemorySummary", "NumberDelta", "SessionDetail", "SessionDiff",
    "SessionNotFound", "SessionSummary", "Store", "StoredFinding", "open_store",
    "record_report",
]
