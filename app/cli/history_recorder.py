"""Saving ``trnport check`` results in the porting history from a helper process that
loads the database libraries while the models are analysed.

Importing SQLAlchemy takes about a third of a second, as long as the whole analysis of a
small model, and a saved check needs it only at the end. So as a check starts, a child is
forked that imports :mod:`trnport.app.history` and waits. Each report the check would save
is sent to it as its JSON form; the child saves it exactly as :func:`record_report` does in
process, and answers with the outcome. Nothing touches the database before the first report
arrives, so a check that stops early (bad input, an interrupt) leaves no file behind.

The child is forked only on Linux while the check is the only Python thread (a lock held by
another thread would stay held in the child); otherwise, or when the child has died, reports
are saved in process as before. Either way errors read the same: a damaged database raises
:class:`HistoryDamaged` (the check refuses it, exit 2), any other reason not to save raises
:class:`HistoryNotSaved` (the check warns and goes on).
"""

from __future__ import annotations

import json
import os
import struct
import sys
from typing import Any

from trnport.analyzers.errors import InputError

_LENGTH = struct.Struct("<Q")


class HistoryDamaged(InputError):
    """SQLite's check found the history file damaged; it was not written to."""


class HistoryNotSaved(Exception):
    """This run could not be saved in the history (the reason is the message)."""


class HistoryRecorder:
    """Saves reports in the history at ``db`` (None for the default), in a forked child
    when one could be started. Close it (or use it as a context manager) when done."""

    def __init__(self, db: str | None) -> None:
        self._db = db
        self._pid = 0
        self._request = self._answer = -1
        if _can_fork():
            self._start()

    def __enter__(self) -> HistoryRecorder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def save(self, report: Any) -> None:
        """Save ``report`` as a new session; raises HistoryDamaged or HistoryNotSaved."""
        if self._pid:
            from trnport.analyzers.results.codec import report_to_dict

            # ASCII JSON: a path that is not UTF-8 (a lone surrogate) crosses the pipe as is
            data = json.dumps(report_to_dict(report), separators=(",", ":")).encode("ascii")
            answer = self._ask(data)
            if answer is not None:
                _raise_for(answer)
                return
        _raise_for(_save_here(report, self._db))  # no child, or it died: save here

    def close(self) -> None:
        """Let the child exit and reap it; safe to call twice."""
        if not self._pid:
            return
        for fd in (self._request, self._answer):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(self._pid, 0)
        except ChildProcessError:
            pass
        self._pid = 0

    def _start(self) -> None:
        request_read, request_write = os.pipe()
        answer_read, answer_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(request_write)
            os.close(answer_read)
            _child(self._db, request_read, answer_write)
        os.close(request_read)
        os.close(answer_write)
        self._pid, self._request, self._answer = pid, request_write, answer_read

    def _ask(self, data: bytes) -> list | None:
        """The child's answer to saving ``data``, or None when it is gone (it then stops
        being used)."""
        try:
            _write_message(self._request, data)
            body = _read_message(self._answer)
        except OSError:
            body = None
        if body is None:
            self.close()
            return None
        return json.loads(body)


def _can_fork() -> bool:
    import threading

    return sys.platform.startswith("linux") and hasattr(os, "fork") and \
        threading.current_thread() is threading.main_thread() and \
        threading.active_count() == 1


def _save_here(report: Any, db: str | None) -> list:
    """Save ``report`` in this process; the outcome as the child answers it."""
    try:
        from trnport.app.history import record_report
        from trnport.app.history.schema import DamagedDatabaseError
    except ImportError as error:
        return ["not-saved", str(error)]
    try:
        record_report(report, db)
    except DamagedDatabaseError as error:
        return ["damaged", str(error)]
    except InputError as error:
        return ["not-saved", str(error)]
    return ["saved", ""]


def _raise_for(answer: list) -> None:
    outcome, message = answer
    if outcome == "damaged":
        raise HistoryDamaged(message)
    if outcome != "saved":
        raise HistoryNotSaved(message)


def _child(db: str | None, request: int, answer: int) -> None:
    """Import the history, then save each report sent until the parent closes the pipe;
    exit without cleanup (the parent's atexit handlers and buffers are not the child's)."""
    code = 0
    try:
        try:
            import trnport.app.history  # noqa: F401  (the point: load it while waiting)
        except ImportError:
            pass  # _save_here reports it for each report
        from trnport.analyzers.results.codec import report_from_dict

        while (body := _read_message(request)) is not None:
            report = report_from_dict(json.loads(body))
            _write_message(answer, json.dumps(_save_here(report, db)).encode())
    except BaseException:  # an interrupt or a broken pipe: the parent saves or gives up
        code = 1
    finally:
        os._exit(code)


def _write_message(fd: int, body: bytes) -> None:
    _write_all(fd, _LENGTH.pack(len(body)) + body)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_message(fd: int) -> bytes | None:
    """One length-prefixed message, or None at the end of the pipe."""
    head = _read_exactly(fd, _LENGTH.size)
    if head is None:
        return None
    return _read_exactly(fd, _LENGTH.unpack(head)[0])


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
