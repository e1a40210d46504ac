"""Which node a memory finding points at, so the report can name a source line."""

from __future__ import annotations

from trnport.analyzers.graph.ir import Graph, Node


def node_named(graph: Graph, name: str | None) -> Node | None:
    if name is None:
        return None
    return next((node for node in graph.nodes if node.name == name), None)


def first_user_of_param(graph: Graph, param_name: str | None) -> Node | None:
    """The first node that reads weight ``param_name`` (by its exported placeholder, or by
    name for ONNX initializers)."""
    if param_name is None:
        return None
    placeholders = {placeholder for placeholder, target in
                    graph.metadata.get("param_inputs", {}).items() if target == param_name}
    placeholders.add(param_name)
    return next((node for node in graph.nodes if placeholders & set(node.inputs)), None)


def first_located(graph: Graph, preferred: Node | None) -> Node | None:
    """``preferred`` when it has a source location, else the first node that has one."""
    if preferred is not None and (preferred.location.file or preferred.location.module):
        return preferred
    fallback = next((node for node in graph.nodes if node.location.file), None)
    return fallback or preferred
