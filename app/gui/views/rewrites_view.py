"""Rewrites tab: the report's rewrite suggestions ranked by gain; for ONNX, .pt2 and Python
models an Apply button asks where to save, rewrites the model in a worker thread, proves it,
shows the verification and offers to open the rewritten model."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from trnport.analyzers.results import RewriteSuggestion


class RewriteWorker(QObject):
    """Runs apply + verify + re-analysis off the GUI thread. Signals ``finished(outcome)``
    or ``failed(message)``, exactly one per run."""

    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, model_path: Path, rewrite_id: str, output: Path, tolerance: float,
                 trust_code: bool = False):
        super().__init__()
        self._args = (Path(model_path), rewrite_id, Path(output), tolerance)
        self._trust_code = trust_code
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
        from trnport.analyzers.rewriting import onnx as workflow

        model_path, rewrite_id, output, tolerance = self._args
        try:
            if _is_torch(model_path):
                self.finished.emit(self._run_torch())
                return
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

    def _run_torch(self):
        from trnport.analyzers.rewriting import torch as flow

        model_path, rewrite_id, output, tolerance = self._args
        model = flow.load_program(model_path, self._trust_code)
        outcome = flow.rewrite_program(model, [rewrite_id], tolerance)
        if outcome.changed:
            outcome = flow.reanalyse(model, outcome)
            flow.save_program(outcome.model, output)
        return outcome


def _is_torch(path: Path) -> bool:
    return Path(path).suffix.lower() in (".pt2", ".py")


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
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        for widget in (self.intro, self.list, self.browser, self.apply_button,
                       self.result_label):
            # the list is as tall as its rows; the details below get the rest of the tab
            layout.addWidget(widget, 1 if widget is self.browser else 0)
        self.tolerance = 1e-5
        self.worker: RewriteWorker | None = None
        self._report = None
        self._suggestions: tuple[RewriteSuggestion, ...] = ()
        self._output: Path | None = None
        self.list.currentRowChanged.connect(self._show_suggestion)
        self.apply_button.clicked.connect(self.apply_selected)

    def show_report(self, report) -> None:
        self._report = report
        self._suggestions = report.rewrites
        self.list.clear()
        self.result_label.setText("")
        if not self._suggestions:
            self.browser.setHtml("<p>No finding of this report has a rewrite.</p>")
            self.apply_button.setEnabled(False)
            self._fit_list_to_rows()
            return
        for entry in self._suggestions:
            auto = " [can apply]" if entry.automated else ""
            self.list.addItem(f"{entry.rank}. {entry.id}{auto} — "
                              f"{entry.nodes_on_device} node(s) onto the device, "
                              f"{entry.findings_cleared} finding(s)")
        self._fit_list_to_rows()
        self.list.setCurrentRow(0)

    #: rows shown before the list scrolls
    MAX_VISIBLE_ROWS = 8

    def _fit_list_to_rows(self) -> None:
        rows = min(max(1, self.list.count()), self.MAX_VISIBLE_ROWS)
        row_height = max(self.list.sizeHintForRow(0), 18)
        self.list.setFixedHeight(rows * row_height + 2 * self.list.frameWidth() + 4)

    def _show_suggestion(self, row: int) -> None:
        if not 0 <= row < len(self._suggestions):
            self.apply_button.setEnabled(False)
            return
        entry = self._suggestions[row]
        parts = [f"<h3>{html.escape(entry.id)}</h3>",
                 f"<p>{html.escape(entry.title)}</p>",
                 f"<p>Gain: {entry.nodes_on_device} node(s) and {entry.flops_on_device} FLOPs "
                 f"onto the device, {entry.host_round_trips_removed} host round trip(s) "
                 f"removed, {entry.findings_cleared} finding(s) "
                 f"({html.escape(entry.codes)})</p>"]
        for code, label in ((entry.before, "Before"), (entry.after, "After")):
            if code:
                parts.append(f"<p><b>{label}</b></p><pre>{html.escape(code)}</pre>")
        if entry.diff:
            parts.append("<p><b>Suggested edit (not verified)</b></p>"
                         f"<pre>{html.escape(entry.diff)}</pre>")
        self.browser.setHtml("".join(parts))
        self.apply_button.setEnabled(entry.automated and self.worker is None)

    def apply_selected(self) -> None:
        """Ask where to save, then rewrite, verify and re-analyse in a worker."""
        row = self.list.currentRow()
        if self._report is None or not 0 <= row < len(self._suggestions) or self.worker:
            return
        entry = self._suggestions[row]
        source = Path(self._report.model.path)
        torch_model = _is_torch(source)
        suffix = ".pt2" if torch_model else ".onnx"
        default = source.with_name(f"{source.stem}.rewritten{suffix}")
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save the rewritten model", str(default),
            "PyTorch export (*.pt2)" if torch_model else "ONNX model (*.onnx)")
        if not chosen:
            return
        output = Path(chosen)
        if output.suffix.lower() != suffix:
            output = output.with_name(output.name + suffix)
        if output.resolve() == source.resolve():
            self.result_label.setText("Choose another file: the original model is always kept.")
            return
        if source.suffix.lower() == ".pt2" and not self._confirm_pt2(source):
            return
        self.apply_button.setEnabled(False)
        self.result_label.setText(f"Applying {entry.id} and verifying…")
        # a Python model's report exists only once running its code was allowed
        self.worker = RewriteWorker(source, entry.id, output, self.tolerance,
                                    trust_code=torch_model)
        self._output = output
        self.worker.finished.connect(self._done)
        self.worker.failed.connect(self._failed)
        self.worker.start()

    def _confirm_pt2(self, source: Path) -> bool:
        answer = QMessageBox.question(
            self, "Load the archive with torch.export.load?",
            f"Rewriting {source.name} needs its weights, read with torch.export.load, which "
            "can run code stored in the archive. Continue only if you trust the file.")
        return answer == QMessageBox.StandardButton.Yes

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
        if outcome.changed:
            self._offer_to_open(output)

    def _offer_to_open(self, path: Path) -> None:
        window = self.window()
        if window is self or not hasattr(window, "open_model"):
            return
        answer = QMessageBox.question(self, "Open the rewritten model?",
                                      f"Open {path.name} in the main window and analyse it?")
        if answer == QMessageBox.StandardButton.Yes:
            window.open_model(path)

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
