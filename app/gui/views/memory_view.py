"""Memory tab: the per-core fit grid as a heatmap (TP × batch/sequence) and the memory
components of the chosen layout as bars against the usable HBM line."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trnport.analyzers.results.memory import FitGrid, PerCoreUsage
from trnport.analyzers.results.units import compact_bytes
from trnport.app.gui.palette import FIT_COLORS

MAX_GRID_HEIGHT = 460  # taller grids scroll
STRETCH_COLUMNS = 10  # up to this many grid columns share the width; more keep their size
COMPONENT_COLORS = ("#3b82c4", "#7a5cc4", "#2e9d57", "#c9a227", "#e07b24", "#d64541",
                    "#8a8f98", "#4fb0b0")


def utilization_text(total_bytes: int, usable_bytes: int, utilization: float | None) -> str:
    """The share of usable HBM a grid cell takes; a used share below 1% still reads as
    used (the report rounds tiny shares to 0)."""
    if usable_bytes > 0:
        utilization = total_bytes / usable_bytes
    if utilization is None:
        return "?"
    if utilization >= 10:
        return f"{utilization:.0f}×"  # 1234% reads worse than 12× and widens the grid
    return "<1%" if 0 < utilization < 0.01 else f"{utilization:.0%}"


class ComponentBars(QWidget):
    """Horizontal stacked bar of the chosen layout's memory components; a vertical line
    marks the usable HBM per core."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.components: dict[str, int] = {}
        self.usable = 0
        self.setMinimumHeight(120)

    def set_data(self, components: dict[str, int], usable: int) -> None:
        self.components = {k: v for k, v in components.items()
                           if isinstance(v, (int, float)) and v > 0}
        self.usable = usable or 0
        self.update()

    def paintEvent(self, event):
        if not self.components:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        total = sum(self.components.values())
        bar_end = 10.0
        scale_max = max(total, self.usable) * 1.05 or 1
        width = self.width() - 20
        x, y, height = 10.0, 10.0, 34.0
        text_color = self.palette().windowText().color()
        for index, value in enumerate(self.components.values()):
            segment = max(value / scale_max * width, 3.0)  # a tiny part stays visible
            painter.fillRect(QRectF(x, y, segment, height),
                             QColor(COMPONENT_COLORS[index % len(COMPONENT_COLORS)]))
            x += segment
        bar_end = x
        if self.usable:
            line_x = 10 + self.usable / scale_max * width
            painter.setPen(QPen(QColor("#d64541"), 2, Qt.PenStyle.DashLine))
            painter.drawLine(int(line_x), 4, int(line_x), int(y + height + 6))
            painter.setPen(text_color)
            label = f"usable HBM {compact_bytes(self.usable)}"
            label_width = painter.fontMetrics().horizontalAdvance(label)
            # keep the label inside the widget: left of the line when it is near the edge
            label_x = line_x + 4 if line_x + 4 + label_width < self.width() else (
                line_x - 4 - label_width)
            painter.drawText(int(label_x), int(y + height + 18), label)
        total_label = f"total {compact_bytes(total)}"
        painter.setPen(text_color)
        total_width = painter.fontMetrics().horizontalAdvance(total_label)
        if bar_end + 6 + total_width < self.width():
            painter.drawText(int(bar_end + 6), int(y + height / 2 + 5), total_label)
        else:
            painter.drawText(int(self.width() - total_width - 14), int(y - 0), total_label)
        legend_y = y + height + 36
        legend_x = 10.0
        for index, (name, value) in enumerate(self.components.items()):
            painter.fillRect(QRectF(legend_x, legend_y - 10, 10, 10),
                             QColor(COMPONENT_COLORS[index % len(COMPONENT_COLORS)]))
            label = f"{name.replace('_', ' ')} {compact_bytes(value)}"
            painter.setPen(text_color)
            painter.drawText(int(legend_x + 14), int(legend_y), label)
            legend_x += 24 + painter.fontMetrics().horizontalAdvance(label)
            if legend_x > width - 120:
                legend_x, legend_y = 10.0, legend_y + 18


