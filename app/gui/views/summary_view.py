"""Summary tab: verdict banner, staged checklist, coverage gauge, counts, a one-line memory
and rewrites summary, and the most severe findings (click one to open it in Findings)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trnport.analyzers.report.report_view import converter_fix_text
from trnport.analyzers.results import SEVERITIES, STATUSES, Finding, Report
from trnport.analyzers.results.units import compact_bytes
from trnport.app.gui.palette import SEVERITY_COLORS, STATUS_COLORS, VERDICT_COLORS

VERDICT_TEXT = {
    "blocked": "BLOCKED — will not compile or run on this target as it is",
    "needs-work": "NEEDS WORK — runs, but degrades on this target",
    "ready": "READY — no blocking findings for this target",
}
STAGES = (("loaded", "Loaded"), ("coverage", "Operator coverage"), ("memory", "Memory fit"),
          ("hazards", "Hazards"), ("rewrites", "Rewrites"))
_STAGE_CATEGORIES = {
    "coverage": {"unsupported_op", "cpu_fallback"},
    "memory": {"memory", "compile_limit"},
    "hazards": {"dtype", "dynamic_shape", "control_flow", "numerical", "recompilation",
                "performance", "porting"},
}


class CoverageGauge(QWidget):
    """A ring showing the share of nodes that run on the device."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._percent = 0.0
        self.setMinimumSize(150, 150)

    def set_percent(self, percent: float) -> None:
        self._percent = max(0.0, min(100.0, percent))
        self.update()

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height()) - 16
        rect = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
        painter.setPen(QPen(QColor(138, 143, 152, 85), 14))  # the unfilled track
        painter.drawArc(rect, 0, 360 * 16)
        color = ("#2e9d57" if self._percent >= 95
                 else "#e07b24" if self._percent >= 80 else "#d64541")
        arc_pen = QPen(QColor(color), 14)
        arc_pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(arc_pen)
        painter.drawArc(rect, 90 * 16, int(-self._percent / 100 * 360 * 16))
        painter.setPen(self.palette().windowText().color())
        font = QFont(self.font())
        font.setPointSize(18)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{self._percent:.1f}%\ncoverage")


def _stage_state(report: Report, key: str) -> tuple[str, str]:
    if key == "loaded":
        return "ok", f"{report.model.nodes} nodes, {report.model.format}"
    if key == "rewrites":
        with_rewrite = sum(1 for f in report.findings if f.rewrite)
        return ("warn" if with_rewrite else "ok"), f"{with_rewrite} findings with a rewrite"
    if key == "memory" and report.memory is None:
        return "skip", "not analysed"
    related = [f for f in report.findings if f.category in _STAGE_CATEGORIES[key]]
    if any(f.severity == "error" for f in related):
        return "fail", f"{len(related)} findings"
    if related:
        return "warn", f"{len(related)} findings"
    return "ok", "no findings"


TOP_FINDINGS = 10
FINDING_ROLE = Qt.ItemDataRole.UserRole + 1


def top_findings(report: Report, limit: int = TOP_FINDINGS) -> list[tuple[Finding, int]]:
    """The findings to read first, one per rule code: errors before warnings before info,
    then the codes touching most nodes. Each entry is (first finding, findings of that
    code)."""
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in report.findings:
        groups.setdefault((finding.severity, finding.code), []).append(finding)
    ordered = sorted(groups.values(), key=lambda g: (
        rank.get(g[0].severity, len(rank)), -sum(f.count for f in g), g[0].code))
    return [(max(group, key=lambda f: f.count), len(group)) for group in ordered[:limit]]


def _size(value: int) -> str:
    return compact_bytes(value, digits=1, mib_from=2**17)


def memory_line(report: Report) -> str:
    """One line on memory fit at the chosen layout, and the smallest TP that fits."""
    memory = report.memory
    if memory is None:
        return "Memory: not analysed for this model."
    per_core = memory.per_core
    status = per_core.status.replace('_', ' ')
    if not memory.activations_sized and per_core.status != "does_not_fit":
        status = memory.fit_basis
    line = (f"Memory: {_size(per_core.total_bytes)} of {_size(per_core.usable_bytes)} usable "
            f"per core at TP {per_core.tp} — {status}")
    smallest = memory.smallest_tp
    if per_core.status != "fits":
        line += (f"; smallest TP that fits: {smallest}" if smallest
                 else "; no TP in the grid fits")
    return line + "."


def coverage_notes(report: Report) -> str:
    """What the verdicts do not cover, and for ONNX the errors only the onnx2torch converter
    raises with the rewrite chain that fixes them; empty when there is nothing to say."""
    lines = [f"Not analysed: {gap}" for gap in report.summary.not_analysed]
    fix = converter_fix_text(report, quote=str)
    if fix:
        lines.append(fix[0].upper() + fix[1:] + ".")
    return "\n".join(lines)


