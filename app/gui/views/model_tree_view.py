"""Model tab: the module hierarchy, each module coloured by the worst status inside it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from trnport.analyzers.results import STATUSES, Report
from trnport.app.gui.palette import STATUS_COLORS

COLUMNS = ("Module", "Nodes", "Supported", "Conditional", "Host fallback", "Unsupported",
           "Unknown")
_SEVERITY_ORDER = ("unsupported", "cpu_fallback", "unknown", "conditional", "supported")


def worst_status(counts: dict[str, int]) -> str:
    return next((s for s in _SEVERITY_ORDER if counts.get(s)), "supported")


class _ModuleItem(QTreeWidgetItem):
    """One module row. Tooltip, alignment and colours are answered when Qt asks (only for
    rows on screen) instead of being set item by item: a model has thousands of modules,
    and each per-item setter call costs a Python -> C++ round trip."""

    def __init__(self, parent, values: list[str], tooltip: str, colors: dict[int, QBrush]):
        if parent is None:
            super().__init__(values)
        else:
            super().__init__(parent, values)
        self._tooltip = tooltip
        self._colors = colors

    def data(self, column, role):
        if role == Qt.ItemDataRole.ForegroundRole:
            color = self._colors.get(column)
            if color is not None:
                return color
        elif role == Qt.ItemDataRole.TextAlignmentRole and column >= 1:
            return _RIGHT
        elif role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return self._tooltip
        return super().data(column, role)


_RIGHT = int(Qt.AlignmentFlag.AlignRight)


class ModelTreeView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setUniformRowHeights(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)

    def show_report(self, report: Report) -> None:
        self.tree.clear()
        brushes = {status: QBrush(QColor(color)) for status, color in STATUS_COLORS.items()}
        items: dict[str, QTreeWidgetItem] = {}
        top_level: list[QTreeWidgetItem] = []
        for row in sorted(report.modules, key=lambda r: (r.module.count("."), r.module)):
            path = row.module
            counts = row.nodes_by_status
            label = path.rsplit(".", 1)[-1] if path else "(model)"
            values = [label, str(row.total)] + [str(counts.get(s, 0) or "") for s in STATUSES]
            worst = worst_status(counts)
            tooltip = (f"{path or 'whole model'} — {row.total} nodes; worst status: "
                       f"{worst.replace('_', ' ')}")
            colors = {column: brushes[status] for column, status in enumerate(STATUSES, start=2)
                      if counts.get(status) and status != "supported"}
            colors[0] = brushes[worst]
            parent_path = path.rsplit(".", 1)[0] if "." in path else ("" if path else None)
            parent = items.get(parent_path) if parent_path is not None else None
            # a child is attached by its constructor; top-level rows are added in one call
            item = _ModuleItem(parent, values, tooltip, colors)
            if parent is None:
                top_level.append(item)
            items[path] = item
        self.tree.addTopLevelItems(top_level)
        self.tree.expandToDepth(1)  # the model and its top-level modules open
        for column in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(column)
        self.tree.setColumnWidth(0, min(self.tree.columnWidth(0) + 24, 420))
