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
    module_path_prefixes,
)

__all__ = [
    "DTYPE_BYTES", "UNKNOWN_LOCATION", "Dim", "Graph", "Node", "Param", "Shape",
    "SourceLocation", "Value", "module_path_prefixes",
]
