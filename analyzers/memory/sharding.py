"""Model dimensions that a tensor-parallel degree must divide.

NeuronX Distributed shards attention by heads, the MLP by its intermediate dimension and the
embedding and LM head by vocabulary (``ColumnParallelLinear``, ``RowParallelLinear``,
``ParallelEmbedding`` in ``neuronx_distributed/parallel_layers/layers.py``). A degree that
does not divide a dimension forces padding (wasted memory and compute) or fails. KV heads may
also be *replicated* when TP is a multiple of them (grouped-query attention), so only a TP that
neither divides nor is divisible by the KV-head count is flagged. Separately, the NKI MLP
kernel accepts a limited number of intermediate columns per core (NCC_EBIR023,
``nki_mlp_intermediate`` in ``resources/neuron/limits.yaml``), which matters when that kernel
is enabled.

Dimensions come from the Hugging Face config when there is one; otherwise the attention head
count is read from fused attention nodes (``[batch, heads, length, head_dim]`` queries) and
the vocabulary from embedding tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from trnport.analyzers.graph.ir import Graph, Node
from trnport.analyzers.kb import load_kb
from trnport.analyzers.memory.ops import (
    ATTENTION_PACKETS,
    MATMUL_PACKETS,
    SOFTMAX_PACKETS,
    op_packet,
)
from trnport.analyzers.memory.scaling import ModelDims, resolve_shape


@dataclass(frozen=True)
class ShardingIssue:
    """One dimension the TP degree does not suit, where it shows up, and how bad it is."""

    dimension: str
    size: int
    tp: int
    message: str
    severity: str
    node: str | None
    source: str


@dataclass(frozen=True)
class _Found:
    size: int | None
    node: str | None


def _shape(graph: Graph, name: str, symbols: Mapping[str, int]):
    return resolve_shape(graph.values.get(name), symbols) if name else None


def _first_node(graph: Graph, wanted) -> Node | None:
    return next((node for node in graph.nodes if wanted(node)), None)


#: How far back from a softmax a matrix product may be for its input to count as scores.
_SCORE_HOPS = 6


def _fed_by_matmul(graph: Graph, name: str, producers: Mapping[str, Node]) -> bool:
    """True when ``name`` comes from a matrix product through at most a few single-input-chain
    ops (scores ``q @ kᵀ`` scaled, masked or cast), not from, say, a convolution."""
    for _ in range(_SCORE_HOPS):
        node = producers.get(name)
        if node is None or not node.inputs:
            return False
        if op_packet(node.op) in MATMUL_PACKETS:
            return True
        name = node.inputs[0]
    return False


_ATTENTION_OR_SOFTMAX = ATTENTION_PACKETS | SOFTMAX_PACKETS


def _attention_heads(graph: Graph, dims: ModelDims, symbols) -> _Found:
    """Heads from the config, else from the query of a fused attention or from the rank-4
    scores ``[batch, heads, L, S]`` a matrix product feeds to a softmax; the node is the
    first attention node."""
    producers: dict[str, Node] | None = None  # made when a softmax is first met
    for node in graph.nodes:
        packet = op_packet(node.op)
        if not node.inputs or packet not in _ATTENTION_OR_SOFTMAX:
            continue
        if packet in SOFTMAX_PACKETS:
            if producers is None:
                producers = {out: n for n in graph.nodes for out in n.outputs if out}
            if not _fed_by_matmul(graph, node.inputs[0], producers):
                continue
        shape = _shape(graph, node.inputs[0], symbols)
        if shape and len(shape) == 4:
            return _Found(dims.heads or shape[1], node.name)
    return _Found(dims.heads, None)


def _vocabulary(graph: Graph, dims: ModelDims, symbols) -> _Found:
    weights = set(graph.metadata.get("param_inputs", {})) | {p.name for p in graph.params}
    node = _first_node(graph, lambda n: op_packet(n.op) in ("aten.embedding", "onnx::Gather")
                       and bool(n.inputs) and n.inputs[0] in weights)
    if node is None:
        return _Found(dims.vocab, None)
    table = _shape(graph, node.inputs[0], symbols)
    return _Found(dims.vocab or (table[0] if table and len(table) == 2 else None), node.name)


def _intermediate(graph: Graph, dims: ModelDims, symbols) -> _Found:
    if not dims.intermediate:
        return _Found(None, None)

    def widens(node: Node) -> bool:
        if op_packet(node.op) not in MATMUL_PACKETS or not node.outputs:
            return False
        shape = _shape(graph, node.outputs[0], symbols)
        return bool(shape) and shape[-1] == dims.intermediate

    node = _first_node(graph, widens)
    return _Found(dims.intermediate, node.name if node else None)


def sharding_issues(graph: Graph, tp: int, symbols: Mapping[str, int],
                    ep: int = 1) -> list[ShardingIssue]:
    """Dimensions of ``graph`` that a ``tp``-way layout (with ``ep`` expert-parallel groups)
    cannot split evenly (none at tp 1, except the MLP-kernel limit, which applies to one core
    too)."""
    kb = load_kb()
    mlp_limit = kb.limit("nki_mlp_intermediate")
    dims = ModelDims.from_graph(graph)
    issues: list[ShardingIssue] = []
    heads = _attention_heads(graph, dims, symbols)
    checks = [("attention heads", heads)]
    if dims.kv_heads and dims.kv_heads != dims.heads:
        checks.append(("KV heads", _Found(dims.kv_heads, heads.node)))
    checks += [("vocabulary", _vocabulary(graph, dims, symbols)),
               ("MLP intermediate size", _intermediate(graph, dims, symbols))]
    for label, found in checks:
        if not found.size or tp <= 1 or found.size % tp == 0:
            continue
        if label == "KV heads" and tp % found.size == 0:
            continue  # replicated KV heads: supported, costs memory only
        padded = math.ceil(found.size / tp) * tp
        # NeuronX Distributed pads an uneven split: AWS runs 40-head Llama-2-13B and
        # CodeLlama-13B (vocabulary 32016) at TP 32 on trn1, and lists 28- and 40-head
        # Qwen2.5 models as production-ready, so this is a cost to know, not a failure
        issues.append(ShardingIssue(
            dimension=label, size=found.size, tp=tp, severity="info", node=found.node,
            source=kb.citation("tp_sharding"),
            message=(f"{label} ({found.size}) cannot be split evenly over TP {tp}: each "
                     f"rank holds {padded // tp} (padded to {padded}, "
                     f"{100 * (padded - found.size) / found.size:.0f}% more work on them)"),
        ))
    issues += _expert_issues(dims, tp, ep, kb.citation("tp_sharding"))
    intermediate = _intermediate(graph, dims, symbols)
    if intermediate.size and math.ceil(intermediate.size / tp) > mlp_limit.value:
        per_core = math.ceil(intermediate.size / tp)
        issues.append(ShardingIssue(
            dimension="MLP kernel intermediate", size=intermediate.size, tp=tp, severity="info",
            node=intermediate.node, source=mlp_limit.source,
            message=(f"MLP intermediate size {intermediate.size} at TP {tp} leaves {per_core} "
                     f"columns per core, above the {mlp_limit.value} the NKI MLP "
                     "kernel accepts (NCC_EBIR023) if that kernel is enabled"),
        ))
    return issues


def _expert_issues(dims: ModelDims, tp: int, ep: int, source: str) -> list[ShardingIssue]:
    """Mixture-of-experts layers: ``ep`` groups hold whole experts, so it must divide the
    expert count; inside a group each expert's MLP is split over ``tp / ep`` ranks."""
    if not dims.is_moe:
        return []
    issues = []
    experts = dims.experts or 0
    if ep > 1 and experts % ep:
        issues.append(ShardingIssue(
            dimension="experts", size=experts, tp=tp, severity="warning", node=None,
            source=source,
            message=(f"{experts} experts cannot be split evenly over EP {ep}: some expert-"
                     f"parallel groups would hold {math.ceil(experts / ep)} experts and "
                     "others fewer, or the sharding fails")))
    inner, width = tp // ep, dims.expert_intermediate
    if width and inner > 1 and width % inner:
        issues.append(ShardingIssue(
            dimension="expert MLP size", size=width, tp=tp, severity="warning", node=None,
            source=source,
            message=(f"expert MLP size ({width}) cannot be split evenly over the {inner} TP "
                     f"ranks of each expert-parallel group (TP {tp} / EP {ep})")))
    return issues
