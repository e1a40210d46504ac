"""Mixture-of-experts layers as exported: per-token copies of expert weights.

Hugging Face's exportable expert implementation (``batched_mm``) routes tokens by indexing
the stacked expert weight, ``gate_up_proj[expert_ids]`` (``[experts, out, in]`` →
``[tokens × top-k, out, in]``), and multiplies each token by its own copy with ``bmm``.
Neuron's MoE kernels (NxD Inference's blockwise matmul, vLLM Neuron) read each expert's
weights in place and multiply the tokens routed to it as one group. So the picked copies
are weights, not activations, and the per-token products cost what grouped products cost.
"""

from __future__ import annotations

from collections.abc import Mapping

from trnport.analyzers.graph.ir import Graph, Node
from trnport.analyzers.memory.ops import ALIAS_PACKETS, GATHER_PACKETS, op_packet


def weight_names(graph: Graph) -> set[str]:
    """Names under which the graph's nodes read weights (parameters, buffers, initializers)."""
    return {p.name for p in graph.params} | set(graph.metadata.get("param_inputs", {}))


def picks_expert_weights(node: Node, shapes: Mapping[str, tuple[int, ...] | None]) -> bool:
    """A gather on a stacked weight (rank 3 or more: ``[experts, out, in]``), which copies
    whole matrices per index; an embedding table (rank 2) gives real activations."""
    if op_packet(node.op) not in GATHER_PACKETS or not node.inputs:
        return False
    source = shapes.get(node.inputs[0])
    return source is not None and len(source) >= 3


def picked_expert_weights(graph: Graph, shapes: Mapping[str, tuple[int, ...] | None]
                          ) -> dict[str, int]:
    """Values holding per-token copies of expert weights (the picks and views of them),
    each with the number of experts it was picked from."""
    weights = weight_names(graph)
    experts: dict[str, int] = {}
    for node in graph.nodes:
        if not node.inputs or not node.outputs:
            continue
        source = node.inputs[0]
        if source in experts and op_packet(node.op) in ALIAS_PACKETS:
            count = experts[source]
        elif source in weights and picks_expert_weights(node, shapes):
            count = (shapes.get(source) or (1,))[0]
        else:
            continue
        experts.update((name, count) for name in node.outputs if name)
    return experts
