"""Framework-neutral graph IR shared by every loader and analysis."""

from trnport.analyzers.graph.ir import (
    DTYPE_BYTES,
    UNKNOWN_LOCATION,
    Dim,
    Graph,
    Node,
    Param,
    Shape,
    SourceLocation,
    Value,
    add_to_ancestors,
)

__all__ = [
    "DTYPE_BYTES", "UNKNOWN_LOCATION", "Dim", "Graph", "Node", "Param", "Shape",
    "SourceLocation", "Value", "add_to_ancestors",
]
