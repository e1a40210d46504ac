"""The state of one porting session, in plain Python: the open model, the options and the
last report. Qt widgets subscribe to it and forward edits; it knows nothing of Qt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.results import Report

Listener = Callable[[str], None]


class AnalysisSession:
    """Holds what the window shows. ``subscribe(fn)`` calls ``fn(what)`` with ``"model"``,
    ``"options"``, ``"report"`` or ``"error"`` whenever that part changes."""

    def __init__(self) -> None:
        self.model_path: Path | None = None
        self.options = AnalysisOptions()
        self.report: Report | None = None
        self.error: str | None = None
        self.code_trusted = False
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    def open_model(self, path: Path) -> None:
        """A new model: the old report no longer applies, and trust must be asked again."""
        self.model_path = Path(path)
        self.report = None
        self.error = None
        self.code_trusted = False
        self._emit("model")

    @property
    def needs_trust(self) -> bool:
        """True when analysing the open model would run its Python code."""
        return bool(self.model_path and self.model_path.suffix.lower() == ".py")

    def set_options(self, **changes) -> None:
        self.options = replace(self.options, **changes)
        self._emit("options")

    def analysis_options(self) -> AnalysisOptions:
        from trnport.app.cli.graph_cache import graph_cache_folder

        return replace(self.options, trust_code=self.code_trusted,
                       cache_dir=graph_cache_folder())

    def set_report(self, report: Report) -> None:
        self.report = report
        self.error = None
        self._emit("report")

    def set_error(self, message: str) -> None:
        self.error = message
        self._emit("error")
