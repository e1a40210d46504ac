"""A rough count of the instructions neuronx-cc would generate, to warn before a compile fails.

neuronx-cc refuses graphs whose generated instruction count passes a limit (NCC_EVRF007,
NCC_EBVF030, NCC_EXTP004; an older message, quoted in aws-neuron-sdk issue #1003 and #987,
states the threshold: ``instruction_count`` in ``resources/neuron/limits.yaml``). The count
depends on tiling decisions no static tool sees, so
this is a heuristic with **low confidence**, meant only to flag graphs orders of magnitude
past the usual size:

* a matrix product issues one tensor-engine instruction per tile: ``batch ×
  ceil(M/F) × ceil(K/P) × ceil(N/P)`` (moving free size ≤ F = 512, stationary tile P × P
  with P = 128 partitions; ``tensor_engine_*`` in ``limits.yaml``). Many small products
  (window attention over a large image) therefore cost far more than their FLOPs suggest;
* convolutions count as the matching matrix product per group (``K`` = input channels per
  group × kernel volume, ``N`` = output channels per group), with the moving side tiled per
  output row: ``batch × rows × ceil(width / F)`` tiles (a 2-D feature map's rows do not merge
  into one free axis because of the kernel's halo, so a width just above a multiple of 512
  costs a whole extra tile per row);
* every other non-view op issues one instruction per P × F elements it writes (reductions:
  per element read);
* a training step counts three times the forward; a ``tp``-way layout divides the count;
* a mixture-of-experts layer exported as per-token copies of expert weights
  (:mod:`.experts`) counts as the grouped products a MoE kernel issues: the pick is a
  weight read (no instruction) and the per-token ``bmm`` becomes one product per expert
  over the tokens routed to it.

Calibration against public cases (``instruction_factor_low`` / ``_high`` in
``resources/neuron/limits.yaml``, which lists them with their sources): the compiler's count
is the estimate times a factor between 2.6 (Swin2SR classical x2 at 1×3×512×512: 8.66 million
reported in aws-neuron-sdk issue #987, 3.32 million estimated) and 4.8 (the SDXL VAE decoder
at a 104 × 152 latent, documented to fail with "Too many instructions after unroll", estimates
1.08 million and needs a factor above 4.63 to pass the limit; at the 128 × 128 latent AWS's
SDXL sample compiles, it estimates 0.99 million and stays below the limit up to 5.06). A
graph is at risk when the upper end of that band reaches the limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from trnport.analyzers.graph.configs import node_configs
from trnport.analyzers.graph.ir import Graph, Node
from trnport.analyzers.kb import load_kb
from trnport.analyzers.memory.experts import picked_expert_weights
from trnport.analyzers.memory.ops import (
    ALIAS_PACKETS,
    ATTENTION_PACKETS,
    CONV_PACKETS,
    MATMUL_PACKETS,
    REDUCTION_PACKETS,
    op_packet,
)
from trnport.analyzers.memory.recurrence import loop_node_names
from trnport.analyzers.memory.scaling import numel, resolved_shapes

TRAINING_FACTOR = 3


@dataclass(frozen=True)
class TensorEngine:
    """The tile sizes that decide how many instructions an op issues."""

    partitions: int
    moving_free: int

    @classmethod
    def from_kb(cls) -> TensorEngine:
        kb = load_kb()
        return cls(partitions=int(kb.limit("tensor_engine_partitions").value),
                   moving_free=int(kb.limit("tensor_engine_moving_free").value))

    def tiles(self, batch: int, m: int, k: int, n: int) -> int:
        return batch * math.ceil(m / self.moving_free) * math.ceil(k / self.partitions) * \
            math.ceil(n / self.partitions)

    @property
    def elements_per_instruction(self) -> int:
        return self.partitions * self.moving_free


@dataclass(frozen=True)
class InstructionEstimate:
    """Estimated instructions of the step (``total``) and of one rank (``per_core``); the
    node contributing most and its count, against the forward pass of the whole graph
    (``unsharded``), and the ``limit`` it is judged against."""

    total: int
    per_core: int
    heaviest_node: str | None
    heaviest_count: int
    unsharded: int
    #: the compiler's instruction limit the count is compared with
    limit: int
    #: compiler instructions per estimated one, lowest and highest of the calibration cases
    factor_low: float = 1.0
    factor_high: float = 1.0

    @property
    def band(self) -> tuple[int, int]:
        """The compiler's count per core the calibration allows: estimate × each factor."""
        return (round(self.per_core * self.factor_low), round(self.per_core * self.factor_high))

    @property
    def at_risk(self) -> bool:
        return self.band[1] >= self.limit

    @property
    def risk_threshold(self) -> int:
        """The per-core estimate from which a graph is at risk."""
        return math.ceil(self.limit / self.factor_high)

    @property
    def confidence(self) -> str:
        """How far the estimate can be trusted: the packet model is coarse."""
        return "low"


