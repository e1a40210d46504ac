"""The window's link to the porting history: saves finished analyses, lists a model's
sessions and compares two, all on one background thread so the window never waits for the
database. Results and one-line errors come back as Qt signals."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from trnport.analyzers.errors import InputError

NO_HISTORY_ENV = "TRNPORT_NO_HISTORY"


def history_disabled_reason() -> str | None:
    """Why nothing is saved or listed (``TRNPORT_NO_HISTORY`` set, as for the CLI), or None."""
    flag = os.environ.get(NO_HISTORY_ENV, "").strip().lower()
    if flag in ("1", "true", "yes", "on"):
        return f"The history is turned off ({NO_HISTORY_ENV}={os.environ[NO_HISTORY_ENV]})."
    return None


def _one_line(error: BaseException) -> str:
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return text if isinstance(error, InputError) else f"{type(error).__name__}: {text}"


class HistoryClient(QObject):
    """``recorded(summary)``, ``listed(model_path, sessions)``, ``compared(diff)`` and
    ``failed(action, message)``: one of them answers each request, on the UI thread.

    ``db_url`` (a SQLite path or URL) overrides ``$TRNPORT_DB``; None means the same
    default database as ``trnport check``.
    """

    recorded = Signal(object)
    listed = Signal(str, list)
    compared = Signal(object)
    failed = Signal(str, str)

    def __init__(self, db_url: Callable[[], str | None] = lambda: None, parent=None):
        super().__init__(parent)
        self._db_url = db_url
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trnport-history")
        self._store = None
        self._store_url: str | None = None
        self._pending: list[Future] = []
        self._closed = False

    @property
    def enabled(self) -> bool:
        return history_disabled_reason() is None

    # -- requests (called on the UI thread) ------------------------------------------------
    def record(self, report) -> None:
        self._submit("save", lambda store: self.recorded.emit(store.save_session(report)))

    def list_sessions(self, model_path: Path) -> None:
        key = str(model_path)
        self._submit("list", lambda store: self.listed.emit(key, store.list_sessions(key)))

    def compare(self, before_id: int, after_id: int) -> None:
        self._submit("compare",
                     lambda store: self.compared.emit(store.diff_sessions(before_id, after_id)))

    def wait_idle(self, timeout_s: float = 30) -> None:
        """Block until every request so far has been answered (tests, shutdown)."""
        for future in list(self._pending):
            future.result(timeout_s)

    def shutdown(self) -> None:
        """Finish the requests in hand, close the database and end the thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._executor.submit(self._close_store)
        self._executor.shutdown(wait=True)

    # -- the background thread --------------------------------------------------------------
    def _submit(self, action: str, job: Callable) -> None:
        reason = history_disabled_reason() or (
            "the window is closing" if self._closed else None)
        if reason:
            self.failed.emit(action, reason)
            return
        url = self._db_url()
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(self._executor.submit(self._run, action, url, job))

    def _run(self, action: str, url: str | None, job: Callable) -> None:
        try:
            job(self._open(url))
        except ImportError as error:
            self.failed.emit(action, f"the history needs SQLAlchemy, which is not "
                             f"importable here ({error.name or error})")
        except Exception as error:  # a database problem must never take the window down
            self.failed.emit(action, _one_line(error))

    def _open(self, url: str | None):
        from trnport.app.history import open_store

        if self._store is None or self._store_url != url:
            self._close_store()
            self._store = open_store(url)
            self._store_url = url
        return self._store

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
