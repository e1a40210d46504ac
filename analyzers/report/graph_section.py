"""The graph section of the HTML report: the model's graph as compact JSON for the page's
own SVG renderer (``resources/templates/graph.js``), which lays out one level at a time
with the inlined dagre library.

The JSON is kept small for a 30,000-node model (graph.js decodes it):

- ``nodes``: ``[shared, rest, op, status, group, codes, reason, where]``; a node's name is
  the first ``shared`` characters of the previous node's name followed by ``rest`` (names
  in execution order share long module prefixes); ``op``, ``reason`` and ``where`` index
  ``strings``; a node's module is its group's path.
- ``edges``: flat triples ``[target step, target - source, type]``, in target order, the
  target given as the step from the previous edge's; ``type`` indexes ``types``
  ``[dtype, shape, bytes]``.
- ``groups``: ``[label, parent, status, size, first, run, codes]``; a group's module path is
  its parent's path and its label joined by a dot, or its parent's path for a ``run`` (1) of
  parts of one module.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from trnport.analyzers.graphview import initial_expansion
from trnport.analyzers.results import STATUSES, Report
from trnport.analyzers.results.model_graph import ModelGraph


class _Strings:
    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        found = self._index.get(text)
        if found is None:
            found = self._index[text] = len(self.items)
            self.items.append(text)
        return found


def graph_data(model: ModelGraph) -> dict[str, Any]:
    """The page's view of ``model`` (see ``graph.js`` for how each array is read)."""
    status = {name: index for index, name in enumerate(STATUSES)}
    strings = _Strings()
    strings("")
    types: dict[tuple[str, str], int] = {}
    type_rows: list[list[Any]] = []
    for edge in model.edges:
        key = (edge.dtype, edge.shape)
        if key not in types:
            types[key] = len(type_rows)
            type_rows.append([edge.dtype, edge.shape, edge.nbytes])
    edges: list[int] = []
    previous = 0
    for edge in sorted(model.edges, key=lambda e: (e.target, e.source)):
        edges += (edge.target - previous, edge.target - edge.source,
                  types[(edge.dtype, edge.shape)])
        previous = edge.target
    nodes = []
    last = ""
    for node in model.nodes:
        shared = _common_prefix(last, node.name)
        last = node.name
        where = f"{node.file}:{node.line}" if node.file and node.line else node.file or ""
        nodes.append([shared, node.name[shared:], strings(node.op), status.get(node.status, 4),
                      node.group, " ".join(node.codes), strings(node.reason), strings(where)])
    groups = [[group.label, group.parent, status.get(group.status, 4), group.size, group.first,
               int(group.parent >= 0 and group.path == model.groups[group.parent].path),
               " ".join(group.codes)]
              for group in model.groups]
    regions = [[list(region.nodes), region.bytes_in, region.bytes_out, region.unsized]
               for region in model.regions]
    return {"statuses": list(STATUSES), "nodes": nodes, "groups": groups, "edges": edges,
            "types": type_rows, "strings": strings.items, "regions": regions,
            "device_graphs": model.device_graphs, "open": sorted(initial_expansion(model))}


def _common_prefix(a: str, b: str) -> int:
    limit = min(len(a), len(b))
    index = 0
    while index < limit and a[index] == b[index]:
        index += 1
    return index


def graph_json(report: Report) -> str | None:
    """The JSON the page reads, safe inside a ``<script type="application/json">`` element;
    None for a report without its graph (read back from JSON)."""
    if report.graph is None or not report.graph.nodes:
        return None
    text = json.dumps(graph_data(report.graph), ensure_ascii=False, separators=(",", ":"))
    # "</script" would end the element early and "<!--" open a comment in it: no "<" at all
    return text.replace("<", "\\u003c")


@cache
def graph_page_script() -> str:
    """dagre (vendored, see ``templates/vendor/README.md``) followed by the page's renderer,
    as one script the page's Content-Security-Policy admits by hash."""
    templates = resources.files("trnport.resources").joinpath("templates")
    dagre = templates.joinpath("vendor", "dagre.min.js").read_text(encoding="utf-8")
    renderer = templates.joinpath("graph.js").read_text(encoding="utf-8")
    return f"{dagre}\n{renderer}"
