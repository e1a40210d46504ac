"""The graph section's data and script as the HTML page carries them."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from tests.helpers import REPO, SAMPLES
from trnport.analyzers.api import analyze
from trnport.analyzers.report.graph_section import graph_data, graph_json, graph_page_script
from trnport.analyzers.report.html_renderer import render_html
from trnport.analyzers.results.codec import report_from_dict, report_to_dict

VENDOR = REPO / "resources" / "templates" / "vendor"


def test_the_vendored_dagre_is_the_release_its_readme_names():
    readme = (VENDOR / "README.md").read_text()
    digest = hashlib.sha256((VENDOR / "dagre.min.js").read_bytes()).hexdigest()
    assert digest in readme and "3.1.3" in readme
    licence = (VENDOR / "dagre.LICENSE").read_text()
    assert "MIT" in readme and "Permission is hereby granted" in licence


def test_the_compact_data_decodes_to_every_name_edge_and_module_path():
    model = analyze(SAMPLES / "tiny_cnn.onnx").graph
    data = json.loads(graph_json_of(model))
    names, last = [], ""
    for shared, rest, *_ in data["nodes"]:
        last = last[:shared] + rest
        names.append(last)
    assert names == [node.name for node in model.nodes]
    edges, target = [], 0
    flat = data["edges"]
    for i in range(0, len(flat), 3):
        target += flat[i]
        edges.append((target - flat[i + 1], target))
    assert sorted(edges) == sorted((e.source, e.target) for e in model.edges)
    paths = {}
    for index, (label, parent, _s, _n, _f, run, _c) in enumerate(data["groups"]):
        above = paths.get(parent, "")
        joined = f"{above}.{label}" if above else label
        paths[index] = "" if parent < 0 else above if run else joined
    assert [paths[i] for i in range(len(model.groups))] == [g.path for g in model.groups]


def graph_json_of(model) -> str:
    return json.dumps(graph_data(model))


def test_the_page_admits_the_graph_script_by_its_hash_and_nothing_else():
    report = analyze(SAMPLES / "tiny_cnn.onnx")
    page = render_html(report)
    script = graph_page_script()
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert f"'sha256-{digest}'" in policy and "unsafe-inline" not in policy.split("script-src")[1]
    assert f"<script>{script}</script>" in page
    assert '<script type="application/json" id="graph-data">' in page
    assert "<" not in graph_json(report)


def test_a_report_read_back_from_json_has_no_graph_section():
    report = report_from_dict(report_to_dict(analyze(SAMPLES / "tiny_cnn.onnx")))
    page = render_html(report)
    assert 'id="graph"' not in page and 'class="graph-link"' not in page
