"""Weights and buffers are counted from the graph's Param list and sized under --dtype."""

from __future__ import annotations

import pytest

from tests.analyzers.memory.memory_fixtures import GIB, GraphBuilder, llama7b_graph
from trnport.analyzers.graph import Graph, Param
from trnport.analyzers.memory.dtypes import DtypePolicy, model_float_dtype
from trnport.analyzers.memory.params import summarize_params

#: Llama-2-7B's published parameter count (embedding + 32 layers + norm + untied LM head).
LLAMA2_7B_PARAMETERS = 6_738_415_616


def test_llama7b_dims_have_the_published_parameter_count():
    graph = llama7b_graph()
    summary = summarize_params(graph, DtypePolicy.for_graph(graph, "bf16"))
    # hand count: per layer 4·4096² (attention) + 3·4096·11008 (MLP) + 2·4096 (norms)
    per_layer = 4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096
    assert summary.parameters == 32 * per_layer + 2 * 32000 * 4096 + 4096
    assert summary.parameters == LLAMA2_7B_PARAMETERS


@pytest.mark.parametrize(("dtype", "gib"), [("bf16", 12.55), ("fp16", 12.55), ("fp32", 25.10),
                                            ("fp8", 6.28)])
def test_llama7b_weight_bytes_follow_the_run_dtype(dtype, gib):
    graph = llama7b_graph("float32")
    summary = summarize_params(graph, DtypePolicy.for_graph(graph, dtype))
    bytes_per_weight = {"bf16": 2, "fp16": 2, "fp32": 4, "fp8": 1}[dtype]
    assert summary.parameter_bytes == LLAMA2_7B_PARAMETERS * bytes_per_weight
    assert round(summary.parameter_bytes / GIB, 2) == gib
    assert summary.stored_bytes == LLAMA2_7B_PARAMETERS * 4  # as the graph declares them


def test_bf16_graph_analysed_in_fp32_doubles_its_weights():
    graph = llama7b_graph("bfloat16")
    assert model_float_dtype(graph) == "bfloat16"
    summary = summarize_params(graph, DtypePolicy.for_graph(graph, "fp32"))
    assert summary.parameter_bytes == 2 * summary.stored_bytes
    assert summary.bytes_by_dtype == {"float32": summary.parameter_bytes}


def test_buffers_are_separate_and_int64_is_sized_as_neuron_downcasts_it():
    graph = Graph(name="g", params=[
        Param("w", (10, 10), "float32"),
        Param("position_ids", (1, 512), "int64", kind="buffer"),
        Param("inv_freq", (64,), "float32", kind="buffer"),
    ])
    summary = summarize_params(graph, DtypePolicy.for_graph(graph, "bf16"))
    assert summary.parameters == 100 and summary.buffers == 512 + 64
    assert summary.parameter_bytes == 200
    # int64 → 32-bit on Neuron (4 B), float32 buffer follows the run dtype (2 B)
    assert summary.buffer_bytes == 512 * 4 + 64 * 2
    assert summary.bytes_by_dtype == {"bfloat16": 200 + 128, "int32": 2048}


def test_a_weight_listed_twice_is_counted_once():
    tied = Param("shared.weight", (100, 8), "float32")
    graph = Graph(name="g", params=[tied, Param("other", (4,), "float32"), tied])
    summary = summarize_params(graph, DtypePolicy.for_graph(graph, "fp32"))
    assert summary.parameters == 804
    assert summary.largest == "shared.weight"


def test_explicit_float32_upcasts_inside_a_bf16_model_keep_their_size():
    b = GraphBuilder(dtype="bfloat16")
    b.param("norm.weight", (64,))
    policy = DtypePolicy.for_graph(b.graph, "bf16")
    assert policy.activation_element_bytes("bfloat16") == 2
    assert policy.activation_element_bytes("float32") == 4  # an RMSNorm upcast stays fp32
    fp32_policy = DtypePolicy.for_graph(b.graph, "fp32")
    assert fp32_policy.activation_element_bytes("bfloat16") == 4
    fp8_policy = DtypePolicy.for_graph(b.graph, "fp8")
    assert fp8_policy.weight_element_bytes("bfloat16") == 1
    assert fp8_policy.activation_element_bytes("bfloat16") == 2  # fp8 weights, bf16 compute
