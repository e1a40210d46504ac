"""Runs ``analyze`` in a child process and reports back through Qt signals.

A child process rather than a thread: framework code (ONNX shape inference, torch.export)
holds the GIL for long stretches, which would freeze the window; a process can also be
stopped at once when the user cancels, and a Python model file runs outside the GUI.
"""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from trnport.analyzers.collector import collector_paused
from trnport.analyzers.options import AnalysisOptions

_POLL_SECONDS = 0.05


def _analyse_in_child(path: str, options: AnalysisOptions, conn) -> None:
    """Child-process body: stream progress, then send the report or a one-line error."""
    from trnport.analyzers.api import analyze
    from trnport.analyzers.errors import InputError

    try:
        report = analyze(path, options,
                         progress=lambda stage, fraction: conn.send(("progress", stage, fraction)))
        conn.send(("result", report))
    except InputError as error:
        conn.send(("error", str(error)))
    except Exception as error:  # report a bug as one line instead of a dead child
        first = (str(error).strip().splitlines() or [""])[0][:300]
        conn.send(("error", f"unexpected error: {type(error).__name__}: {first}"))
    finally:
        conn.close()


class AnalysisWorker(QObject):
    """Signals: ``progress(stage, fraction)``, ``finished(report)``, ``failed(message)``,
    ``cancelled()``; exactly one of the last three ends each run."""

    progress = Signal(str, float)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, path: Path, options: AnalysisOptions, parent: QObject | None = None):
        super().__init__(parent)
        self._path = str(path)
        self._options = options
        self._cancel = threading.Event()
        self._thread: QThread | None = None

    def start(self) -> None:
        """Start the child process, watched by a QThread that turns messages into signals."""
        self._thread = QThread()
        self.moveToThread(self._thread)
        self._thread.started.connect(self._watch)
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Block until the watcher thread has ended (for shutdown and tests)."""
        return self._thread is None or self._thread.wait(timeout_ms)

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def _watch(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent_conn, child_conn = context.Pipe(duplex=False)
        child = context.Process(target=_analyse_in_child,
                                args=(self._path, self._options, child_conn), daemon=True)
        try:
            child.start()
        except Exception as error:  # no interpreter to spawn, no memory, no process slot
            child_conn.close()
            parent_conn.close()
            self.failed.emit(f"the analysis process could not start: "
                             f"{type(error).__name__}: {error}")
            self._thread.quit()
            return
        child_conn.close()
        try:
            self._relay(child, parent_conn)
        finally:
            parent_conn.close()
            if child.is_alive():
                child.terminate()
            child.join(5)
            self._thread.quit()

    def _relay(self, child, conn) -> None:
        heard = False  # a child that dies before its first message never started
        while True:
            if self._cancel.is_set():
                child.terminate()
                self.cancelled.emit()
                return
            if conn.poll(_POLL_SECONDS):
                try:
                    # a report is many long-lived objects: kept out of the young
                    # generations, they do not set off a full collection that stalls the UI
                    with collector_paused():
                        kind, *payload = conn.recv()
                except EOFError:
                    self.failed.emit(self._ended_early(child, heard))
                    return
                heard = True
                if kind == "progress":
                    self.progress.emit(payload[0], payload[1])
                elif kind == "result":
                    self.finished.emit(payload[0])
                    return
                else:
                    self.failed.emit(payload[0])
                    return
            elif not child.is_alive() and not conn.poll(0):
                self.failed.emit(self._ended_early(child, heard))
                return

    @staticmethod
    def _ended_early(child, heard: bool) -> str:
        child.join(5)
        if not heard:
            return (f"the analysis process could not start: {_interpreter()} exited with "
                    f"code {child.exitcode} before the analysis began")
        return f"the analysis process stopped without a result (exit code {child.exitcode})"


def _interpreter() -> str:
    from multiprocessing import spawn

    return str(spawn.get_executable())