def rewrites_line(report: Report) -> str:
    """One line on the rewrites the findings point to."""
    ids = sorted({f.rewrite for f in report.findings if f.rewrite})
    if not ids:
        return "Rewrites: none suggested."
    with_rewrite = sum(1 for f in report.findings if f.rewrite)
    shown = ", ".join(ids[:4]) + (f" and {len(ids) - 4} more" if len(ids) > 4 else "")
    return (f"Rewrites: {len(ids)} suggested for {with_rewrite} findings ({shown}); "
            "see the Rewrites tab.")


def fix_first_html(report: Report) -> str:
    """The ranked actions of the report as a numbered rich-text list (escaped)."""
    from html import escape

    items = []
    for action in report.summary.fix_first:
        color = SEVERITY_COLORS[action.severity]
        where = action.location
        at = (f" <span style='color:#8a8f98'>({escape(where.file)}:{where.line})</span>"
              if where is not None and where.file and where.line else "")
        items.append(f"<li><b style='color:{color}'>{escape(action.severity)}</b> "
                     f"{escape(action.action)}{at}</li>")
    return f"<ol style='margin:0'>{''.join(items)}</ol>" if items else ""


class SummaryView(QWidget):
    """``finding_activated(finding)`` fires when a top finding is clicked;
    ``open_requested()`` when the empty state's Open button is."""

    finding_activated = Signal(object)
    open_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setObjectName("verdictBanner")
        self.banner.setMargin(14)
        self.banner.setVisible(False)
        self.empty_state = QGroupBox()
        empty_layout = QVBoxLayout(self.empty_state)
        invitation = QLabel(
            "<h2>Open a model to see what runs on Trainium and Inferentia2</h2>"
            "<p>ONNX, torch.export <code>.pt2</code>, TorchScript, a Python file that defines "
            "<code>model</code>, or a Hugging Face <code>config.json</code> or folder. "
            "Drop it on this window, or:</p>")
        invitation.setWordWrap(True)
        self.open_button = QPushButton("Open a model…")
        self.open_button.clicked.connect(self.open_requested.emit)
        empty_layout.addWidget(invitation)
        empty_layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.fix_first = QLabel()
        self.fix_first.setWordWrap(True)
        self.fix_first.setTextFormat(Qt.TextFormat.RichText)
        self.fix_first.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fix_first_box = QGroupBox("Fix first")
        QVBoxLayout(self.fix_first_box).addWidget(self.fix_first)
        self.fix_first_box.setVisible(False)
        self.model_line = QLabel()
        self.model_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model_line.setWordWrap(True)  # long paths wrap instead of widening the window
        self.gauge = CoverageGauge()
        self.stage_labels: dict[str, QLabel] = {}
        checklist = QGroupBox("Checklist")
        grid = QGridLayout(checklist)
        for row, (key, title) in enumerate(STAGES):
            grid.addWidget(QLabel(title), row, 0)
            self.stage_labels[key] = QLabel("—")
            grid.addWidget(self.stage_labels[key], row, 1)
        counts = QGroupBox("Counts")
        counts_grid = QGridLayout(counts)
        self.count_labels: dict[str, QLabel] = {}
        for row, status in enumerate(STATUSES):
            counts_grid.addWidget(_swatch(STATUS_COLORS[status]), row, 0)
            counts_grid.addWidget(QLabel(status.replace("_", " ")), row, 1)
            self.count_labels[status] = QLabel("0")
            counts_grid.addWidget(self.count_labels[status], row, 2)
        for row, severity in enumerate(SEVERITIES, start=len(STATUSES)):
            counts_grid.addWidget(_swatch(SEVERITY_COLORS[severity]), row, 0)
            counts_grid.addWidget(QLabel(f"{severity} findings"), row, 1)
            self.count_labels[severity] = QLabel("0")
            counts_grid.addWidget(self.count_labels[severity], row, 2)
        self.result_panel = QWidget()  # hidden until a report is shown: nothing looks
        middle = QHBoxLayout(self.result_panel)  # like a result before there is one
        middle.setContentsMargins(0, 0, 0, 0)
        middle.addWidget(self.gauge)
        middle.addWidget(checklist, 1)
        middle.addWidget(counts, 1)
        self.result_panel.setVisible(False)
        self.memory_label = QLabel()
        self.memory_label.setWordWrap(True)
        self.rewrites_label = QLabel()
        self.rewrites_label.setWordWrap(True)
        self.coverage_notes = QLabel()
        self.coverage_notes.setWordWrap(True)
        self.coverage_notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.coverage_notes.setVisible(False)
        self.top_findings = QTreeWidget()
        self.top_findings.setHeaderLabels(["Severity", "Code", "Finding", "Nodes"])
        self.top_findings.setRootIsDecorated(False)
        self.top_findings.setUniformRowHeights(True)
        self.top_findings.setAlternatingRowColors(True)
        self.top_findings.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.top_findings.setToolTip("Click a finding to open it in the Findings tab")
        self.top_findings.setCursor(Qt.CursorShape.PointingHandCursor)
        header = self.top_findings.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.top_findings.itemClicked.connect(self._on_item_activated)
        self.top_findings.itemActivated.connect(self._on_item_activated)
        self.top_box = QGroupBox("Top findings")
        top_layout = QVBoxLayout(self.top_box)
        top_layout.addWidget(self.top_findings)
        self.top_box.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty_state)
        layout.addWidget(self.banner)
        layout.addWidget(self.model_line)
        layout.addWidget(self.fix_first_box)
        layout.addWidget(self.result_panel)
        layout.addWidget(self.memory_label)
        layout.addWidget(self.rewrites_label)
        layout.addWidget(self.coverage_notes)
        layout.addWidget(self.top_box)
        self._stretch = QWidget()  # fills the space until a report is shown
        layout.addWidget(self._stretch, 1)

    def _on_item_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        finding = item.data(0, FINDING_ROLE)
        if finding is not None:
            self.finding_activated.emit(finding)

    def _fill_top_findings(self, report: Report) -> None:
        self.top_findings.clear()
        entries = top_findings(report)
        codes = len({f.code for f in report.findings})
        self.top_box.setTitle(
            ("Top findings, most severe first — click one to open it in Findings" + (
                f" ({len(entries)} of {codes} rules)" if codes > len(entries) else ""))
            if entries else "Findings")
        if not entries:
            item = QTreeWidgetItem(["", "", "No findings for this target.", ""])
            self.top_findings.addTopLevelItem(item)
        for finding, similar in entries:
            more = f"  (+{similar - 1} more like it)" if similar > 1 else ""
            item = QTreeWidgetItem([finding.severity, finding.code,
                                    f"{finding.symbol}: {finding.message}{more}",
                                    str(finding.count)])
            item.setForeground(0, QBrush(QColor(SEVERITY_COLORS[finding.severity])))
            item.setToolTip(2, f"{finding.message}\nFix: {finding.fix}")
            item.setTextAlignment(3, Qt.AlignmentFlag.AlignRight)
            item.setData(0, FINDING_ROLE, finding)
            self.top_findings.addTopLevelItem(item)
        # as tall as its rows (up to TOP_FINDINGS), so no empty list frame is left below
        tree = self.top_findings
        rows = max(1, tree.topLevelItemCount())
        row_height = tree.sizeHintForRow(0) if tree.topLevelItemCount() else 20
        tree.setFixedHeight(tree.header().sizeHint().height() + rows * max(row_height, 18)
                            + 2 * tree.frameWidth() + 4)
        self.top_box.setVisible(True)

    def show_report(self, report: Report) -> None:
        verdict = report.summary.verdict
        self.empty_state.setVisible(False)
        self.banner.setVisible(True)
        self.result_panel.setVisible(True)
        self.banner.setText(VERDICT_TEXT[verdict])
        self.banner.setStyleSheet(
            f"#verdictBanner {{ background: {VERDICT_COLORS[verdict]}; color: white;"
            " font-size: 16pt; font-weight: bold; border-radius: 6px; }")
        target = report.target
        self.model_line.setText(
            f"{report.model.path} · {report.model.format} · {report.model.params:,} parameters"
            f" · target {target.family} {target.mode} {target.dtype} batch {target.batch}"
            f" TP {target.tp}"
            f"{' (smallest that fits)' if target.layout_source == 'auto' and target.tp > 1 else ''}"
            f" · SDK profile {report.kb.profile}")
        actions = fix_first_html(report)
        self.fix_first.setText(actions)
        self.fix_first_box.setVisible(bool(actions))
        self.gauge.set_percent(report.summary.coverage_pct)
        for key, label in self.stage_labels.items():
            state, text = _stage_state(report, key)
            mark = {"ok": "✔", "warn": "▲", "fail": "✖", "skip": "–"}[state]
            color = {"ok": "#2e9d57", "warn": "#e07b24", "fail": "#d64541",
                     "skip": "#8a8f98"}[state]
            label.setText(f"<span style='color:{color}'>{mark}</span> {text}")
        for status in STATUSES:
            self.count_labels[status].setText(str(report.summary.nodes_by_status.get(status, 0)))
        for severity in SEVERITIES:
            self.count_labels[severity].setText(
                str(report.summary.findings_by_severity.get(severity, 0)))
        self.memory_label.setText(memory_line(report))
        self.rewrites_label.setText(rewrites_line(report))
        notes = coverage_notes(report)
        self.coverage_notes.setText(notes)
        self.coverage_notes.setVisible(bool(notes))
        self._fill_top_findings(report)


def _swatch(color: str) -> QFrame:
    frame = QFrame()
    frame.setFixedSize(12, 12)
    frame.setStyleSheet(f"background: {color}; border-radius: 2px;")
    return frame
