"""Works out what to show and lays it out off the event loop: on a 50,000-node model the
walk over every node and edge, and a large level's layout, take longer than a frame."""

from __future__ import annotations

from PySide6.QtCore import QThread, Signal

from trnport.analyzers.graphview import visible_graph
from trnport.app.gui.graph.layout import layout


class LayoutJob(QThread):
    """``done(token, visible, placement)`` once; ``failed(token, message)`` instead when the
    layout library refuses the graph."""

    done = Signal(int, object, object)
    failed = Signal(int, str)

    def __init__(self, token: int, model, expanded: frozenset[int], parent=None):
        super().__init__(parent)
        self.token = token
        self._model = model
        self._expanded = expanded

    def run(self) -> None:
        try:
            visible = visible_graph(self._model, self._expanded)
            placement = layout(self._model, visible)
        except Exception as error:  # a layout bug must not take the window down
            self.failed.emit(self.token, f"{type(error).__name__}: {error}")
            return
        self.done.emit(self.token, visible, placement)
