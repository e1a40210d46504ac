"""KV-cache and optimizer-state formulas against hand-computed figures."""

from __future__ import annotations

import pytest

from tests.analyzers.memory.memory_fixtures import GIB, llama7b_graph
from trnport.analyzers.graph import Graph
from trnport.analyzers.memory.kv_cache import KVCacheSpec, decoder_kv_spec, kv_cache_bytes
from trnport.analyzers.memory.training_state import training_state

P7B = 6_738_415_616


def test_kv_cache_of_llama2_7b_at_4096_tokens_is_2_gib_in_bf16():
    # 2 (K and V) × 32 layers × 1 × 4096 tokens × 32 heads × 128 dims × 2 bytes
    assert kv_cache_bytes(32, 1, 4096, 32, 128, 2) == 2 * 32 * 4096 * 32 * 128 * 2 == 2 * GIB


def test_grouped_query_attention_shrinks_the_cache_by_the_group_size():
    full = kv_cache_bytes(32, 4, 8192, 32, 128, 2)
    grouped = kv_cache_bytes(32, 4, 8192, 8, 128, 2)  # Llama-3-8B: 8 KV heads
    assert full == 4 * grouped
    assert grouped == 4 * GIB


@pytest.mark.parametrize(("tp", "heads_per_rank"), [(1, 8), (2, 4), (8, 1), (16, 1), (3, 3)])
def test_kv_heads_split_pad_or_replicate_under_tensor_parallelism(tp, heads_per_rank):
    spec = KVCacheSpec(layers=32, kv_heads=8, head_dim=128)
    assert spec.bytes_at(1, 1024, 2, tp=tp) == kv_cache_bytes(32, 1, 1024, heads_per_rank,
                                                              128, 2)


def test_pipeline_stages_hold_the_cache_of_their_layers():
    spec = KVCacheSpec(layers=30, kv_heads=8, head_dim=128)
    assert spec.bytes_at(1, 1024, 2, pp=4) == kv_cache_bytes(8, 1, 1024, 8, 128, 2)


def test_only_decoders_keep_a_kv_cache():
    decoder = llama7b_graph()
    assert decoder_kv_spec(decoder) == KVCacheSpec(layers=32, kv_heads=32, head_dim=128)
    encoder = Graph(name="bert", metadata={
        "hf_architecture": "BertForMaskedLM",
        "hf_config": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12}})
    assert decoder_kv_spec(encoder) is None
    assert decoder_kv_spec(Graph(name="cnn")) is None


def test_adamw_in_bf16_keeps_gradients_fp32_moments_and_master_weights():
    state = training_state(P7B, "bf16", "adamw")
    assert state.gradient_bytes == 2 * P7B
    assert state.optimizer_bytes == 2 * 4 * P7B  # two fp32 moments
    assert state.master_bytes == 4 * P7B  # fp32 master copy for the optimizer step
    assert state.total_bytes == 14 * P7B
    # AWS rule of thumb: bf16 weights + gradients ≈ 4 B/param, optimizer state 4–12 B/param
    assert (2 * P7B + state.gradient_bytes) / P7B == 4
    assert 4 <= (state.optimizer_bytes + state.master_bytes) / P7B <= 12


def test_fp32_training_needs_no_master_copy():
    state = training_state(1000, "fp32", "adam")
    assert (state.gradient_bytes, state.optimizer_bytes, state.master_bytes) == (4000, 8000, 0)


def test_sgd_keeps_no_state_unless_it_has_momentum():
    assert training_state(1000, "fp32", "sgd").optimizer_bytes == 0
    assert training_state(1000, "fp32", "sgd", sgd_momentum=True).optimizer_bytes == 4000


def test_zero1_shards_optimizer_state_and_master_weights_across_data_parallel_ranks():
    whole = training_state(P7B, "bf16", "adamw")
    sharded = training_state(P7B, "bf16", "adamw", zero1=True, dp=8)
    assert sharded.gradient_bytes == whole.gradient_bytes
    assert sharded.optimizer_bytes == whole.optimizer_bytes // 8
    assert sharded.master_bytes == whole.master_bytes // 8
    unsharded = training_state(P7B, "bf16", "adamw", zero1=False, dp=8)
    assert unsharded.optimizer_bytes == whole.optimizer_bytes  # dp alone replicates the state
