"""The porting history: every analysis kept as a session, listed, compared and pruned.

SQLAlchemy models and alembic migrations (shipped in ``migrations/``) behind a
:class:`Store` whose methods return frozen dataclasses. Never imports Qt; the engine
never imports this package. The names below load their modules on first use, so that
:mod:`.appending` (a check's save into an up-to-date SQLite file) runs without SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "open_store": "recording", "record_report": "recording",
    "SessionNotFound": "store", "Store": "store",
    **dict.fromkeys(("FieldChange", "MemorySummary", "NumberDelta", "SessionDetail",
                     "SessionDiff", "SessionSummary", "StoredFinding"), "records"),
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
