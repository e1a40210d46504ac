"""Build the report's graph section from the analysed graph, its verdicts and findings."""

from __future__ import annotations

from collections import Counter

from trnport.analyzers.graph.ir import Graph, Value
from trnport.analyzers.graphview.grouping import group_nodes
from trnport.analyzers.graphview.regions import host_regions
from trnport.analyzers.results.model_graph import (
    GraphEdge,
    GraphGroup,
    GraphNode,
    ModelGraph,
    worst_status,
)


def shape_text(value: Value | None) -> str:
    """``1×3×224×224`` (symbolic dims by name), ``?`` when the shape is not known."""
    if value is None or value.shape is None:
        return "?"
    return "×".join(str(dim) for dim in value.shape) or "scalar"


def build_model_graph(graph: Graph, verdicts, findings) -> ModelGraph:
    """The graph of the top-level nodes that have a verdict (subgraph bodies of ONNX
    control flow stay inside their If/Loop node), with finding codes on the nodes."""
    status = {v.node: (v.status, v.reason) for v in verdicts}
    nodes = [node for node in graph.nodes if node.name in status]
    codes: dict[str, list[str]] = {}
    for finding in findings:
        for name in finding.nodes:
            listed = codes.setdefault(name, [])
            if finding.code not in listed:
                listed.append(finding.code)
    drafts, owner = group_nodes([node.location.module for node in nodes])
    graph_nodes = tuple(
        GraphNode(name=node.name, op=node.op, status=status[node.name][0], group=owner[i],
                  codes=tuple(codes.get(node.name, ())), reason=status[node.name][1],
                  file=node.location.file, line=node.location.line,
                  module=node.location.module,
                  origin=node.origin if node.origin != node.name else None)
        for i, node in enumerate(nodes))
    edges = _edges(graph, nodes)
    groups = _finish_groups(drafts, graph_nodes)
    regions, device_graphs = host_regions(graph_nodes, edges)
    return ModelGraph(name=graph.name, nodes=graph_nodes, edges=edges, groups=groups,
                      regions=regions, device_graphs=device_graphs)


def _edges(graph: Graph, nodes) -> tuple[GraphEdge, ...]:
    producer = {}
    for index, node in enumerate(nodes):
        for name in node.outputs:
            if name:
                producer[name] = index
    edges = []
    values = graph.values
    # an edge's shape text, dtype and bytes follow from the value's type: a model has few
    described: dict[tuple, tuple[str, str, int | None]] = {}
    for target, node in enumerate(nodes):
        for name in dict.fromkeys(node.inputs):
            source = producer.get(name)
            if source is None or source == target:
                continue
            value = values.get(name)
            key = (value.shape, value.dtype) if value is not None else None
            facts = described.get(key)  # type: ignore[arg-type]
            if facts is None:
                facts = described[key] = (  # type: ignore[index]
                    shape_text(value), (value.dtype if value else None) or "?",
                    value.nbytes if value else None)
            edges.append(GraphEdge(source, target, name, *facts))
    return tuple(edges)


def _finish_groups(drafts, nodes: tuple[GraphNode, ...]) -> tuple[GraphGroup, ...]:
    """Worst status, size and codes of every group, children before parents."""
    statuses: list[Counter] = [Counter() for _ in drafts]
    codes: list[dict[str, None]] = [{} for _ in drafts]
    # statuses counted per group a node sits in, then added up each group's ancestors
    own = Counter((node.group, node.status) for node in nodes)
    for (group, node_status), count in own.items():
        while group >= 0:
            statuses[group][node_status] += count
            group = drafts[group].parent
    for node in nodes:
        if node.codes:  # few nodes have findings; codes keep the order nodes give them
            group = node.group
            while group >= 0:
                codes[group].update(dict.fromkeys(node.codes))
                group = drafts[group].parent
    return tuple(
        GraphGroup(path=d.path, label=d.label, parent=d.parent,
                   children=tuple(sorted(d.children, key=lambda c: drafts[c].first)),
                   nodes=tuple(d.nodes), status=worst_status(statuses[i]),
                   size=sum(statuses[i].values()), codes=tuple(codes[i])[:6],
                   first=d.first if d.first < 1 << 62 else 0)
        for i, d in enumerate(drafts))
