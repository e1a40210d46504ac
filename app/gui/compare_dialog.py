"""The Compare dialog: analyse the open model again for another SDK line and/or PyTorch
stack and show what changes — operator verdicts, findings new and gone, advice that no
longer applies — the same comparison as ``trnport check --compare``; it can be saved as
HTML or JSON."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from trnport.analyzers.errors import InputError
from trnport.analyzers.options import STACKS
from trnport.app.gui.target_bar import StackOffers
from trnport.app.gui.worker import AnalysisWorker


class CompareDialog(QDialog):
    """``compared(comparison)`` fires when a comparison is shown; ``failed(message)`` when
    the other analysis could not run."""

    compared = Signal(object)
    failed = Signal(str)

    def __init__(self, session, profiles: list[str], stacks: StackOffers, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Compare with another SDK or stack — trnport")
        self.resize(900, 620)
        self.session = session
        self.comparison = None
        self.worker: AnalysisWorker | None = None
        self._stacks = stacks
        self.sdk = QComboBox()
        self.sdk.addItems(profiles)
        self.stack = QComboBox()
        self.stack.addItems(["default", *STACKS])
        self.compare_button = QPushButton("Compare")
        self.compare_button.clicked.connect(self.start)
        self.save_html = QPushButton("Save HTML…")
        self.save_json = QPushButton("Save JSON…")
        for button, fmt in ((self.save_html, "html"), (self.save_json, "json")):
            button.setEnabled(False)
            button.clicked.connect(lambda _=False, f=fmt: self.choose_save(f))
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        current = session.report
        self.output.setPlainText(
            f"Current: {current.target.family}, SDK {current.kb.profile}, "
            f"{current.target.stack_text}. Pick the SDK line and stack to compare with."
            if current is not None else "Analyse a model first.")
        controls = QHBoxLayout()
        for label, widget in (("SDK", self.sdk), ("Stack", self.stack)):
            caption = QLabel(label)
            caption.setBuddy(widget)
            controls.addWidget(caption)
            controls.addWidget(widget)
        controls.addWidget(self.compare_button)
        controls.addStretch(1)
        controls.addWidget(self.save_html)
        controls.addWidget(self.save_json)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.output)

    def other_options(self):
        """The session's options with the chosen SDK and stack; InputError when that stack
        is not offered for the target on that line."""
        from trnport.analyzers.kb import load_kb

        stack = self.stack.currentText()
        options = dataclasses.replace(self.session.analysis_options(),
                                      sdk=self.sdk.currentText(),
                                      stack=None if stack == "default" else stack)
        kb = load_kb()
        kb.stack(kb.profile(options.sdk), options.target, options.stack)
        return options

    def start(self) -> None:
        if self.session.report is None or self.session.model_path is None or self.busy():
            return
        try:
            options = self.other_options()
        except InputError as error:
            self._fail(str(error))
            return
        self.compare_button.setEnabled(False)
        self.output.setPlainText(f"Analysing {self.session.model_path.name} for SDK "
                                 f"{options.sdk}…")
        self.worker = AnalysisWorker(self.session.model_path, options)
        self.worker.finished.connect(self._show)
        self.worker.failed.connect(self._fail)
        self.worker.start()

    def busy(self) -> bool:
        return self.worker is not None and self.worker.is_running()

    def _show(self, report) -> None:
        from trnport.analyzers.report.comparison import compare_reports, render_comparison_text

        self.comparison = compare_reports(self.session.report, report)
        self.output.setPlainText(render_comparison_text(self.comparison))
        self.compare_button.setEnabled(True)
        self.save_html.setEnabled(True)
        self.save_json.setEnabled(True)
        self.compared.emit(self.comparison)

    def _fail(self, message: str) -> None:
        self.output.setPlainText(f"Cannot compare: {message}")
        self.compare_button.setEnabled(True)
        self.failed.emit(message)

    def choose_save(self, fmt: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Save comparison as {fmt.upper()}", "",
                                              f"{fmt.upper()} (*.{fmt})")
        if path:
            self.save(Path(path), fmt)

    def save(self, path: Path, fmt: str) -> None:
        """Write the comparison shown as ``fmt`` (html or json) to ``path``."""
        from trnport.app.cli.compare import render
        from trnport.app.cli.output import write_atomic

        if self.comparison is not None:
            write_atomic(path, render(fmt, self.comparison))

    def done(self, result: int) -> None:  # closing waits for a running analysis to stop
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(10_000)
        super().done(result)