def node_instructions(node: Node, shape_of, engine: TensorEngine | None = None) -> int:
    """Estimated instructions of one node; ``shape_of(name)`` gives resolved shapes."""
    engine = engine or TensorEngine.from_kb()
    packet = op_packet(node.op)
    if packet in ALIAS_PACKETS:
        return 0
    out = shape_of(node.outputs[0]) if node.outputs and node.outputs[0] else None
    first = shape_of(node.inputs[0]) if node.inputs and node.inputs[0] else None
    if packet in MATMUL_PACKETS and out and first:
        left = shape_of(node.inputs[1]) if packet in ("aten.addmm", "aten.baddbmm") and \
            len(node.inputs) > 1 else first
        if left and len(out) >= 2:
            m, n, k = out[-2], out[-1], left[-1]
            return engine.tiles(max(1, numel(out) // max(1, m * n)), m, k, n)
    if packet in CONV_PACKETS and out and len(node.inputs) > 1:
        weight = shape_of(node.inputs[1])
        if weight and len(out) >= 3:
            groups = int(node.attributes.get("groups") or node.attributes.get("group") or 1)
            rows = out[0] * numel(out[2:-1])  # batch × every spatial axis but the last
            per_group_k = numel(weight[1:])
            return groups * rows * engine.tiles(1, out[-1], per_group_k,
                                                max(1, out[1] // groups))
    if packet in ATTENTION_PACKETS and len(node.inputs) >= 3:
        query, key, value = (shape_of(n) for n in node.inputs[:3])
        if query and key and value and len(query) >= 2:
            heads = max(1, numel(query) // max(1, query[-2] * query[-1]))
            return engine.tiles(heads, query[-2], query[-1], key[-2]) + \
                engine.tiles(heads, query[-2], key[-2], value[-1])
    written = first if packet in REDUCTION_PACKETS and first else out
    return math.ceil(numel(written) / engine.elements_per_instruction) if written else 0


def estimate_instructions(graph: Graph, symbols: Mapping[str, int], *, tp: int = 1,
                          training: bool = False,
                          shapes: Mapping[str, tuple[int, ...] | None] | None = None,
                          stages: int = 1) -> InstructionEstimate:
    """The heuristic count for ``graph`` (see the module docstring); ``shapes`` are the
    graph's :func:`.scaling.resolved_shapes` under ``symbols``, when already known."""
    if shapes is None:
        shapes = resolved_shapes(graph, symbols)
    shape_of = shapes.get
    engine = TensorEngine.from_kb()

    looped, scale = loop_node_names(graph)
    total, heaviest, heaviest_count = 0, None, 0
    expert_copies = picked_expert_weights(graph, shapes)
    # outside an exported MoE layer a node's count follows from its configuration
    shared: dict[int, int] = {}
    for node, config in zip(graph.nodes, node_configs(graph).index, strict=True):
        count = _expert_instructions(node, shape_of, engine, expert_copies)
        if count is None:
            count = shared.get(config)
            if count is None:
                count = shared[config] = node_instructions(node, shape_of, engine)
        if node.name in looped:  # a loop exported at a probe length: the full length's copies
            count = round(count * scale)
        total += count
        if count > heaviest_count:
            heaviest, heaviest_count = node.name, count
    factor = TRAINING_FACTOR if training else 1
    kb = load_kb()
    # the upper factor is calibrated separately for graphs with and without convolutions
    convolutional = any(op_packet(op) in CONV_PACKETS for op in {node.op for node in graph.nodes})
    high = "instruction_factor_high" if convolutional else "instruction_factor_high_matmul"
    # each pipeline stage is its own graph holding 1/stages of the layers
    ranks = tp * max(1, stages)
    return InstructionEstimate(total=total * factor, per_core=math.ceil(total * factor / ranks),
                               heaviest_node=heaviest, heaviest_count=heaviest_count,
                               unsharded=total, limit=int(kb.limit("instruction_count").value),
                               factor_low=float(kb.limit("instruction_factor_low").value),
                               factor_high=float(kb.limit(high).value))


def _expert_instructions(node: Node, shape_of, engine: TensorEngine,
                         expert_copies: Mapping[str, int]) -> int | None:
    """Instructions of a node of an exported MoE layer, or None for any other node: a pick
    of expert weights issues none, and a per-token product with picked weights
    (``[S, out, in] × [S, in, 1]``) issues one grouped product per expert, each over the
    ``S / experts`` tokens routed to it."""
    if not expert_copies or not node.inputs:
        return None
    if node.outputs and node.outputs[0] in expert_copies:
        return 0
    picked = next((name for name in node.inputs if name in expert_copies), None)
    if picked is None or op_packet(node.op) not in MATMUL_PACKETS:
        return None
    weight = shape_of(picked)
    if not weight or len(weight) < 3:
        return None
    routed = weight[0]
    groups = max(1, min(routed, expert_copies[picked]))
    return engine.tiles(groups, math.ceil(routed / groups), weight[-1], weight[-2])
