"""A node-data overlay for Google's Model Explorer: load the model there, then this file
with "Add per-node data", and every node shows its Neuron verdict.

The file is Model Explorer's node-data JSON (``ModelNodeData`` in its Python package,
``NodeDataProviderData`` in its UI): an object keyed by graph id, each holding ``results``
keyed by node id, a result carrying the node's ``value`` and a ``bgColor``. The value is a
label — the status, then the finding codes on the node — so Model Explorer's group summary
counts nodes per label. Graph and node ids are the ones Model Explorer's adapters give:
the ONNX adapter names a graph and its nodes as the file does; the PyTorch adapter names an
ExportedProgram's graph ``graph`` and its nodes by their FX names in the saved program, so
the nodes one saved node decomposed into are reported under its name, with their worst
status and all their codes.
Format: https://github.com/google-ai-edge/model-explorer/blob/main/src/server/package/src/model_explorer/node_data_builder.py
"""

from __future__ import annotations

import json
from typing import Any

from trnport.analyzers.results import Report
from trnport.analyzers.results.model_graph import worst_status

#: background colours per status: the report's palette
STATUS_BG = {"supported": "#2e9d57", "conditional": "#c9a227", "cpu_fallback": "#e07b24",
             "unsupported": "#d64541", "unknown": "#8a8f98"}
#: the graph id Model Explorer's PyTorch ExportedProgram adapter gives its one graph
PYTORCH_GRAPH_ID = "graph"


def node_label(status: str, codes: tuple[str, ...]) -> str:
    """``cpu_fallback``, or ``unsupported TRN101 TRN202`` when findings name the node."""
    return " ".join((status, *codes))


def graph_id(report: Report) -> str:
    if report.model.format == "onnx" and report.graph is not None:
        return report.graph.name
    return PYTORCH_GRAPH_ID


def model_explorer_data(report: Report) -> dict[str, Any]:
    """The overlay as JSON-ready data (empty results for a report without its graph)."""
    merged: dict[str, tuple[list[str], dict[str, None]]] = {}
    if report.graph is not None:
        for node in report.graph.nodes:
            # the nodes one saved node became share its id: worst status, every code
            statuses, codes = merged.setdefault(node.origin or node.name, ([], {}))
            statuses.append(node.status)
            codes.update(dict.fromkeys(node.codes))
    results = {}
    for key, (statuses, codes) in merged.items():
        status = worst_status(statuses)
        results[key] = {"value": node_label(status, tuple(codes)),
                        "bgColor": STATUS_BG.get(status, "#8a8f98"), "textColor": "#ffffff"}
    name = (f"trnport · {report.target.family} {report.target.mode} · "
            f"SDK {report.kb.profile} · {report.target.stack_text}")
    return {graph_id(report): {"name": name, "results": results,
                               "showExpandedSummaryOnGroupNode": True,
                               "showLabelCountColumnsInChildrenStatsTable": True}}


def render_model_explorer(report: Report) -> str:
    return json.dumps(model_explorer_data(report), indent=1, ensure_ascii=False) + "\n"
