"""Instruction-count estimate and tensor-parallel sharding constraints."""

from __future__ import annotations

from tests.analyzers.memory.memory_fixtures import LLAMA2_7B, GraphBuilder
from trnport.analyzers.kb import load_kb
from trnport.analyzers.memory.instructions import estimate_instructions
from trnport.analyzers.memory.sharding import sharding_issues


def test_matmul_instructions_count_tensor_engine_tiles():
    b = GraphBuilder()
    b.input("x", (1024, 4096))
    w = b.param("w", (4096, 4096))
    b.op("aten.mm.default", ["x", w], "y", (1024, 4096))
    estimate = estimate_instructions(b.output("y"), {})
    # ceil(1024/512) moving tiles × ceil(4096/128) contraction × ceil(4096/128) columns
    assert estimate.total == 2 * 32 * 32
    assert estimate.heaviest_node == "y"


def test_many_small_matmuls_cost_one_instruction_each():
    b = GraphBuilder()
    b.input("q", (100_000, 64, 32))
    b.input("k", (100_000, 32, 64))
    b.op("aten.bmm.default", ["q", "k"], "s", (100_000, 64, 64))
    estimate = estimate_instructions(b.output("s"), {})
    assert estimate.total == 100_000


def test_elementwise_ops_cost_one_instruction_per_128_by_512_elements():
    b = GraphBuilder()
    b.input("x", (4, 128, 1024))
    b.op("aten.view.default", ["x"], "v", (512, 1024))
    b.op("aten.gelu.default", ["v"], "g", (512, 1024))
    assert estimate_instructions(b.output("g"), {}).total == 512 * 1024 // (128 * 512)


def test_risk_is_per_core_after_tp_and_tripled_for_training():
    b = GraphBuilder()
    b.input("q", (3_000_000, 8, 8))
    b.input("k", (3_000_000, 8, 8))
    b.op("aten.bmm.default", ["q", "k"], "s", (3_000_000, 8, 8))
    graph = b.output("s")
    assert estimate_instructions(graph, {}).at_risk
    assert not estimate_instructions(graph, {}, tp=4).at_risk
    training = estimate_instructions(graph, {}, tp=4, training=True)
    assert training.per_core == 3 * 3_000_000 // 4
    assert training.limit == load_kb().limit("instruction_count").value == 5_000_000
    assert training.confidence == "low"


def _llama_like(**config):
    b = GraphBuilder(dtype="bfloat16")
    b.input("ids", (1, 16), dtype="int64")
    table = b.param("embed.weight", (config["vocab_size"], config["hidden_size"]))
    b.op("aten.embedding.default", [table, "ids"], "h", (1, 16, config["hidden_size"]))
    up = b.param("mlp.up.weight", (config["hidden_size"], config["intermediate_size"]))
    b.op("aten.view.default", ["h"], "flat", (16, config["hidden_size"]))
    b.op("aten.mm.default", ["flat", up], "inter", (16, config["intermediate_size"]),
         module="layers.0.mlp.up_proj")
    graph = b.output("inter")
    graph.metadata["hf_config"] = config
    return graph


def test_dimensions_not_divisible_by_tp_are_reported_with_where_they_appear():
    graph = _llama_like(hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
                        intermediate_size=128, vocab_size=250)
    by_dimension = {i.dimension: i for i in sharding_issues(graph, 3, {})}
    assert set(by_dimension) == {"attention heads", "KV heads", "vocabulary",
                                 "MLP intermediate size"}
    assert by_dimension["vocabulary"].node == "h"
    assert by_dimension["MLP intermediate size"].node == "inter"
    assert "padded to 252" in by_dimension["vocabulary"].message
    # NeuronX Distributed pads an uneven split: it runs, at the padding's cost
    assert all(i.severity == "info" for i in by_dimension.values())


def test_kv_heads_replicated_by_a_multiple_tp_are_accepted():
    graph = _llama_like(hidden_size=64, num_attention_heads=8, num_key_value_heads=2,
                        intermediate_size=128, vocab_size=256)
    assert sharding_issues(graph, 8, {}) == []
    assert sharding_issues(graph, 1, {}) == []


def test_mlp_kernel_limit_of_4096_columns_per_core():
    graph = _llama_like(**{**LLAMA2_7B, "vocab_size": 32000})
    issues = {i.dimension: i for i in sharding_issues(graph, 2, {})}
    kernel = issues["MLP kernel intermediate"]
    assert kernel.severity == "info" and "5504 columns per core" in kernel.message
    assert "NCC_EBIR023" in kernel.message
    assert not sharding_issues(graph, 4, {})  # 11008 / 4 = 2752 <= 4096


def test_heads_are_read_from_attention_scores_without_a_config():
    b = GraphBuilder()
    b.input("image", (2, 5, 16, 16))
    b.op("aten.convolution.default", ["image", "image"], "features", (2, 5, 16, 16))
    b.op("aten._softmax.default", ["features"], "channels", (2, 5, 16, 16))  # not attention
    b.input("q", (2, 6, 16, 8))
    b.input("k", (2, 6, 8, 16))
    b.op("aten.matmul.default", ["q", "k"], "scores", (2, 6, 16, 16))
    b.op("aten.mul.Tensor", ["scores"], "scaled", (2, 6, 16, 16))
    b.op("aten._softmax.default", ["scaled"], "probs", (2, 6, 16, 16), module="attn")
    issues = sharding_issues(b.output("probs", "channels"), 4, {})
    assert [(i.dimension, i.size, i.node) for i in issues] == [("attention heads", 6, "probs")]
