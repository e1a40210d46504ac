"""Weights and buffers are counted from the graph's Param list and sized under --dtype."""

from __future__ import annotations

import math
import random

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


def _one_at_a_time(graph: Graph, policy: DtypePolicy) -> dict:
    """The sums param by param, for comparison with the grouped count."""
    counts = {"parameters": 0, "buffers": 0}
    sizes = {"parameters": 0.0, "buffers": 0.0}
    stored, largest, seen = 0, None, set()
    by_dtype: dict[str, float] = {}
    for param in graph.params:
        if param.name in seen:
            continue
        seen.add(param.name)
        group = "parameters" if param.kind in ("parameter", "initializer") else "buffers"
        size = param.numel * policy.weight_element_bytes(param.dtype)
        counts[group] += param.numel
        sizes[group] += size
        stored += param.nbytes
        storage = policy.weight_storage_name(param.dtype)
        by_dtype[storage] = by_dtype.get(storage, 0) + size
        if group == "parameters" and (largest is None or size > largest[0]):
            largest = (size, param.name)
    return {**counts, "parameter_bytes": math.ceil(sizes["parameters"]),
            "buffer_bytes": math.ceil(sizes["buffers"]), "stored_bytes": stored,
            "largest": largest[1] if largest else None,
            "by_dtype": {k: math.ceil(v) for k, v in sorted(by_dtype.items())}}


def test_many_params_of_few_shapes_sum_as_counted_one_by_one():
    """Params are sized once per kind, dtype and shape and then counted; the sums, and the
    largest weight (the first of the biggest size, whatever its dtype), are the same."""
    rng = random.Random(5)
    dtypes = ("float32", "bfloat16", "int64", "int4", "float8_e4m3fn", "bool")
    shapes = ((16, 16), (16,), (256,), (4, 64), (3, 5, 7), ())
    for _ in range(20):
        params = [Param(f"p{i}", rng.choice(shapes), rng.choice(dtypes),
                        kind=rng.choice(("parameter", "initializer", "buffer", "constant")))
                  for i in range(300)]
        params += params[:10]  # listed twice: counted once
        graph = Graph(name="g", params=params)
        policy = DtypePolicy.for_graph(graph, rng.choice(("bf16", "fp32", "fp8")))
        summary = summarize_params(graph, policy)
        assert {"parameters": summary.parameters, "buffers": summary.buffers,
                "parameter_bytes": summary.parameter_bytes,
                "buffer_bytes": summary.buffer_bytes, "stored_bytes": summary.stored_bytes,
                "largest": summary.largest, "by_dtype": dict(summary.bytes_by_dtype)} \
            == _one_at_a_time(graph, policy)
        assert graph.param_count == sum(p.numel for p in params
                                        if p.kind in ("parameter", "initializer"))
        assert graph.param_bytes == sum(p.nbytes for p in params)
