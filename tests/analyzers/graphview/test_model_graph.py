"""The report's graph: grouping by module, worst status per group, edges with shapes, host
regions and the boxes one view shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from trnport.analyzers.api import analyze
from trnport.analyzers.graphview import (
    GraphEdge,
    GraphNode,
    initial_expansion,
    visible_graph,
    worst_status,
)
from trnport.analyzers.graphview.grouping import MAX_PARTS
from trnport.analyzers.graphview.regions import host_regions
from trnport.analyzers.results.codec import report_from_dict, report_to_dict

from .graph_models import relu_chain

SAMPLES = Path(__file__).resolve().parents[3] / "resources" / "samples"


@pytest.fixture(scope="module")
def cnn_report():
    return analyze(SAMPLES / "tiny_cnn.onnx")


def _nodes_under(model, group):
    found = list(model.groups[group].nodes)
    for child in model.groups[group].children:
        found += _nodes_under(model, child)
    return found


def test_every_group_has_the_worst_status_of_the_nodes_under_it(cnn_report):
    model = cnn_report.graph
    assert len(model.nodes) == cnn_report.model.nodes
    for index, group in enumerate(model.groups):
        under = _nodes_under(model, index)
        assert group.size == len(under)
        assert group.status == worst_status(model.nodes[n].status for n in under)
    assert model.groups[0].status == "unsupported"


def test_nodes_carry_the_codes_of_the_findings_that_name_them(cnn_report):
    model = cnn_report.graph
    by_name = {node.name: node for node in model.nodes}
    for finding in cnn_report.findings:
        for name in finding.nodes:
            if name in by_name:
                assert finding.code in by_name[name].codes
    assert any(node.codes for node in model.nodes)


def test_edges_carry_the_shape_and_dtype_of_their_tensor(cnn_report):
    edges = cnn_report.graph.edges
    assert edges
    first = cnn_report.graph.nodes[edges[0].source]
    assert edges[0].value in (first.name, *_outputs(first.name))
    assert all(edge.dtype != "?" for edge in edges)
    assert any("×" in edge.shape for edge in edges)


def _outputs(name):
    import onnx

    model = onnx.load(str(SAMPLES / "tiny_cnn.onnx"))
    return [out for node in model.graph.node if node.name == name for out in node.output]


def test_module_groups_follow_the_onnx_name_scopes(tmp_path):
    path = relu_chain(tmp_path / "scoped.onnx", 6,
                      lambda i: f"/encoder/layer.{i // 3}/act/Relu_{i}")
    model = analyze(path).graph
    paths = {group.path for group in model.groups}
    assert {"encoder", "encoder.layer.0.act", "encoder.layer.1.act"} <= paths
    top = visible_graph(model, set())
    assert [(box.kind, model.groups[box.index].label) for box in top.boxes] == \
        [("group", "encoder")]


def test_a_flat_graph_opens_on_runs_of_at_most_max_parts_boxes(tmp_path):
    model = analyze(relu_chain(tmp_path / "flat.onnx", 1000)).graph
    top = visible_graph(model, set())
    assert 1 < len(top.boxes) <= MAX_PARTS
    assert sum(model.groups[box.index].size if box.kind == "group" else 1
               for box in top.boxes) == 1000
    first_run = top.boxes[0].index
    opened = visible_graph(model, {first_run})
    assert len(opened.boxes) <= 2 * MAX_PARTS
    assert set(opened.frames) == {first_run}
    # a chain of runs is a chain of boxes: one edge between consecutive runs
    assert len(top.edges) == len(top.boxes) - 1


def test_edges_between_collapsed_groups_are_merged_with_their_count(tmp_path):
    path = relu_chain(tmp_path / "two.onnx", 4, lambda i: f"/{'ab'[i // 2]}/Relu_{i}")
    model = analyze(path).graph
    top = visible_graph(model, set())
    assert [model.groups[box.index].label for box in top.boxes] == ["a", "b"]
    assert [(e.source, e.target, e.count, e.shape) for e in top.edges] == [(0, 1, 1, "1×8")]
    assert top.edges[0].nbytes == 32


def test_initial_expansion_opens_a_lone_top_level_module(tmp_path):
    path = relu_chain(tmp_path / "lone.onnx", 40, lambda i: f"/model/layer{i // 5}/Relu_{i}")
    model = analyze(path).graph
    assert len(visible_graph(model, set()).boxes) == 1
    opened = initial_expansion(model)
    assert model.group_of_path("model") in opened
    # the model's 8 layers, then as many layers opened (5 nodes each) as fit in the budget
    assert len(visible_graph(model, opened).boxes) == 8 + 4 * 4 == MAX_PARTS


def _chain(statuses, nbytes=16):
    nodes = tuple(GraphNode(f"n{i}", "aten.op", status, 0) for i, status in enumerate(statuses))
    edges = tuple(GraphEdge(i, i + 1, f"t{i}", "4", "float32", nbytes)
                  for i in range(len(statuses) - 1))
    return nodes, edges


def test_host_regions_cut_the_model_into_device_graphs_and_count_the_crossing_bytes():
    nodes, edges = _chain(["supported", "cpu_fallback", "cpu_fallback", "supported",
                           "cpu_fallback", "supported"])
    regions, device_graphs = host_regions(nodes, edges)
    assert [region.nodes for region in regions] == [(1, 2), (4,)]
    assert [(region.bytes_in, region.bytes_out) for region in regions] == [(16, 16), (16, 16)]
    assert device_graphs == 3


def test_no_host_node_means_one_device_graph_and_symbolic_sizes_are_counted():
    nodes, edges = _chain(["supported", "supported"])
    assert host_regions(nodes, edges) == ((), 1)
    nodes, edges = _chain(["cpu_fallback", "supported"], nbytes=None)
    regions, device_graphs = host_regions(nodes, edges)
    assert (regions[0].bytes_out, regions[0].unsized, device_graphs) == (0, 1, 1)


def test_the_graph_stays_out_of_the_report_json(cnn_report):
    data = report_to_dict(cnn_report)
    assert "graph" not in data
    back = report_from_dict(data)
    assert back == cnn_report and back.graph is None


def test_host_fallback_pools_make_two_regions_and_three_device_graphs(tmp_path):
    from .graph_models import dilated_pools

    model = analyze(dilated_pools(tmp_path / "pools.onnx")).graph
    assert [model.nodes[n].op for r in model.regions for n in r.nodes] == ["onnx::MaxPool"] * 2
    assert model.device_graphs == 3
    # 1×1×16×16 float in (1 KiB), 1×1×14×14 out (784 B); then 14×14 in, 12×12 out
    assert [(r.bytes_in, r.bytes_out) for r in model.regions] == [(1024, 784), (784, 576)]


def test_the_graph_is_built_only_when_asked_for_and_the_rest_of_the_report_is_the_same(
        cnn_report):
    from trnport.analyzers.options import AnalysisOptions

    without = analyze(SAMPLES / "tiny_cnn.onnx", AnalysisOptions(model_graph=False))
    assert without.graph is None and cnn_report.graph is not None
    assert report_to_dict(without) == report_to_dict(cnn_report)


def test_the_cli_builds_the_graph_for_the_formats_that_draw_it():
    import argparse

    from trnport.app.cli.check_command import _options

    def options_for(*formats):
        return _options(argparse.Namespace(
            formats=list(formats), target="trn2", instance=None, mode="inference",
            dtype="bf16", batch=1, seq_len=None, tp=None, ep=1, pp=None, dp=1,
            optimizer="adamw", zero1=False, sdk=None, stack=None, trust_code=False,
            no_cache=True, input_shape=None, shapes=None, max_graphs=None))

    assert not options_for("json", "text", "sarif").model_graph
    assert options_for("json", "html").model_graph
    assert options_for("model-explorer").model_graph
