"""Summary tab: verdict banner, staged checklist, coverage gauge and counts."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from trnport.analyzers.report.model import SEVERITIES, STATUSES, Report
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
    if key == "memory" and not report.memory:
        return "skip", "not analysed"
    related = [f for f in report.findings if f.category in _STAGE_CATEGORIES[key]]
    if any(f.severity == "error" for f in related):
        return "fail", f"{len(related)} findings"
    if related:
        return "warn", f"{len(related)} findings"
    return "ok", "no findings"


class SummaryView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.banner = QLabel("Open a model to analyse it (File ▸ Open, or drop a file here).")
        self.banner.setWordWrap(True)
        self.banner.setObjectName("verdictBanner")
        self.banner.setMargin(14)
        self.model_line = QLabel()
        self.model_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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
        middle = QHBoxLayout()
        middle.addWidget(self.gauge)
        middle.addWidget(checklist, 1)
        middle.addWidget(counts, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.model_line)
        layout.addLayout(middle)
        layout.addStretch(1)

    def show_report(self, report: Report) -> None:
        verdict = report.summary.verdict
        self.banner.setText(VERDICT_TEXT[verdict])
        self.banner.setStyleSheet(
            f"#verdictBanner {{ background: {VERDICT_COLORS[verdict]}; color: white;"
            " font-size: 16pt; font-weight: bold; border-radius: 6px; }")
        target = report.target
        self.model_line.setText(
            f"{report.model.path} · {report.model.format} · {report.model.params:,} parameters"
            f" · target {target.family} {target.mode} {target.dtype} batch {target.batch}"
            f" TP {target.tp} · SDK profile {report.kb.profile}")
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


def _swatch(color: str) -> QFrame:
    frame = QFrame()
    frame.setFixedSize(12, 12)
    frame.setStyleSheet(f"background: {color}; border-radius: 2px;")
    return frame
