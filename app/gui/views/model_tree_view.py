"""Model tab: the module hierarchy, each module coloured by the worst status inside it."""

from __future__ import annotations

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
            item.setToolTip(0, path or "whole model")
            color = QBrush(QColor(STATUS_COLORS[worst_status(row.nodes_by_status)]))
            item.setForeground(0, color)
            parent_path = path.rsplit(".", 1)[0] if "." in path else ("" if path else None)
            parent = items.get(parent_path) if parent_path is not None else None
            if parent is not None:
                parent.addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            items[path] = item
        if "" in items:
            items[""].setExpanded(True)
        self.tree.resizeColumnToContents(0)
