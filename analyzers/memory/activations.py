"""Activation memory: the live-bytes peak of inference and the saved activations of training.

**Inference peak.** Nodes run in the graph's topological order. A node's outputs are allocated
when it runs, and a tensor is freed right after the last node that reads it (or any view of
it); user inputs and graph outputs are live for the whole pass (the caller, or the Neuron
runtime's I/O buffers, hold them). The peak is the
largest sum of live bytes just after a node allocates its outputs (its inputs are still live).
Views (``view``, ``permute``, ``expand``, ``slice``... see :data:`.ops.ALIAS_PACKETS`) share
their base's storage, as in eager PyTorch; weights are counted in :mod:`.params`, never here.
Expert weights picked per token (``gate_up_proj[expert_ids]``, a gather on a weight of rank
3 or more, and views of it) stay weights too: the exported mixture-of-experts layer gathers
``tokens × top-k`` copies of whole expert matrices, which Neuron's MoE kernels never
materialise; what the experts compute (``tokens × top-k × intermediate``) is counted
(:mod:`.experts`).
This is what an eager run without fusion holds; the Neuron compiler fuses elementwise chains
and keeps tiles in SBUF, so the device usually needs less, but it also keeps extra scratchpad.

**Training saved activations.** Backward needs some forward values; which ones depends on each
op's autograd formula. The estimate takes *every* tensor the forward produces (and its inputs)
as saved: an upper bound, which activation checkpointing lowers.

Bodies of ONNX ``If``/``Loop``/``Scan`` nodes are not walked (their outputs are counted).
Values are sized under the run dtype (:mod:`.dtypes`) and grouped by growth class
(:mod:`.scaling`), so the peak at another batch, sequence length or TP degree is the largest,
over the candidate moments kept, of the class sums times their growth factors.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trnport.analyzers.graph.ir import Graph
from trnport.analyzers.memory.dtypes import DtypePolicy
from trnport.analyzers.memory.experts import picks_expert_weights, weight_names
from trnport.analyzers.memory.ops import ALIAS_PACKETS, op_packet
from trnport.analyzers.memory.scaling import (
    Scale,
    ScaleClass,
    ShapeContext,
    class_factor,
    classify,
    numel,
    reachable_from_inputs,
    resolved_shapes,
    softmax_region,
)

_NEVER = math.inf


@dataclass(frozen=True)
class ActivationProfile:
    """Activation memory at the export's shapes, and what is needed to rescale it.

    ``peak_points`` are the live-byte vectors (one entry per class in ``classes``) of every
    moment that can be the peak at some batch, length or TP (moments dominated in every class
    by another moment are dropped). ``saved`` is the per-class sum of everything the forward
    produces, plus the inputs.
    """

    context: ShapeContext
    classes: tuple[ScaleClass, ...]
    peak_points: tuple[tuple[float, ...], ...]
    peak_nodes: tuple[str | None, ...]
    saved: tuple[float, ...]
    input_bytes: int
    output_bytes: int
    unsized_values: int
    skipped_subgraphs: int

    def _factors(self, scale: Scale) -> list[float]:
        return [class_factor(c, self.context, scale) for c in self.classes]

    def peak_at(self, scale: Scale) -> int:
        """Inference peak of live activation bytes at ``scale`` (per TP rank)."""
        factors = self._factors(scale)
        return math.ceil(max((sum(p * f for p, f in zip(point, factors, strict=True))
                              for point in self.peak_points), default=0))

    def peak_node_at(self, scale: Scale) -> str | None:
        """The node right after which the peak at ``scale`` is reached."""
        if not self.peak_points:
            return None
        factors = self._factors(scale)
        best = max(range(len(self.peak_points)), key=lambda i: sum(
            p * f for p, f in zip(self.peak_points[i], factors, strict=True)))
        return self.peak_nodes[best]

    def saved_at(self, scale: Scale) -> int:
        """Training: bytes of forward values kept for backward at ``scale`` (per TP rank)."""
        return math.ceil(sum(s * f for s, f in zip(self.saved, self._factors(scale),
                                                   strict=True)))

    @property
    def export_scale(self) -> Scale:
        return Scale(batch=self.context.batch, seq_len=self.context.seq_len, tp=1)


class _Storages:
    """Storages (a tensor and all its views) with size, growth class and last use."""

    def __init__(self) -> None:
        self.of_value: dict[str, str] = {}
        self.size: dict[str, float] = {}
        self.klass: dict[str, int] = {}
        self.last_use: dict[str, float] = {}
        self.classes: list[ScaleClass] = []
        self._class_index: dict[ScaleClass, int] = {}

    def add(self, name: str, size: float, klass: ScaleClass, born: int) -> None:
        index = self._class_index.get(klass)
        if index is None:
            index = self._class_index[klass] = len(self.classes)
            self.classes.append(klass)
        self.of_value[name] = name
        self.size[name] = size
        self.klass[name] = index
        # a node output nobody reads dies right after its node
        self.last_use[name] = born


def profile_activations(graph: Graph, policy: DtypePolicy, context: ShapeContext, *,
                        shapes: Mapping[str, tuple[int, ...] | None] | None = None
                        ) -> ActivationProfile:
    """Walk ``graph`` once and record its activation memory (see the module docstring).

    ``shapes`` are the graph's :func:`.scaling.resolved_shapes` under ``context.symbols``
    when the caller already has them."""
    if shapes is None:
        shapes = resolved_shapes(graph, context.symbols)
    resolved = {name: shape for name, shape in shapes.items() if shape is not None}
    reachable = reachable_from_inputs(graph)
    region = softmax_region(graph, context, resolved)
    store = _Storages()
    unsized = 0
    # classify() reads a value's name only through these two memberships
    classes: dict[tuple, ScaleClass] = {}
    element_bytes: dict[str | None, float] = {}
    values = graph.values

    # sizes and classes per (shape, dtype, reachable, in region): a model has few of them
    sized: dict[tuple, tuple[float, int]] = {}
    add = store.add

    def allocate(name: str, born: int) -> None:
        nonlocal unsized
        value, shape = values.get(name), shapes.get(name)
        if value is None or shape is None:
            unsized += value is not None
            add(name, 0.0, (0, 0, 0, 0), born)
            return
        key = (shape, value.dtype, name in reachable, name in region)
        known = sized.get(key)
        if known is None:
            dtype = value.dtype
            per_element = element_bytes.get(dtype)
            if per_element is None:
                per_element = element_bytes[dtype] = policy.activation_element_bytes(dtype)
            klass_key = (shape, key[2], key[3])
            klass = classes.get(klass_key)
            if klass is None:
                klass = classes[klass_key] = classify(name, shape, context, reachable, region)
            known = sized[key] = (numel(shape) * per_element, klass)
        add(name, known[0], known[1], born)

    for name in graph.inputs:
        allocate(name, -1)
        store.last_use[name] = _NEVER  # the runtime holds input buffers for the whole pass
    producers: list[list[str]] = []
    of_value, last_use = store.of_value, store.last_use
    aliases: dict[str, bool] = {}
    weights = weight_names(graph)
    for index, node in enumerate(graph.nodes):
        for name in node.inputs:
            storage = of_value.get(name)
            if storage is not None and last_use[storage] < index:
                last_use[storage] = index
        created = []
        aliased = of_value.get(node.inputs[0]) if node.inputs else None
        is_alias = aliases.get(node.op)
        if is_alias is None:
            is_alias = aliases[node.op] = op_packet(node.op) in ALIAS_PACKETS
        if node.inputs and node.inputs[0] in weights and (
                is_alias or picks_expert_weights(node, shapes)):
            weights.update(name for name in node.outputs if name)
            producers.append([])
            continue  # a view or per-token pick of a weight: counted with the weights
        for name in node.outputs:
            if not name:
                continue
            if is_alias:
                if aliased is not None:
                    store.of_value[name] = aliased
                continue  # a view of a weight: counted with the weights
            allocate(name, index)
            created.append(name)
        producers.append(created)
    for name in graph.outputs:
        storage = store.of_value.get(name)
        if storage is not None:
            store.last_use[storage] = _NEVER

    points, nodes = _sweep(graph, store, producers)
    kept_points, kept_nodes = _pareto(points, nodes)
    classes = tuple(store.classes)
    saved = [0.0] * len(classes)
    for storage, size in store.size.items():
        saved[store.klass[storage]] += size
    return ActivationProfile(
        context=context, classes=classes, peak_points=kept_points, peak_nodes=kept_nodes,
        saved=tuple(saved),
        input_bytes=math.ceil(sum(store.size.get(n, 0) for n in graph.inputs)),
        output_bytes=math.ceil(sum(store.size.get(store.of_value.get(n, ""), 0)
                                   for n in set(graph.outputs))),
        unsized_values=unsized,
        skipped_subgraphs=sum(len(n.subgraphs) for n in graph.nodes),
    )


def _sweep(graph: Graph, store: _Storages,
           producers: Sequence[list[str]]) -> tuple[list[tuple[float, ...]], list[str | None]]:
    """Live bytes per class just after each node allocates; frees after each node."""
    live = [0.0] * len(store.classes)
    for name in graph.inputs:
        if name in store.size:
            live[store.klass[name]] += store.size[name]
    frees: dict[int, list[str]] = {}
    for storage in store.size:
        last = store.last_use[storage]
        if last != _NEVER:
            frees.setdefault(int(last), []).append(storage)
    for storage in frees.pop(-1, []):
        live[store.klass[storage]] -= store.size[storage]
    points: list[tuple[float, ...]] = [tuple(live)]
    nodes: list[str | None] = [None]
    klass, size = store.klass, store.size
    for index, node in enumerate(graph.nodes):
        for storage in producers[index]:
            live[klass[storage]] += size[storage]
        points.append(tuple(live))
        nodes.append(node.name)
        if index in frees:
            for storage in frees[index]:
                live[klass[storage]] -= size[storage]
    return points, nodes


def _pareto(points: list[tuple[float, ...]], nodes: list[str | None]
            ) -> tuple[tuple[tuple[float, ...], ...], tuple[str | None, ...]]:
    """Drop moments that another moment matches or beats in every class."""
    totals = [-sum(point) for point in points]
    order = sorted(range(len(points)), key=totals.__getitem__)
    kept: list[int] = []
    kept_points: list[tuple[float, ...]] = []
    # a moment equal to one already looked at is dominated by whatever settled that one
    seen: set[tuple[float, ...]] = set()
    for i in order:
        point = points[i]
        if point in seen:
            continue
        seen.add(point)
        if any(all(map(operator.ge, other, point)) for other in kept_points):
            continue
        kept.append(i)
        kept_points.append(point)
    return tuple(kept_points), tuple(nodes[i] for i in kept)
