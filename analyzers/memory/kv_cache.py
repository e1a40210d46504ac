"""The key/value cache a decoder keeps while generating.

``bytes = 2 (keys and values) × layers × batch × seq_len × kv_heads × head_dim × bytes``,
with ``seq_len`` the whole context the cache holds (prompt plus generated tokens; Neuron
serving stacks allocate it statically at the maximum length they were compiled for).

Under tensor parallelism each rank holds ``ceil(kv_heads / tp)`` heads: the heads are split
when TP divides them, padded when it does not, and replicated (one head per rank) when TP
exceeds the number of KV heads, as NeuronX Distributed does for grouped-query attention.
Under pipeline parallelism a stage holds the cache of its ``ceil(layers / pp)`` layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trnport.analyzers.graph.ir import Graph
from trnport.analyzers.memory.scaling import ModelDims

#: Architectures (class-name endings) that generate token by token with a KV cache.
_DECODER_CLASSES = ("ForCausalLM", "LMHeadModel")


@dataclass(frozen=True)
class KVCacheSpec:
    """What sizes a decoder's KV cache: layers, KV heads and head dimension."""

    layers: int
    kv_heads: int
    head_dim: int

    def bytes_at(self, batch: int, seq_len: int, element_bytes: int, *, tp: int = 1,
                 pp: int = 1) -> int:
        """Cache bytes on one rank of a ``tp`` × ``pp`` layout."""
        heads = math.ceil(self.kv_heads / tp)
        layers = math.ceil(self.layers / pp)
        return kv_cache_bytes(layers, batch, seq_len, heads, self.head_dim, element_bytes)


def kv_cache_bytes(layers: int, batch: int, seq_len: int, kv_heads: int, head_dim: int,
                   element_bytes: int) -> int:
    """2 × layers × batch × seq_len × kv_heads × head_dim × element_bytes."""
    return 2 * layers * batch * seq_len * kv_heads * head_dim * element_bytes


def decoder_kv_spec(graph: Graph) -> KVCacheSpec | None:
    """The KV-cache shape of a decoder built from a Hugging Face config, else None (encoders,
    vision models and graphs without a config keep no cache)."""
    architecture = graph.metadata.get("hf_architecture") or ""
    if not architecture.endswith(_DECODER_CLASSES):
        return None
    dims = ModelDims.from_graph(graph)
    if not (dims.layers and dims.kv_heads and dims.head_dim):
        return None
    return KVCacheSpec(layers=dims.layers, kv_heads=dims.kv_heads, head_dim=dims.head_dim)
