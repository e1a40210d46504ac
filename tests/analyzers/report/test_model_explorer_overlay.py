"""``--format model-explorer``: Model Explorer's node-data JSON, keyed the way its ONNX and
PyTorch adapters name graphs and nodes."""

from __future__ import annotations

import json

import pytest

from tests.helpers import REPO, SAMPLES, run_cli
from trnport.analyzers.api import analyze
from trnport.analyzers.report.model_explorer import STATUS_BG, render_model_explorer

SCHEMA = REPO / "tests" / "fixtures" / "model_explorer" / "node-data.schema.json"


def validate(data) -> None:
    import jsonschema

    jsonschema.validate(data, json.loads(SCHEMA.read_text()))


def test_onnx_overlay_keys_the_graph_and_nodes_by_their_onnx_names(tmp_path):
    import onnx

    out = tmp_path / "cnn.model-explorer.json"
    result = run_cli("check", str(SAMPLES / "tiny_cnn.onnx"), "--no-history",
                     "--format", "model-explorer", "-o", str(out))
    assert result.code == 1, result.stderr  # the sample is blocked: the gate fails
    data = json.loads(out.read_text())
    validate(data)
    proto = onnx.load(str(SAMPLES / "tiny_cnn.onnx"))
    assert list(data) == [proto.graph.name]
    results = data[proto.graph.name]["results"]
    assert set(results) == {node.name for node in proto.graph.node}
    report = analyze(SAMPLES / "tiny_cnn.onnx")
    for finding in report.findings:
        for name in finding.nodes:
            assert finding.code in results[name]["value"].split()
    statuses = {node.name: node.status for node in report.graph.nodes}
    for name, entry in results.items():
        assert entry["value"].split()[0] == statuses[name]
        assert entry["bgColor"] == STATUS_BG[statuses[name]]


@pytest.mark.slow
def test_pytorch_overlay_keys_nodes_by_the_exported_programs_fx_names(tmp_path):
    import torch

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(8, 8)

        def forward(self, x):
            return torch.sort(torch.relu(self.linear(x)), dim=-1).values

    path = tmp_path / "block.pt2"
    program = torch.export.export(Block(), (torch.randn(2, 8),))
    torch.export.save(program, str(path))
    data = json.loads(render_model_explorer(analyze(path)))
    validate(data)
    assert list(data) == ["graph"]
    # Model Explorer's PyTorch adapter draws the program as saved, without decomposing it
    saved = torch.export.load(str(path))
    import operator

    fx_names = {node.name for node in saved.graph.nodes
                if node.op == "call_function" and node.target is not operator.getitem}
    results = data["graph"]["results"]
    assert set(results) == fx_names
    assert results["sort"]["value"].split()[0] in STATUS_BG


def test_a_report_read_back_from_json_writes_an_empty_overlay(tmp_path):
    from trnport.analyzers.results.codec import report_from_dict, report_to_dict

    report = report_from_dict(report_to_dict(analyze(SAMPLES / "tiny_cnn.onnx")))
    data = json.loads(render_model_explorer(report))
    validate(data)
    assert [entry["results"] for entry in data.values()] == [{}]
