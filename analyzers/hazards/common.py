"""Small helpers shared by the hazard analyses."""

from __future__ import annotations

from trnport.analyzers.graph import Graph, Node
from trnport.analyzers.results import Location

#: ops that read one tensor value into a Python scalar on the host
HOST_READ_OPS = frozenset({
    "aten._local_scalar_dense.default", "aten.item.default",
    "aten._local_scalar_dense", "aten.item",
})


def node_location(node: Node) -> Location:
    loc = node.location
    return Location(file=loc.file, line=loc.line, module=loc.module, library=loc.library)


def producers(graph: Graph) -> dict[str, Node]:
    """Value name → the node (of ``graph`` or its subgraph bodies) that produces it."""
    return {out: node for node, _ in graph.walk() for out in node.outputs if out}


def is_onnx(node: Node) -> bool:
    return "::" in node.op
