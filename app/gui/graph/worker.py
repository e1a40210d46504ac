"""Works out what to show and lays it out off the event loop: on a 50,000-node model the
walk over every node and edge, and a large level's layout, take longer than a frame."""

from __future__ import annotations

from PySide6.QtCore import QThread, Signal

from trnport.analyzers.graphview import visible_graph
from trnport.app.gui.graph.layout import layout


class LayoutJob(QThread):
    """``done(token, visible, placement, lookups)`` once; ``failed(token, message)`` instead
    when the layout library refuses the graph. ``lookups`` (with ``index=True``, for a new
    model) holds what the tab looks nodes up by: built here, since on a 50,000-node model
    even a name index takes longer than a frame."""

    done = Signal(int, object, object, object)
    failed = Signal(int, str)

    def __init__(self, token: int, model, expanded: frozenset[int], index: bool = False,
                 parent=None):
        super().__init__(parent)
        self.token = token
        self._model = model
        self._expanded = expanded
        self._index = index

    def run(self) -> None:
        try:
            lookups = node_lookups(self._model) if self._index else None
            visible = visible_graph(self._model, self._expanded)
            placement = layout(self._model, visible)
        except Exception as error:  # a layout bug must not take the window down
            self.failed.emit(self.token, f"{type(error).__name__}: {error}")
            return
        self.done.emit(self.token, visible, placement, lookups)


def node_lookups(model) -> dict:
    """Node index by name, and the nodes and groups of the host regions."""
    host_nodes = {n for region in model.regions for n in region.nodes}
    host_groups = {g for n in host_nodes for g in model.ancestors(model.nodes[n].group)}
    return {"names": model.node_index(), "host_nodes": host_nodes, "host_groups": host_groups}