class MemoryView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.headline = QLabel("Memory fit appears here after an analysis.")
        self.headline.setWordWrap(True)
        self.grid = QTableWidget()
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.bars = ComponentBars()
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(QLabel("<b>Per-core fit</b> (rows: TP degree; columns: batch × "
                                "sequence length at the chosen PP)"))
        layout.addWidget(self.grid, 1)
        layout.addWidget(QLabel("<b>Memory per core at the chosen layout</b>"))
        layout.addWidget(self.bars)
        layout.addWidget(self.notes)
        layout.addStretch(1)

    def show_report(self, report) -> None:
        memory = report.memory
        if memory is None:
            self.headline.setText("No memory analysis in this report.")
            self.grid.clear()
            self.grid.setRowCount(0)
            self.bars.set_data({}, 0)
            return
        per_core, core = memory.per_core, memory.core
        status = per_core.status.replace('_', ' ')
        if not memory.activations_sized and per_core.status != "does_not_fit":
            status = memory.fit_basis  # the fit is the weights'; activations are unknown
        self.headline.setText(
            f"At TP {per_core.tp}, PP {per_core.pp}, batch {per_core.batch}: "
            f"{compact_bytes(per_core.total_bytes)} of {compact_bytes(per_core.usable_bytes)} "
            f"usable per core — <b>{status}</b>. "
            f"Smallest TP that fits{'' if memory.activations_sized else ' the weights'}: "
            f"{memory.smallest_tp or 'none'} ({core.family} {core.instance or ''}).")
        self._fill_grid(memory.fit_grid, per_core)
        self.bars.set_data(per_core.components, per_core.usable_bytes)
        self.notes.setText("<br>".join(f"• {a}" for a in memory.assumptions[:6]))

    def _fill_grid(self, fit_grid: FitGrid, chosen: PerCoreUsage) -> None:
        cells = [c for c in fit_grid.cells if c.pp == chosen.pp]
        tps = sorted({c.tp for c in cells})
        columns = sorted({(c.batch, c.seq_len or 0) for c in cells})
        self.grid.clear()
        self.grid.setRowCount(len(tps))
        self.grid.setColumnCount(len(columns))
        self.grid.setVerticalHeaderLabels([f"TP {tp}" for tp in tps])
        self.grid.setHorizontalHeaderLabels(
            [f"b{b}" + (f"\ns{s}" if s else "") for b, s in columns])
        header = self.grid.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch
                                    if len(columns) <= STRETCH_COLUMNS
                                    else QHeaderView.ResizeMode.ResizeToContents)
        chosen_key = (chosen.tp, chosen.batch, chosen.seq_len or 0)
        for cell in cells:
            row = tps.index(cell.tp)
            column = columns.index((cell.batch, cell.seq_len or 0))
            item = QTableWidgetItem(utilization_text(cell.total_bytes, chosen.usable_bytes,
                                                     cell.utilization))
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            item.setBackground(QColor(FIT_COLORS.get(cell.status, "#8a8f98")))
            item.setForeground(QColor("white"))
            tip = (f"TP {cell.tp}, batch {cell.batch}"
                   + (f", sequence {cell.seq_len}" if cell.seq_len else "")
                   + f": {compact_bytes(cell.total_bytes)} per core — "
                   f"{cell.status.replace('_', ' ')}")
            if (cell.tp, cell.batch, cell.seq_len or 0) == chosen_key:
                font = QFont(item.font())
                font.setBold(True)
                font.setUnderline(True)
                item.setFont(font)
                tip += " (the chosen layout)"
            item.setToolTip(tip)
            self.grid.setItem(row, column, item)
        # as tall as its rows, so the bars below sit right under the grid
        height = (self.grid.horizontalHeader().sizeHint().height()
                  + self.grid.verticalHeader().length() + 2 * self.grid.frameWidth() + 2)
        self.grid.setFixedHeight(min(height, MAX_GRID_HEIGHT))
