"""Links from the other tabs to the graph: "Show in graph" on a finding, an operator row
and a module row (context menu, and Ctrl+G on the current selection)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

SHORTCUT = "Ctrl+G"


def module_path(item) -> str | None:
    """The module path of a Model-tab row (``""`` for the model row)."""
    if item is None:
        return None
    parts = []
    while item is not None and item.parent() is not None:
        parts.append(item.text(0))
        item = item.parent()
    if item is not None and item.text(0) != "(model)":
        parts.append(item.text(0))
    return ".".join(reversed(parts))


def selected_operator(view):
    index = view.table.currentIndex()
    if not index.isValid():
        return None
    return view.model.row_at(view.proxy.mapToSource(index).row())


class GraphLinks:
    """Wires the window's Findings, Operators and Model tabs to its Graph tab."""

    def __init__(self, window):
        self.window = window
        self.graph = window.graph_view
        self.handlers = {window.findings_view: self.show_finding,
                         window.operators_view: self.show_operator,
                         window.model_view: self.show_module}
        widgets = ((window.findings_view.tree, self.show_finding),
                   (window.operators_view.table, self.show_operator),
                   (window.model_view.tree, self.show_module))
        self.menu_actions = []
        for widget, handler in widgets:
            # the Findings tree already lists its actions as its context menu; join them
            widget.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
            action = QAction("Show in graph", widget)
            action.triggered.connect(handler)
            widget.addAction(action)
            self.menu_actions.append(action)
        self.action = QAction("Show in &graph", window)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.setStatusTip("Show the selected finding, operator or module in the graph")
        self.action.triggered.connect(self.show_current)

    def show_current(self) -> bool:
        handler = self.handlers.get(self.window.tabs.currentWidget())
        return handler() if handler is not None else False

    def _go(self, shown: bool, what: str) -> bool:
        self.window.tabs.setCurrentWidget(self.graph)
        if not shown:
            self.window.status_label.setText(f"{what} is not in the graph")
        return shown

    def show_finding(self) -> bool:
        finding = self.window.findings_view.selected_finding()
        if finding is None or not finding.nodes:
            self.window.status_label.setText("This finding names no node of the graph")
            return False
        return self._go(self.graph.reveal_node(finding.nodes[0]), f"Node {finding.nodes[0]}")

    def show_operator(self) -> bool:
        row = selected_operator(self.window.operators_view)
        if row is None:
            return False
        return self._go(self.graph.reveal_op(row.op, row.status), f"Operator {row.op}")

    def show_module(self) -> bool:
        path = module_path(self.window.model_view.tree.currentItem())
        if path is None:
            return False
        return self._go(self.graph.reveal_module(path), f"Module {path or '(model)'}")
