"""The HTML report's graph in headless Chromium: each bundled sample's graph renders with
the boxes the engine says its first view has, "Show in graph" selects the node, the Model
Explorer overlay has its documented form, and model names stay text.

Screenshots are kept in test-artifacts/ for people to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.analyzers.graphview.graph_models import relu_chain
from tests.analyzers.report.browser import ARTIFACTS, dump_dom, pixel_colours, screenshot
from trnport.analyzers.api import analyze
from trnport.analyzers.graphview import initial_expansion, visible_graph
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.report.html_renderer import render_html

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[3] / "resources" / "samples"
SAMPLE_MODELS = {"tiny_cnn": (SAMPLES / "tiny_cnn.onnx", {}),
                 "mlp_model": (SAMPLES / "mlp_model.py", {"trust_code": True}),
                 "llama3-8b": (SAMPLES / "llama3-8b" / "config.json", {})}
# the fills of report.css's --ok-bg and --bad-bg
FILLS = {"supported": (0xe3, 0xf5, 0xea), "unsupported": (0xfd, 0xe7, 0xe5)}


def _section(dom: str) -> str:
    found = re.search(r'<section id="graph"[^>]*>', dom)
    assert found, "the page has no graph section"
    return found.group(0)


def _attribute(tag: str, name: str) -> str:
    found = re.search(fr'{name}="([^"]*)"', tag)
    return found.group(1) if found else ""


@pytest.fixture(scope="module", params=sorted(SAMPLE_MODELS))
def sample_page(request, tmp_path_factory):
    path, options = SAMPLE_MODELS[request.param]
    report = analyze(path, AnalysisOptions(**options))
    page = tmp_path_factory.mktemp("graph") / f"{request.param}.html"
    page.write_text(render_html(report), encoding="utf-8")
    return request.param, report, page


def test_each_sample_graph_renders_its_first_view(sample_page):
    name, report, page = sample_page
    model = report.graph
    expected = visible_graph(model, initial_expansion(model))
    dom = dump_dom(page)
    section = _section(dom)
    assert int(_attribute(section, "data-boxes")) == len(expected.boxes)
    assert dom.count('class="gv-box') == 2 * len(expected.boxes)  # canvas and minimap
    shot = screenshot(page, ARTIFACTS / f"graph-{name}.png", width=1280, height=900,
                      fragment="graph?only=1")
    colours = pixel_colours(shot, max_rows=900)
    assert len(colours) > 40, f"{name}: the graph looks blank"
    shown = {model.nodes[b.index].status if b.kind == "node" else model.groups[b.index].status
             for b in expected.boxes}
    for status, fill in FILLS.items():
        if status in shown:
            assert fill in colours, f"{name}: no {status} box is painted"




def test_show_in_graph_links_select_the_node(tmp_path):
    report = analyze(SAMPLES / "tiny_cnn.onnx")
    page = tmp_path / "cnn.html"
    html = render_html(report)
    page.write_text(html, encoding="utf-8")
    links = re.findall(r'class="graph-link" href="#graph" data-node="([^"]+)"', html)
    finding_nodes = {f.nodes[0] for f in report.findings if f.nodes}
    assert set(links) == finding_nodes
    dom = dump_dom(page, "graph?node=node_mean")
    section = _section(dom)
    assert _attribute(section, "data-selected") == "node_mean"
    assert "onnx::ReduceMean" in dom.split('class="gv-details"', 1)[1][:2000]


def test_node_names_in_the_graph_stay_text(tmp_path):
    hostile = "</script><script>document.title='pwned'</script><!--"
    path = relu_chain(tmp_path / "hostile.onnx", 3, lambda i: f"/{hostile}/Relu_{i}")
    page = tmp_path / "hostile.html"
    page.write_text(render_html(analyze(path)), encoding="utf-8")
    dom = dump_dom(page, "graph?node=" + quote(f"/{hostile}/Relu_1"))
    assert "<title>pwned" not in dom and "document.title='pwned'" in dom
    assert _attribute(_section(dom), "data-selected").startswith("/&lt;/script&gt;")


def test_a_flat_thousand_node_graph_opens_on_a_few_boxes(tmp_path):
    page = tmp_path / "flat.html"
    report = analyze(relu_chain(tmp_path / "flat.onnx", 1000))
    page.write_text(render_html(report), encoding="utf-8")
    section = _section(dump_dom(page))
    expected = visible_graph(report.graph, initial_expansion(report.graph))
    assert int(_attribute(section, "data-boxes")) == len(expected.boxes) <= 24
