"""torch's warnings, kept for the report instead of printed.

Reading a PyTorch model makes torch talk: Python warnings (deprecations, TORCH_WARN from
C++ routed through Python), records on its loggers, and C++ log lines written straight to
file descriptor 2. The engine never prints, so all three are caught while a loader runs
and come back as one-line notes for the report's diagnostics.

The descriptor is only redirected on the main thread: elsewhere (the GUI's worker) it is
shared with the whole process, and Python-level capture has to do.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator

#: At most this many notes per model; repeated lines are kept once.
MAX_NOTES = 8
_MAX_NOTE_CHARS = 240
_LOGGERS = ("torch", "transformers")


class _Collector(logging.Handler):
    def __init__(self, notes: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.notes.append(f"{record.name}: {record.getMessage()}")
        except Exception:  # a record whose arguments do not format is not worth a crash
            self.notes.append(f"{record.name}: {record.msg}")


@contextlib.contextmanager
def _loggers_collected(notes: list[str]) -> Iterator[None]:
    collector = _Collector(notes)
    saved = []
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers[:], logger.propagate))
        logger.handlers = [collector]
        logger.propagate = False
    try:
        yield
    finally:
        for logger, handlers, propagate in saved:
            logger.handlers = handlers
            logger.propagate = propagate


@contextlib.contextmanager
def _descriptor_collected(notes: list[str]) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable descriptor 2
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            notes.extend(sink.read().decode("utf-8", "replace").splitlines())


@contextlib.contextmanager
def torch_warnings_captured(notes: list[str]) -> Iterator[None]:
    """Inside the block, torch's warnings, log records and C++ log lines are appended to
    ``notes`` (raw); :func:`as_diagnostics` turns them into report notes."""
    with warnings.catch_warnings(record=True) as caught, _loggers_collected(notes), \
            _descriptor_collected(notes):
        warnings.simplefilter("always")
        try:
            yield
        finally:
            notes.extend(f"{w.category.__name__}: {w.message}" for w in caught)


def as_diagnostics(notes: list[str]) -> list[str]:
    """Distinct non-empty notes, each on one line, prefixed so a reader knows whose they are."""
    seen: dict[str, None] = {}
    for note in notes:
        line = " ".join(str(note).split())
        if line and len(seen) < MAX_NOTES:
            seen.setdefault(f"torch said: {line[:_MAX_NOTE_CHARS]}", None)
    return list(seen)
