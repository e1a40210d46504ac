"""The TRN4xx rules read the memory result from the rule context and point at source lines."""

from __future__ import annotations

import dataclasses

from tests.analyzers.memory.memory_fixtures import (
    TRN1_CORE,
    GraphBuilder,
    MemoryRuleContext,
    llama_params,
)
from trnport.analyzers.graph import Graph
from trnport.analyzers.memory.assessment import estimate_memory
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.rules.registry import rule_module


def _findings(graph, **options):
    options = AnalysisOptions(target="trn1", **options)
    memory = estimate_memory(graph, options, TRN1_CORE)
    context = MemoryRuleContext(graph=graph, options=options, memory=memory)
    return {code: list(rule_module(code).check(context))
            for code in ("TRN401", "TRN402", "TRN403", "TRN404")}


def _projection_model(width: int, depth: int, dtype: str = "float32") -> Graph:
    """``depth`` square projections of ``width``, each at its own line of model.py."""
    b = GraphBuilder(dtype=dtype)
    b.input("x", (8, width))
    h = "x"
    for i in range(depth):
        w = b.param(f"layers.{i}.weight", (width, width))
        h = b.op("aten.mm.default", [h, w], f"h{i}", (8, width), module=f"layers.{i}")
    return b.output(h)


def test_without_tp_a_model_that_needs_tp_is_analysed_at_the_smallest_degree_that_fits():
    graph = _projection_model(16384, 20)  # 5.4 B params: 20 GiB in fp32, 10 GiB in bf16
    options = AnalysisOptions(target="trn1", dtype="fp32")
    memory = estimate_memory(graph, options, TRN1_CORE)
    assert (memory.chosen.layout.tp, memory.chosen.layout.pp) == (2, 1)
    assert memory.layout_source == "auto" and memory.chosen.fits
    found = _findings(graph, dtype="fp32")
    assert found["TRN401"] == []
    (hint,) = found["TRN402"]
    assert hint.severity == "info" and hint.category == "memory"
    assert "Needs TP >= 2" in hint.message and "analysed at TP 2" in hint.message
    assert "tensor parallelism of 2" in hint.fix
    assert hint.location.file == "model.py" and hint.location.module == "layers.0"
    assert _findings(graph, dtype="bf16")["TRN402"] == []  # one core is enough


def test_an_explicit_tp_1_that_does_not_fit_is_an_error_naming_the_layout_that_fits():
    graph = _projection_model(16384, 20)
    found = _findings(graph, dtype="fp32", tp=1)
    (error,) = found["TRN401"]
    assert found["TRN402"] == []
    assert error.severity == "error" and "tp 1, pp 1" in error.message
    assert "the smallest layout that fits trn1.32xlarge" in error.message
    assert error.message.endswith("is TP 2") and error.fix.startswith("Use --tp 2 ")


def test_a_chosen_layout_that_is_too_small_is_an_error_naming_the_smallest_tp():
    graph = _projection_model(16384, 60)  # 16 B params: 60 GiB in fp32
    found = _findings(graph, dtype="fp32", tp=2)
    (error,) = found["TRN401"]
    assert found["TRN402"] == []
    assert error.severity == "error"
    assert "tp 2" in error.message and error.message.endswith("is TP 4")
    assert error.fix.startswith("Use --tp 4")
    assert found["TRN401"] == _findings(graph, dtype="fp32", tp=2)["TRN401"]


def test_nothing_fitting_at_any_layout_is_an_error_and_the_analysis_stays_on_one_core():
    graph = Graph(name="huge", params=llama_params(16384, 160, 53248, 128000))  # 0.5 T params
    found = _findings(graph, dtype="bf16", mode="training")
    (error,) = found["TRN401"]
    assert "no layout up to the 32 cores of trn1.32xlarge" in error.message
    assert "tp 1, pp 1" in error.message
    assert found["TRN402"] == []


def test_models_that_fit_raise_no_memory_findings():
    found = _findings(_projection_model(1024, 4), dtype="bf16")
    assert not any(found.values())


def test_sharding_findings_use_the_tp_the_model_needs():
    graph = _projection_model(16384, 20)
    graph.metadata["hf_config"] = {"num_attention_heads": 20, "hidden_size": 16384,
                                   "intermediate_size": 16384}
    (constraint,) = _findings(graph, dtype="fp32")["TRN403"]  # needs TP 2: 20 heads are fine
    assert constraint.severity == "info" and "NCC_EBIR023" in constraint.message
    found = _findings(graph, dtype="fp32", tp=8)
    heads = [f for f in found["TRN403"] if "attention heads" in f.message]
    # NxD pads an uneven split (AWS runs 40-head models at TP 32): a cost, not a failure
    assert heads and heads[0].severity == "info"
    assert "attention heads (20) cannot be split evenly over TP 8" in heads[0].message
    assert "padded to 24, 20% more work" in heads[0].message


def test_instruction_risk_is_a_low_confidence_warning_at_the_heaviest_node():
    b = GraphBuilder(dtype="bfloat16")
    b.input("q", (3_000_000, 8, 8))
    b.input("k", (3_000_000, 8, 8))
    b.op("aten.bmm.default", ["q", "k"], "scores", (3_000_000, 8, 8), module="attn")
    (risk,) = _findings(b.output("scores"), dtype="bf16")["TRN404"]
    assert risk.confidence == "low" and risk.category == "compile_limit"
    assert risk.nodes == ("scores",) and risk.location.module == "attn"
    assert "3,000,000 instructions" in risk.message


def test_rules_stay_silent_without_a_memory_result():
    context = dataclasses.replace(
        MemoryRuleContext(graph=Graph(name="g"), options=AnalysisOptions(), memory=None))
    for code in ("TRN401", "TRN402", "TRN403", "TRN404"):
        assert list(rule_module(code).check(context)) == []
