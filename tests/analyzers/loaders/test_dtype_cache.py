"""Another dtype of a Hugging Face config from the graph cache: a model built in bfloat16 or
float16 gives the graph of it built in float32 (and the two half precisions each other's)
without exporting, equal to that export, unless its code branches on those dtypes."""

from __future__ import annotations

import dataclasses

import pytest

from trnport.analyzers.api import analyze
from trnport.analyzers.graph.retype import NotRetyped
from trnport.analyzers.options import AnalysisOptions

RETYPED = "made from the cached export of it built in"
SPECIALISED = "graph specialised to these sizes"
#: architectures whose code tests no floating dtype; the first two run in the quick suite
PLAIN_TYPES = ("llama", "bert", "mistral", "mixtral", "qwen2", "phi3", "gemma", "gemma2",
               "roberta", "distilbert", "vit")
PAIRS = (("bf16", "fp32"), ("bf16", "fp16"), ("fp16", "fp32"), ("fp16", "bf16"))


def _config(tmp_path, model_type: str, **overrides):
    from tests.analyzers.loaders.hf_configs import tiny_config, write_config

    return write_config(tmp_path / model_type, tiny_config(model_type, **overrides))


@pytest.mark.parametrize("model_type", [
    t if t in PLAIN_TYPES[:2] else pytest.param(t, marks=pytest.mark.slow) for t in PLAIN_TYPES])
def test_a_retyped_graph_is_the_export_of_the_model_built_in_that_dtype(tmp_path, model_type):
    from tests.analyzers.loaders.hf_configs import loaded_differences
    from trnport.analyzers.loaders.hf import loader as hf

    path = _config(tmp_path, model_type)
    built = {dtype: hf.load(path, AnalysisOptions(dtype=dtype, batch=2, seq_len=16))
             for dtype in ("bf16", "fp16", "fp32")}
    for source, target in PAIRS:
        retyped = hf.retype_dtype(built[source], AnalysisOptions(dtype=source),
                                  AnalysisOptions(dtype=target))
        assert loaded_differences(_noted(retyped), built[target]) == [], (source, target)


def test_a_replicated_layer_stack_is_retyped_with_its_clones_named_as_an_export_names_them(
        tmp_path):
    from tests.analyzers.loaders.hf_configs import loaded_differences
    from trnport.analyzers.loaders.hf import loader as hf

    path = _config(tmp_path, "llama", num_hidden_layers=8)
    bf16 = hf.load(path, AnalysisOptions(dtype="bf16"))
    fp32 = hf.load(path, AnalysisOptions(dtype="fp32"))
    assert "replicated_layers" in bf16.graph.metadata
    assert len(bf16.graph.nodes) > len(fp32.graph.nodes)  # the upcasts of bf16
    retyped = hf.retype_dtype(bf16, AnalysisOptions(dtype="bf16"), AnalysisOptions(dtype="fp32"))
    assert loaded_differences(_noted(retyped), fp32) == []


@pytest.mark.parametrize(("model_type", "source", "target"), [
    ("gpt2", "bf16", "fp32"),  # raises unless its attention weights are float32
    pytest.param("falcon", "bf16", "fp16", marks=pytest.mark.slow),  # upcasts in half only
])
def test_a_model_whose_code_tests_either_dtype_is_not_retyped(tmp_path, model_type, source,
                                                               target):
    from trnport.analyzers.loaders.hf import loader as hf

    loaded = hf.load(_config(tmp_path, model_type), AnalysisOptions(dtype=source))
    with pytest.raises(NotRetyped):
        hf.retype_dtype(loaded, AnalysisOptions(dtype=source), AnalysisOptions(dtype=target))


def test_float32_is_never_the_source(tmp_path):
    from trnport.analyzers.loaders.hf import loader as hf

    loaded = hf.load(_config(tmp_path, "llama"), AnalysisOptions(dtype="fp32"))
    assert [o.dtype for o in hf.retype_sources(AnalysisOptions(dtype="bf16"))] == ["fp16"]
    with pytest.raises(NotRetyped):
        hf.retype_dtype(loaded, AnalysisOptions(dtype="fp32"), AnalysisOptions(dtype="bf16"))


def test_another_dtype_is_retyped_from_the_cache_and_gives_the_report_of_its_export(
        tmp_path, monkeypatch):
    from trnport.analyzers.loaders.torch import fx_graph

    path = _config(tmp_path, "llama")
    folder = tmp_path / "cache"
    expected = {(dtype, batch): analyze(path, AnalysisOptions(dtype=dtype, batch=batch))
                for dtype, batch in (("fp32", 1), ("fp16", 1), ("fp32", 6))}
    analyze(path, AnalysisOptions(cache_dir=str(folder)))  # bf16 at batch 1
    analyze(path, AnalysisOptions(cache_dir=str(folder), batch=4))  # bf16 at any batch

    def refuse(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(fx_graph, "export_program", refuse)
    for (dtype, batch), report in expected.items():
        again = analyze(path, AnalysisOptions(cache_dir=str(folder), dtype=dtype, batch=batch))
        assert any(RETYPED in d for d in again.diagnostics), (dtype, batch)
        assert _without(again, RETYPED, SPECIALISED) == report, (dtype, batch)


def test_a_float32_graph_is_not_retyped_to_half_precision(tmp_path):
    path = _config(tmp_path, "llama")
    folder = tmp_path / "cache"
    analyze(path, AnalysisOptions(cache_dir=str(folder), dtype="fp32"))
    report = analyze(path, AnalysisOptions(cache_dir=str(folder), dtype="bf16"))
    assert not any(RETYPED in d for d in report.diagnostics)
    assert report == analyze(path, AnalysisOptions(dtype="bf16"))


def _noted(loaded):
    """``loaded`` less its last note, which must say it was retyped."""
    assert RETYPED in loaded.diagnostics[-1]
    return dataclasses.replace(loaded, diagnostics=loaded.diagnostics[:-1])


def _without(report, *notes: str):
    return dataclasses.replace(report, diagnostics=tuple(
        d for d in report.diagnostics if not any(note in d for note in notes)))
