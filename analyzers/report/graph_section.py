"""The graph section of the HTML report: the model's graph as compact JSON for the page's
own SVG renderer (``resources/templates/graph.js``), which lays out one level at a time
with the inlined dagre library.

The JSON is kept small for a 30,000-node model: nodes, groups and edges are arrays; each
edge names a (dtype, shape) entry of a shared table instead of repeating it, and reasons and
source locations are strings of a shared table.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

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


def graph_data(model: ModelGraph) -> dict:
    """The page's view of ``model`` (see ``graph.js`` for how each array is read)."""
    status = {name: index for index, name in enumerate(STATUSES)}
    strings = _Strings()
    strings("")
    types: dict[tuple[str, str], int] = {}
    type_rows: list[list] = []
    for edge in model.edges:
        key = (edge.dtype, edge.shape)
        if key not in types:
            types[key] = len(type_rows)
            type_rows.append([edge.dtype, edge.shape, edge.nbytes])
    edges: list[int] = []
    for edge in model.edges:
        edges += (edge.source, edge.target, types[(edge.dtype, edge.shape)])
    nodes = [[node.name, node.op, status.get(node.status, 4), node.group, " ".join(node.codes),
              strings(node.reason),
              strings(f"{node.file}:{node.line}" if node.file and node.line else node.file or ""),
              strings(node.module or "")]
             for node in model.nodes]
    groups = [[group.label, group.parent, status.get(group.status, 4), group.size, group.first,
               strings(group.path), " ".join(group.codes)]
              for group in model.groups]
    regions = [[list(region.nodes), region.bytes_in, region.bytes_out, region.unsized]
               for region in model.regions]
    return {"statuses": list(STATUSES), "nodes": nodes, "groups": groups, "edges": edges,
            "types": type_rows, "strings": strings.items, "regions": regions,
            "device_graphs": model.device_graphs, "open": sorted(initial_expansion(model))}


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
