"""Positions for the boxes of a :class:`VisibleGraph`, laid out with grandalf's Sugiyama
layout (a maintained layered-layout library; EPL-1.0, one of its two licences).

An open group is laid out on its own, then placed as one big box in the level above it,
so its frame never overlaps its neighbours and each grandalf run sees one level only: at
most a few dozen boxes, whatever the model's size. Pure Python without Qt: the Graph tab
runs it in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from trnport.analyzers.graphview import VisibleGraph
from trnport.analyzers.results.model_graph import ModelGraph

BOX_HEIGHT = 42
FRAME_PAD = 14
FRAME_TITLE = 24
LAYER_GAP = 36
COMPONENT_GAP = 40


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Placement:
    """Top-left rectangles: ``boxes[i]`` for ``visible.boxes[i]``, ``frames[g]`` for each
    open group ``g``; ``width`` × ``height`` the whole drawing."""

    boxes: tuple[Rect, ...]
    frames: dict[int, Rect]
    width: float
    height: float


def box_texts(model: ModelGraph, kind: str, index: int) -> tuple[str, str]:
    """The two lines a box shows: name and operator (with finding codes), or a group's
    label and size."""
    if kind == "node":
        node = model.nodes[index]
        op = node.op.removeprefix("onnx::").removeprefix("aten.")
        name = node.name.rsplit("/", 1)[-1] or node.name
        return name, op + (f" · {' '.join(node.codes)}" if node.codes else "")
    group = model.groups[index]
    size = f"{group.size} node{'' if group.size == 1 else 's'}"
    return group.label, size + (f" · {group.codes[0]}" if group.codes else "")


def box_width(texts: tuple[str, str]) -> float:
    return min(260.0, max(96.0, 7.2 * max(len(texts[0]), len(texts[1])) + 30))


def layout(model: ModelGraph, visible: VisibleGraph) -> Placement:
    """Lay out every open level, innermost first, and compose the positions."""
    container = _containers(model, visible)
    levels: dict[int, list[tuple[str, int]]] = {}
    for position in range(len(visible.boxes)):
        levels.setdefault(container[position], []).append(("box", position))
    for group in visible.frames:
        levels.setdefault(model.groups[group].parent, []).append(("frame", group))
        levels.setdefault(group, [])
    level_edges = _level_edges(model, visible, container)
    sizes: dict[tuple[str, int], tuple[float, float]] = {}
    for position, box in enumerate(visible.boxes):
        sizes[("box", position)] = (box_width(box_texts(model, box.kind, box.index)), BOX_HEIGHT)
    local: dict[int, dict[tuple[str, int], tuple[float, float]]] = {}
    for group in sorted(levels, key=lambda g: -len(model.ancestors(g))):  # innermost first
        positions, width, height = _layout_level(levels[group], level_edges.get(group, ()),
                                                 sizes)
        local[group] = positions
        sizes[("frame", group)] = (max(width, 120) + 2 * FRAME_PAD,
                                   height + FRAME_TITLE + FRAME_PAD)
    boxes: dict[int, Rect] = {}
    frames: dict[int, Rect] = {}

    def place(group: int, ox: float, oy: float) -> None:
        for item, (x, y) in local[group].items():
            w, h = sizes[item]
            if item[0] == "box":
                boxes[item[1]] = Rect(ox + x, oy + y, w, h)
            else:
                frames[item[1]] = Rect(ox + x, oy + y, w, h)
                place(item[1], ox + x + FRAME_PAD, oy + y + FRAME_TITLE)

    place(0, 20, 20)
    width = max([r.x + r.w for r in (*boxes.values(), *frames.values())], default=100) + 20
    height = max([r.y + r.h for r in (*boxes.values(), *frames.values())], default=60) + 20
    return Placement(tuple(boxes[i] for i in range(len(visible.boxes))), frames, width, height)


def _containers(model: ModelGraph, visible: VisibleGraph) -> list[int]:
    """The innermost open group around each box (0: the model)."""
    inner = [0] * len(visible.boxes)
    for group in sorted(visible.frames, key=lambda g: len(model.ancestors(g))):
        for position in visible.frames[group]:
            inner[position] = group  # deeper groups come later and win
    return inner


def _level_edges(model, visible, container) -> dict[int, set]:
    """Each box edge as an edge between the two items of the level where its ends meet."""
    chains = {}

    def chain(position: int) -> list[tuple[str, int]]:
        found = chains.get(position)
        if found is None:
            found = [("box", position)]
            group = container[position]
            while group > 0:
                found.append(("frame", group))
                group = model.groups[group].parent
            found.append(("frame", 0))
            chains[position] = found
        return found

    edges: dict[int, set] = {}
    for edge in visible.edges:
        a, b = chain(edge.source)[::-1], chain(edge.target)[::-1]
        depth = 0
        while depth + 1 < min(len(a), len(b)) and a[depth + 1] == b[depth + 1]:
            depth += 1
        if depth + 1 >= len(a) or depth + 1 >= len(b):
            continue
        edges.setdefault(a[depth][1], set()).add((a[depth + 1], b[depth + 1]))
    return edges


def _layout_level(items, edges, sizes) -> tuple[dict, float, float]:
    """grandalf's Sugiyama layout of one level; components side by side, left to right."""
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    class _View:
        def __init__(self, w: float, h: float):
            self.w, self.h, self.xy = w, h, (0.0, 0.0)

    vertices = {}
    for item in items:
        vertex = Vertex(item)
        vertex.view = _View(*sizes[item])
        vertices[item] = vertex
    links = [Edge(vertices[a], vertices[b]) for a, b in sorted(edges)
             if a in vertices and b in vertices and a != b]
    graph = Graph(list(vertices.values()), links)
    positions: dict = {}
    offset = 0.0
    height = 0.0
    for component in sorted(graph.C, key=lambda c: min(_order(v.data) for v in c.sV)):
        if len(component.sV) == 1:
            vertex = next(iter(component.sV))
            vertex.view.xy = (vertex.view.w / 2, vertex.view.h / 2)
        else:
            sugiyama = SugiyamaLayout(component)
            sugiyama.yspace = LAYER_GAP
            sugiyama.xspace = 24
            sugiyama.init_all(optimize=True)
            sugiyama.draw(3)
        left = min(v.view.xy[0] - v.view.w / 2 for v in component.sV)
        top = min(v.view.xy[1] - v.view.h / 2 for v in component.sV)
        right = offset
        for vertex in component.sV:
            x = vertex.view.xy[0] - vertex.view.w / 2 - left + offset
            y = vertex.view.xy[1] - vertex.view.h / 2 - top
            positions[vertex.data] = (x, y)
            right = max(right, x + vertex.view.w)
            height = max(height, y + vertex.view.h)
        offset = right + COMPONENT_GAP
    return positions, max(offset - COMPONENT_GAP, 0.0), height


def _order(item) -> int:
    return item[1] if item[0] == "box" else -1
