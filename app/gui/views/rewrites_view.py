"""Rewrites tab: the report's rewrite suggestions ranked by gain; for ONNX models an Apply
button rewrites the model in a worker thread, proves it and shows the verification."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)


class RewriteWorker(QObject):
    """Runs apply + verify + re-analysis off the GUI thread. Signals ``finished(outcome)``
    or ``failed(message)``, exactly one per run."""

    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, model_path: Path, rewrite_id: str, output: Path, tolerance: float):
        super().__init__()
        self._args = (Path(model_path), rewrite_id, Path(output), tolerance)
        self.thread: QThread | None = None

    def start(self) -> None:
        self.thread = QThread()
        self.moveToThread(self.thread)
        self.thread.started.connect(self._run)
        self.thread.start()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        return self.thread is None or self.thread.wait(timeout_ms)

    @Slot()
    def _run(self) -> None:
        from trnport.analyzers.rewrites import workflow

        model_path, rewrite_id, output, tolerance = self._args
        try:
            model = workflow.load_onnx(model_path)
            outcome = workflow.rewrite_model(model, [rewrite_id], tolerance)
            if outcome.changed:
                outcome = workflow.reanalyse(model_path, outcome)
                workflow.save_model(outcome.model, output)
            self.finished.emit(outcome)
        except Exception as error:  # shown in the view as one line
            self.failed.emit((str(error).splitlines() or [type(error).__name__])[0])
        finally:
            self.thread.quit()


class RewritesView(QWidget):
    applied = Signal(object)  # the RewriteOutcome of the last Apply

    def __init__(self, parent=None):
        super().__init__(parent)
        self.intro = QLabel("Rewrites suggested by the findings, ordered by what each gains.")
        self.list = QListWidget()
        self.browser = QTextBrowser()
        self.apply_button = QPushButton("Apply and verify")
        self.apply_button.setEnabled(False)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        for widget in (self.intro, self.list, self.browser, self.apply_button,
                       self.result_label):
            layout.addWidget(widget)
        self.tolerance = 1e-5
        self.output_path: Path | None = None
        self.worker: RewriteWorker | None = None
        self._report = None
        self._suggestions: list[dict] = []
        self._output: Path | None = None
        self.list.currentRowChanged.connect(self._show_suggestion)
        self.apply_button.clicked.connect(self.apply_selected)

    def show_report(self, report) -> None:
        self._report = report
        self._suggestions = [r for r in report.rewrites if isinstance(r, dict)]
        self.list.clear()
        self.result_label.setText("")
        if not self._suggestions:
            self.browser.setHtml("<p>No finding of this report has a rewrite.</p>")
            self.apply_button.setEnabled(False)
            return
        for entry in self._suggestions:
            auto = " [can apply]" if entry.get("automated") else ""
            self.list.addItem(f"{entry.get('rank', '')}. {entry['id']}{auto} — "
                              f"{entry.get('nodes_on_device', 0)} node(s) onto the device, "
                              f"{entry.get('findings_cleared', 0)} finding(s)")
        self.list.setCurrentRow(0)

    def _show_suggestion(self, row: int) -> None:
        if not 0 <= row < len(self._suggestions):
            self.apply_button.setEnabled(False)
            return
        entry = self._suggestions[row]
        parts = [f"<h3>{html.escape(entry['id'])}</h3>",
                 f"<p>{html.escape(str(entry.get('title', '')))}</p>",
                 "<p>Gain: {} node(s) and {} FLOPs onto the device, {} host round trip(s) "
                 "removed, {} finding(s) ({})</p>".format(
                     entry.get("nodes_on_device", 0), entry.get("flops_on_device", 0),
                     entry.get("host_round_trips_removed", 0), entry.get("findings_cleared", 0),
                     html.escape(str(entry.get("codes", ""))))]
        for key, label in (("before", "Before"), ("after", "After")):
            if entry.get(key):
                parts.append(f"<p><b>{label}</b></p><pre>{html.escape(entry[key])}</pre>")
        if entry.get("diff"):
            parts.append("<p><b>Suggested edit (not verified)</b></p>"
                         f"<pre>{html.escape(entry['diff'])}</pre>")
        self.browser.setHtml("".join(parts))
        self.apply_button.setEnabled(bool(entry.get("automated")) and self.worker is None)

    def apply_selected(self) -> None:
        row = self.list.currentRow()
        if self._report is None or not 0 <= row < len(self._suggestions) or self.worker:
            return
        entry = self._suggestions[row]
        source = Path(self._report.model.path)
        output = self.output_path or source.with_name(f"{source.stem}.rewritten.onnx")
        self.apply_button.setEnabled(False)
        self.result_label.setText(f"Applying {entry['id']} and verifying…")
        self.worker = RewriteWorker(source, entry["id"], output, self.tolerance)
        self._output = output
        self.worker.finished.connect(self._done)
        self.worker.failed.connect(self._failed)
        self.worker.start()

    @Slot(object)
    def _done(self, outcome) -> None:
        output = self._output
        lines = []
        for step in outcome.steps:
            if step.verification is not None:
                lines.append(f"{step.rewrite}: {step.status} — {step.verification.summary()}")
            else:
                reasons = "; ".join(r.reason for r in step.refusals) or "nothing matched"
                lines.append(f"{step.rewrite}: not applied — {reasons}")
        if outcome.changed:
            lines.append(f"Wrote {output}; {len(outcome.cleared)} finding(s) cleared.")
        else:
            lines.append("The original model is kept; nothing was written.")
        self.result_label.setText("\n".join(lines))
        self._finish()
        self.applied.emit(outcome)

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.result_label.setText(f"Cannot apply: {message}")
        self._finish()
        self.applied.emit(None)

    def _finish(self) -> None:
        if self.worker is not None:
            self.worker.wait()
        self.worker = None
        self._show_suggestion(self.list.currentRow())
