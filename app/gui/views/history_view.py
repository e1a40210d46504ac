"""History tab: the saved sessions of the open model, newest first; pick two to see what
changed between them (findings fixed, new and still open, coverage and memory deltas)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from trnport.app.gui.palette import SEVERITY_COLORS, VERDICT_COLORS

COLUMNS = ("Session", "Date", "Target", "SDK", "Verdict", "Coverage", "Errors", "Warnings",
           "Info")
SESSION_ROLE = Qt.ItemDataRole.UserRole + 3
HINT = "Select two sessions (Ctrl+click) to compare them."


def target_text(summary) -> str:
    parts = [summary.target_instance or summary.target_family, summary.target_mode,
             summary.target_dtype, f"batch {summary.target_batch}"]
    if summary.target_seq_len:
        parts.append(f"seq {summary.target_seq_len}")
    parts.append(f"TP {summary.target_tp}")
    return " ".join(parts)


def _finding_items(findings, colour: str) -> str:
    if not findings:
        return "<p>none</p>"
    rows = "".join(
        f"<li><b style='color:{colour}'>{html.escape(f.code)}</b> "
        f"<span style='color:{SEVERITY_COLORS.get(f.severity, '#8a8f98')}'>"
        f"({html.escape(f.severity)})</span> {html.escape(f.message)}"
        f"{' — ' + html.escape(f.where) if f.where else ''}</li>" for f in findings)
    return f"<ul>{rows}</ul>"


def diff_html(diff) -> str:
    """A two-session comparison as HTML for the diff pane."""
    before, after = diff.before, diff.after
    delta = diff.coverage.delta or 0.0
    colour = "#2e9d57" if delta > 0 else "#d64541" if delta < 0 else "#8a8f98"
    parts = [f"<h3>Session {before.id} → session {after.id}</h3>",
             f"<p>{html.escape(target_text(before))} → {html.escape(target_text(after))}</p>",
             f"<p><b>Coverage</b> {diff.coverage.before:.1f}% → {diff.coverage.after:.1f}% "
             f"<span style='color:{colour}'>({delta:+.1f} pts)</span><br>"
             f"<b>Verdict</b> {before.verdict} → {after.verdict}<br><b>Findings</b> "
             + ", ".join(f"{d.field} {d.before} → {d.after}" for d in diff.severities)
             + "</p>",
             f"<p><b>{len(diff.new)} new, {len(diff.fixed)} fixed, {len(diff.still_open)} "
             "still open</b></p>"]
    shown = {"target_family", "target_instance", "target_mode", "target_dtype",
             "target_batch", "target_seq_len", "target_tp", "verdict", "model_path"}
    other = [c for c in diff.changes if c.field not in shown]
    if other:
        parts.append("<p>" + "<br>".join(
            f"{html.escape(c.field.replace('_', ' '))}: {html.escape(str(c.before))} → "
            f"{html.escape(str(c.after))}" for c in other) + "</p>")
    parts += ["<h4>Fixed</h4>", _finding_items(diff.fixed, "#2e9d57"),
              "<h4>New</h4>", _finding_items(diff.new, "#d64541"),
              "<h4>Still open</h4>", _finding_items(diff.still_open, "#e07b24")]
    return "".join(parts)


class HistoryView(QWidget):
    """Shows ``window.history``'s answers; asks it again when a model is opened or an
    analysis has been saved."""

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self._window = window
        self._history = window.history
        self.message = QLabel("Open a model to see its earlier analyses.")
        self.message.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.diff = QTextBrowser()
        self.diff.setHtml(f"<p>{HINT}</p>")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.diff)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self._history.listed.connect(self._on_listed)
        self._history.compared.connect(self._on_compared)
        self._history.recorded.connect(lambda _summary: self.refresh())
        self._history.failed.connect(self._on_failed)
        window.session.subscribe(self._on_session_change)

    def _on_session_change(self, what: str) -> None:
        if what == "model":
            self.table.setRowCount(0)
            self.diff.setHtml(f"<p>{HINT}</p>")
            self.refresh()

    def refresh(self) -> None:
        path = self._window.session.model_path
        if path is not None:
            self.message.setText(f"Loading the history of {path.name}…")
            self._history.list_sessions(path)

    def show_report(self, report) -> None:
        """The history is listed when a model opens and after each save, not per report."""

    def session_ids(self) -> list[int]:
        return [self.table.item(r, 0).data(SESSION_ROLE) for r in range(self.table.rowCount())]

    def _on_listed(self, model_path: str, sessions: list) -> None:
        current = self._window.session.model_path
        if current is None or str(current) != model_path:
            return  # an answer about a model that is no longer open
        self.table.setRowCount(len(sessions))
        for row, summary in enumerate(sessions):
            when = summary.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            values = (str(summary.id), when, target_text(summary), summary.profile,
                      summary.verdict, f"{summary.coverage_pct:.1f}%", str(summary.errors),
                      str(summary.warnings), str(summary.infos))
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(SESSION_ROLE, summary.id)
                if column == 4:
                    item.setForeground(QColor(VERDICT_COLORS.get(summary.verdict, "#8a8f98")))
                if column in (0, 5, 6, 7, 8):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        name = current.name
        self.message.setText(
            f"{len(sessions)} saved {'analysis' if len(sessions) == 1 else 'analyses'} of "
            f"{name}, newest first. {HINT}" if sessions
            else f"No saved analyses of {name} yet: each finished analysis is saved here.")

    def _on_selection(self) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        if len(rows) != 2:
            self.diff.setHtml(f"<p>{HINT}</p>")
            return
        newer, older = (self.table.item(r, 0).data(SESSION_ROLE) for r in rows)
        self.diff.setHtml("<p>Comparing…</p>")
        self._history.compare(older, newer)

    def _on_compared(self, diff) -> None:
        self.diff.setHtml(diff_html(diff))

    def _on_failed(self, action: str, message: str) -> None:
        if action == "compare":
            self.diff.setHtml(f"<p>Could not compare: {html.escape(message)}</p>")
        else:
            self.message.setText(f"Not saved in the history: {message}" if action == "save"
                                 else message)
