"""Model tab: the module hierarchy, each module coloured by the worst status inside it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from trnport.analyzers.report.model import STATUSES, Report
from trnport.app.gui.palette import STATUS_COLORS

COLUMNS = ("Module", "Nodes", "Supported", "Conditional", "Host fallback", "Unsupported",
           "Unknown")
_SEVERITY_ORDER = ("unsupported", "cpu_fallback", "unknown", "conditional", "supported")


def worst_status(counts: dict[str, int]) -> str:
    return next((s for s in _SEVERITY_ORDER if counts.get(s)), "supported")


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
        items: dict[str, QTreeWidgetItem] = {}
        for row in sorted(report.modules, key=lambda r: (r.module.count("."), r.module)):
            path = row.module
            label = path.rsplit(".", 1)[-1] if path else "(model)"
            values = [label, str(row.total)] + [str(row.nodes_by_status.get(s, 0) or "")
                                                for s in STATUSES]
            item = QTreeWidgetItem(values)
            worst = worst_status(row.nodes_by_status)
            item.setToolTip(0, f"{path or 'whole model'} — {row.total} nodes; worst status: "
                               f"{worst.replace('_', ' ')}")
            for column in range(1, len(COLUMNS)):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            for column, status in enumerate(STATUSES, start=2):
                if row.nodes_by_status.get(status) and status != "supported":
                    item.setForeground(column, QBrush(QColor(STATUS_COLORS[status])))
            color = QBrush(QColor(STATUS_COLORS[worst_status(row.nodes_by_status)]))
            item.setForeground(0, color)
            parent_path = path.rsplit(".", 1)[0] if "." in path else ("" if path else None)
            parent = items.get(parent_path) if parent_path is not None else None
            if parent is not None:
                parent.addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            items[path] = item
        self.tree.expandToDepth(1)  # the model and its top-level modules open
        for column in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(column)
        self.tree.setColumnWidth(0, min(self.tree.columnWidth(0) + 24, 420))
