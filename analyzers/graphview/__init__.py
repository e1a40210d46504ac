"""The model's dataflow graph as the Graph views show it: every node with its verdict,
grouped by module, with the host-fallback regions that cut the model into device graphs."""

from trnport.analyzers.graphview.build import build_model_graph
from trnport.analyzers.graphview.visible import VisibleGraph, initial_expansion, visible_graph
from trnport.analyzers.results.model_graph import (
    GraphEdge,
    GraphGroup,
    GraphNode,
    HostRegion,
    ModelGraph,
    worst_status,
)

__all__ = ["GraphEdge", "GraphGroup", "GraphNode", "HostRegion", "ModelGraph", "VisibleGraph",
           "build_model_graph", "initial_expansion", "visible_graph", "worst_status"]
