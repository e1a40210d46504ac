"""What one view of the graph shows: the boxes of the open groups and the edges between
them, a collapsed group standing for every node under it.

This is the work a view does when a group is opened or closed; it is linear in nodes and
edges, so a GUI runs it off its event loop for a large model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trnport.analyzers.results.model_graph import ModelGraph


@dataclass(frozen=True)
class Box:
    """A node (``kind == "node"``) or a collapsed group; ``index`` into that list."""

    kind: str
    index: int


@dataclass(frozen=True)
class BoxEdge:
    """All tensors from one box to another: how many, their bytes, and one as example."""

    source: int
    target: int
    count: int
    nbytes: int
    value: str
    shape: str
    dtype: str


@dataclass(frozen=True)
class VisibleGraph:
    """``frames`` maps each open group (not the model) to the boxes drawn inside it."""

    boxes: tuple[Box, ...]
    edges: tuple[BoxEdge, ...]
    frames: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def box_of(self, kind: str, index: int) -> int | None:
        for position, box in enumerate(self.boxes):
            if box.kind == kind and box.index == index:
                return position
        return None


def visible_graph(model: ModelGraph, expanded: frozenset[int] | set[int]) -> VisibleGraph:
    """The boxes shown when the groups in ``expanded`` are open (the model always is)."""
    groups = model.groups
    is_open = [False] * len(groups)
    boxes: list[Box] = []
    box_of_group: dict[int, int] = {}
    frames: dict[int, list[int]] = {}

    def visit(group: int, enclosing: list[int]) -> None:
        is_open[group] = True
        inside = [*enclosing, group] if group else enclosing
        parts = sorted([(groups[c].first, 0, c) for c in groups[group].children] +
                       [(n, 1, n) for n in groups[group].nodes])
        for _, is_node, item in parts:
            if is_node:
                _add(boxes, Box("node", item), inside, frames)
            elif item in expanded:
                visit(item, inside)
            else:
                box_of_group[item] = _add(boxes, Box("group", item), inside, frames)

    visit(0, [])
    node_box = _node_boxes(model, is_open, box_of_group, boxes)
    return VisibleGraph(tuple(boxes), _box_edges(model, node_box),
                        {g: tuple(items) for g, items in frames.items()})


def _add(boxes: list[Box], box: Box, enclosing: list[int], frames) -> int:
    boxes.append(box)
    position = len(boxes) - 1
    for group in enclosing:
        frames.setdefault(group, []).append(position)
    return position


def _node_boxes(model, is_open, box_of_group, boxes) -> list[int]:
    """The box each node is drawn in: itself when its group is open, else the outermost
    collapsed group around it."""
    direct = {box.index: position for position, box in enumerate(boxes) if box.kind == "node"}
    memo: dict[int, int] = {}

    def collapsed_box(group: int) -> int:
        found = memo.get(group)
        if found is None:
            parent = model.groups[group].parent
            found = box_of_group[group] if is_open[parent] else collapsed_box(parent)
            memo[group] = found
        return found

    return [direct[i] if is_open[node.group] else collapsed_box(node.group)
            for i, node in enumerate(model.nodes)]


def _box_edges(model, node_box) -> tuple[BoxEdge, ...]:
    merged: dict[tuple[int, int], list] = {}
    for edge in model.edges:
        pair = (node_box[edge.source], node_box[edge.target])
        if pair[0] == pair[1]:
            continue
        entry = merged.get(pair)
        if entry is None:
            merged[pair] = [1, edge.nbytes or 0, edge]
        else:
            entry[0] += 1
            entry[1] += edge.nbytes or 0
    return tuple(BoxEdge(s, t, count, nbytes, first.value, first.shape, first.dtype)
                 for (s, t), (count, nbytes, first) in merged.items())


def initial_expansion(model: ModelGraph, budget: int = 24) -> frozenset[int]:
    """The groups to open when a graph is first shown: the biggest collapsed group is
    opened while the boxes stay within ``budget``, so a model whose top level is one or
    two modules (``model``, ``lm_head``) opens on their parts instead."""
    groups = model.groups
    opened: set[int] = set()
    shown = len(groups[0].children) + len(groups[0].nodes)
    closed = list(groups[0].children)
    while closed:
        biggest = max(closed, key=lambda g: groups[g].size)
        extra = len(groups[biggest].children) + len(groups[biggest].nodes) - 1
        if shown + extra > budget:
            break
        opened.add(biggest)
        shown += extra
        closed.remove(biggest)
        closed.extend(groups[biggest].children)
    return frozenset(opened)
