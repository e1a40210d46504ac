"""The Graph tab in a real Qt event loop: each bundled sample is drawn with every box of its
first view visible, "Show in graph" selects the node, module or operator, and the host
regions are outlined with their cuts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.analyzers.graphview.graph_models import dilated_pools
from tests.app.gui.test_main_window import analyse, distinct_colours
from tests.helpers import SAMPLES
from trnport.analyzers.graphview import initial_expansion, visible_graph
from trnport.app.gui.graph.colors import status_colors

SAMPLE_MODELS = {"tiny_cnn": SAMPLES / "tiny_cnn.onnx", "mlp_model": SAMPLES / "mlp_model.py",
                 "llama3-8b": SAMPLES / "llama3-8b" / "config.json"}


def show_graph(qtbot, window):
    window.tabs.setCurrentWidget(window.graph_view)
    assert window.graph_view.wait_ready()
    qtbot.wait(30)
    return window.graph_view


def painted_boxes(tab) -> int:
    """How many boxes show their status fill on the canvas (sampled right of the text)."""
    image = tab.canvas.viewport().grab().toImage()
    dark = False
    count = 0
    for item in tab.box_items:
        rect = item.rect()
        point = tab.canvas.mapFromScene(rect.x() + rect.width() - 5, rect.y() + rect.height() - 5)
        if not image.rect().contains(point):
            continue
        fill = status_colors(item.status, dark).fill.lower()
        if image.pixelColor(point).name() == fill:
            count += 1
    return count


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SAMPLE_MODELS))
def test_each_sample_graph_is_drawn_with_every_box_of_its_first_view(qtbot, window, artifacts,
                                                                     name):
    window.confirm_trust = lambda path: True
    report = analyse(qtbot, window, SAMPLE_MODELS[name])
    tab = show_graph(qtbot, window)
    expected = visible_graph(report.graph, initial_expansion(report.graph))
    assert len(tab.box_items) == len(expected.boxes)
    assert painted_boxes(tab) == len(expected.boxes)
    image = window.grab().toImage()
    assert image.save(str(artifacts / f"graph-tab-{name}.png"))
    assert distinct_colours(image) > 20


def test_show_in_graph_from_a_finding_selects_its_node(qtbot, window):
    report = analyse(qtbot, window, SAMPLES / "tiny_cnn.onnx")
    finding = next(f for f in report.findings if f.code == "TRN101")
    window.tabs.setCurrentWidget(window.findings_view)
    assert window.findings_view.select_finding(finding)
    with qtbot.waitSignal(window.graph_view.rendered, timeout=20_000):
        assert window.graph_links.show_current()
    tab = window.graph_view
    assert window.tabs.currentWidget() is tab
    assert tab.selected_name() == finding.nodes[0]
    assert finding.ops[0] in tab.details.toPlainText()
    selected = [item for item in tab.box_items if item.kind == "node"
                and report.graph.nodes[item.index].name == finding.nodes[0]]
    assert len(selected) == 1 and selected[0].pen().widthF() == 4


def test_show_in_graph_from_an_operator_row_and_a_module_row(qtbot, window):
    report = analyse(qtbot, window, SAMPLES / "tiny_cnn.onnx")
    operators = window.operators_view
    row = next(r for r in range(operators.proxy.rowCount())
               if operators.model.row_at(operators.proxy.mapToSource(
                   operators.proxy.index(r, 0)).row()).op == "onnx::MaxPool")
    operators.table.setCurrentIndex(operators.proxy.index(row, 0))
    window.tabs.setCurrentWidget(operators)
    with qtbot.waitSignal(window.graph_view.rendered, timeout=20_000):
        assert window.graph_links.show_current()
    assert report.graph.nodes[window.graph_view.selected].op == "onnx::MaxPool"
    tree = window.model_view.tree
    stem = tree.findItems("stem", Qt.MatchFlag.MatchRecursive)[0]
    tree.setCurrentItem(stem)
    window.tabs.setCurrentWidget(window.model_view)
    with qtbot.waitSignal(window.graph_view.rendered, timeout=20_000):
        assert window.graph_links.show_current()
    assert report.graph.group_of_path("stem") in window.graph_view.expanded


def test_cpu_fallback_regions_are_outlined_with_the_cuts(qtbot, window, tmp_path):
    analyse(qtbot, window, dilated_pools(tmp_path / "pools.onnx"))
    tab = show_graph(qtbot, window)
    with qtbot.waitSignal(tab.rendered, timeout=20_000):
        tab.host_button.click()
    assert "2 host regions" in tab.info.text() and "3 device graphs" in tab.info.text()
    assert "1.00 KiB in, 784 B out" in tab.info.text()
    outlined = [item for item in tab.box_items if item.pen().widthF() == 4.5]
    pools = [item for item in tab.box_items if item.kind == "node"
             and tab.model.nodes[item.index].op == "onnx::MaxPool"]
    groups = [item for item in tab.box_items if item.kind == "group"
              and tab.model.groups[item.index].status == "cpu_fallback"]
    assert len(outlined) == len(pools) + len(groups) == 2


def test_search_lists_nodes_by_operator_and_opens_the_one_chosen(qtbot, window):
    report = analyse(qtbot, window, SAMPLES / "tiny_cnn.onnx")
    tab = show_graph(qtbot, window)
    tab.search.setText("relu")
    tab._run_search()
    relus = [n for n in report.graph.nodes if "relu" in (n.name + n.op).lower()]
    assert tab.hits.count() == len(relus)
    with qtbot.waitSignal(tab.rendered, timeout=20_000):
        tab._hit_chosen(tab.hits.item(0))
    assert tab.selected_name() == relus[0].name
