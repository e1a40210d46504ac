"""TRN202 from the int64 range analysis and TRN501 from the mask-constant flow: reported where a
value really leaves the int32 range or a mask constant really breaks, not on every index."""

import textwrap

import pytest

from tests.analyzers.hazards import onnx_models
from tests.analyzers.loaders.hf_configs import tiny_config, write_config
from tests.helpers import REPO
from trnport.analyzers.api import analyze
from trnport.analyzers.hazards import wide_int64_values
from trnport.analyzers.loaders import load_model
from trnport.analyzers.options import AnalysisOptions

DEBERTA_V2 = {
    "model_type": "deberta-v2", "architectures": ["DebertaV2ForMaskedLM"], "hidden_size": 64,
    "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128,
    "vocab_size": 256, "max_position_embeddings": 128, "relative_attention": True,
    "position_buckets": 32, "pos_att_type": ["p2c", "c2p"], "position_biased_input": False,
}


def _codes(report, code):
    return [f for f in report.findings if f.code == code]


def _python_model(tmp_path, body):
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_onnx_shape_arithmetic_is_never_reported(tmp_path):
    path = onnx_models.shape_arithmetic(tmp_path / "s.onnx")
    graph = load_model(path, AnalysisOptions(input_shapes={"x": (2, 16, 8)})).graph
    assert wide_int64_values(graph) == []
    report = analyze(path, AnalysisOptions(target="trn1"))
    assert not _codes(report, "TRN202")


def test_hashed_ids_are_reported_once_at_the_product(tmp_path):
    path = onnx_models.hashed_ids(tmp_path / "h.onnx")
    graph = load_model(path, AnalysisOptions(input_shapes={"ids": (1, 8)})).graph
    wide = wide_int64_values(graph)
    assert [(v.nodes[0].name, v.input) for v in wide] == [("hash", None)]
    assert wide[0].high == 4095 * 1000003 and wide[0].bound == "2^32"


def test_cumsum_of_bounded_values_over_a_long_axis_grows_past_int32(tmp_path):
    path = _python_model(tmp_path, """
        import torch

        class Running(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.table = torch.nn.Embedding(50000, 4)

            def forward(self, ids):
                short = torch.cumsum(ids[:, :8], dim=1)
                return self.table(ids), torch.cumsum(ids * 8, dim=1), short

        model = Running()
        example_inputs = (torch.randint(0, 50000, (1, 8192)),)
    """)
    graph = load_model(path, AnalysisOptions(trust_code=True)).graph
    wide = wide_int64_values(graph)
    assert [v.nodes[0].op for v in wide] == ["aten.cumsum.default"]
    assert wide[0].high == 49999 * 8 * 8192  # the short cumsum stays below 2**31
    report = analyze(path, AnalysisOptions(trust_code=True, target="trn1"))
    found = _codes(report, "TRN202")
    assert len(found) == 1 and found[0].count == 1 and "reaches 2^32" in found[0].message


def test_an_unbounded_int64_input_is_reported_with_its_readers(tmp_path):
    path = _python_model(tmp_path, """
        import torch

        class Timestamps(torch.nn.Module):
            def forward(self, stamps, x):
                return x * (stamps - stamps[:, :1]).float()

        model = Timestamps()
        example_inputs = (torch.arange(8).reshape(1, 8), torch.randn(1, 8))
    """)
    report = analyze(path, AnalysisOptions(trust_code=True, target="trn1"))
    found = _codes(report, "TRN202")
    assert len(found) == 1 and "input 'stamps' has no known bound" in found[0].message
    assert len(found[0].nodes) == 2  # the slice and the subtraction read it


def test_trn202_is_not_reported_where_int64_is_kept(tmp_path):
    path = onnx_models.hashed_ids(tmp_path / "h.onnx")
    on_trn1 = analyze(path, AnalysisOptions(target="trn1", input_shapes={"ids": (1, 8)}))
    assert len(_codes(on_trn1, "TRN202")) == 1
    kept = analyze(path, AnalysisOptions(target="trn1", input_shapes={"ids": (1, 8)},
                                         input_dtypes={"ids": "int32"}))
    assert not _codes(kept, "TRN202")


@pytest.mark.slow
@pytest.mark.parametrize("model_type", ["llama", "gpt2", "bert", "t5", "deberta-v2", "vit"])
def test_hugging_face_models_get_no_int64_or_mask_warning(tmp_path, model_type):
    config = DEBERTA_V2 if model_type == "deberta-v2" else tiny_config(model_type)
    folder = tmp_path / model_type
    write_config(folder, config)
    report = analyze(folder, AnalysisOptions(target="trn1", seq_len=32))
    assert not _codes(report, "TRN202") and not _codes(report, "TRN501"), [
        f.message for f in report.findings]


@pytest.mark.slow
def test_llama3_8b_config_gets_at_most_one_int64_finding():
    report = analyze(REPO / "resources" / "samples" / "llama3-8b",
                     AnalysisOptions(target="trn1", seq_len=128))
    assert len(_codes(report, "TRN202")) <= 1
    assert not _codes(report, "TRN501")


@pytest.mark.parametrize("model", [
    "resources/samples/tiny_cnn.onnx", "resources/samples/mlp_model.py",
    "tests/golden/models/sort_and_cumsum.pt2", "deberta", "onnx-shape-arithmetic",
])
def test_skipping_float_only_nodes_changes_no_range(model, tmp_path, monkeypatch):
    """The pass leaves out nodes that only carry floats of unknown range; visiting every
    node gives the same range for every value and the same findings."""
    from trnport.analyzers.hazards import int_ranges

    options = AnalysisOptions(trust_code=True)
    if model == "deberta":
        path = write_config(tmp_path, DEBERTA_V2)
    elif model == "onnx-shape-arithmetic":
        path = onnx_models.shape_arithmetic(tmp_path / "s.onnx")
        options = AnalysisOptions(input_shapes={"x": (2, 16, 8)})
    else:
        path = REPO / model
    graph = load_model(path, options).graph
    quick = int_ranges._RangeAnalysis(graph)
    quick_found = quick.run()
    monkeypatch.setattr(int_ranges._RangeAnalysis, "_carries_no_range", lambda self, node: False)
    full = int_ranges._RangeAnalysis(graph)
    full_found = full.run()
    assert {name: quick.ranges.get(name) for name in graph.values} == \
        {name: full.ranges.get(name) for name in graph.values}
    assert [(w.nodes, w.low, w.high, w.input) for w in quick_found] == \
        [(w.nodes, w.low, w.high, w.input) for w in full_found]
    # nodes were left out, except in the model made only of shape arithmetic
    assert len(quick.ranges) < len(full.ranges) or model == "onnx-shape-arithmetic"
