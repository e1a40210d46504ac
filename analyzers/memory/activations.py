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

import itertools
import math
import operator
from collections.abc import Mapping
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
    """Storages (a tensor and all its views), numbered in order of first allocation: size,
    growth class, the node that allocated it (-1 for inputs) and the last node reading it."""

    def __init__(self) -> None:
        self.of_value: dict[str, int] = {}
        self.size: list[float] = []
        self.klass: list[int] = []
        self.born: list[int] = []
        self.last_use: list[float] = []
        self.classes: list[ScaleClass] = []
        self._class_index: dict[ScaleClass, int] = {}
        self._owned: dict[str, int] = {}

    def class_number(self, klass: ScaleClass) -> int:
        """The index of growth class ``klass`` in :attr:`classes`, numbered on first sight."""
        index = self._class_index.get(klass)
        if index is None:
            index = self._class_index[klass] = len(self.classes)
            self.classes.append(klass)
        return index

    def add(self, name: str, size: float, klass: int, born: int) -> None:
        """Allocate ``name``: ``size`` bytes of class number ``klass``, made by node ``born``."""
        count = len(self.size)
        storage = self._owned.setdefault(name, count)
        if storage == count:
            self.size.append(size)
            self.klass.append(klass)
            self.born.append(born)
            # a node output nobody reads dies right after its node
            self.last_use.append(born)
        else:  # a name allocated again (not in a well-formed graph): the last one counts
            self.size[storage], self.klass[storage] = size, klass
            self.born[storage] = self.last_use[storage] = born
        self.of_value[name] = storage

    def bytes_of(self, name: str) -> float:
        storage = self.of_value.get(name)
        return 0 if storage is None else self.size[storage]


def profile_activations(graph: Graph, policy: DtypePolicy, context: ShapeContext, *,
                        shapes: Mapping[str, tuple[int, ...] | None] | None = None
                        ) -> ActivationProfile:
    """Walk ``graph`` once and record its activation memory (see the module docstring).

    ``shapes`` are the graph's :func:`.scaling.resolved_shapes` under ``context.symbols``
    when the caller already has them."""
    if shapes is None:
        shapes = resolved_shapes(graph, context.symbols)
    reachable = reachable_from_inputs(graph)
    region = softmax_region(graph, context, shapes)
    store = _Storages()
    unsized = 0
    # classify() reads a value's name only through these two memberships
    class_of_key: dict[tuple, int] = {}  # class numbers
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
            add(name, 0.0, store.class_number((0, 0, 0, 0)), born)
            return
        key = (shape, value.dtype, name in reachable, name in region)
        known = sized.get(key)
        if known is None:
            dtype = value.dtype
            per_element = element_bytes.get(dtype)
            if per_element is None:
                per_element = element_bytes[dtype] = policy.activation_element_bytes(dtype)
            klass_key = (shape, key[2], key[3])
            klass = class_of_key.get(klass_key)
            if klass is None:
                klass = class_of_key[klass_key] = store.class_number(
                    classify(name, shape, context, reachable, region))
            known = sized[key] = (numel(shape) * per_element, klass)
        add(name, known[0], known[1], born)

    of_value, last_use = store.of_value, store.last_use
    for name in graph.inputs:
        allocate(name, -1)
        last_use[of_value[name]] = _NEVER  # the runtime holds input buffers for the whole pass
    aliases: dict[str, bool] = {}
    weights = weight_names(graph)
    for index, node in enumerate(graph.nodes):
        for name in node.inputs:
            storage = of_value.get(name)
            if storage is not None and last_use[storage] < index:
                last_use[storage] = index
        aliased = of_value.get(node.inputs[0]) if node.inputs else None
        is_alias = aliases.get(node.op)
        if is_alias is None:
            is_alias = aliases[node.op] = op_packet(node.op) in ALIAS_PACKETS
        if node.inputs and node.inputs[0] in weights and (
                is_alias or picks_expert_weights(node, shapes)):
            weights.update(name for name in node.outputs if name)
            continue  # a view or per-token pick of a weight: counted with the weights
        for name in node.outputs:
            if not name:
                continue
            if is_alias:
                if aliased is not None:
                    of_value[name] = aliased
                continue  # a view of a weight: counted with the weights
            allocate(name, index)
    for name in graph.outputs:
        storage = of_value.get(name)
        if storage is not None:
            last_use[storage] = _NEVER

    points = _live_bytes(store, len(graph.nodes))
    kept = _pareto(points)
    classes = tuple(store.classes)
    saved = [0.0] * len(classes)
    for klass, size in zip(store.klass, store.size, strict=True):
        saved[klass] += size
    return ActivationProfile(
        context=context, classes=classes,
        peak_points=tuple(points[i] for i in kept),
        # moment 0 is before the first node, moment i + 1 just after node i allocates
        peak_nodes=tuple(graph.nodes[i - 1].name if i else None for i in kept),
        saved=tuple(saved),
        input_bytes=math.ceil(sum(store.bytes_of(n) for n in graph.inputs)),
        output_bytes=math.ceil(sum(store.bytes_of(n) for n in set(graph.outputs))),
        unsized_values=unsized,
        skipped_subgraphs=sum(len(n.subgraphs) for n in graph.nodes),
    )


def _live_bytes(store: _Storages, node_count: int) -> list[tuple[float, ...]]:
    """Live bytes per class at every moment: before the first node (moment 0) and just after
    each node allocates its outputs (moment i + 1, while its inputs are still live).

    A storage allocated by node b and last read by node l is live from moment b + 1 through
    moment l + 1 (it is freed after its last reader); inputs from moment 0, and what is never
    freed to the end. Each class's changes are summed up in one running sum; sizes are whole
    bytes or eighths of one, so the sums are exact in any order."""
    moments = node_count + 1
    changes = [[0.0] * (moments + 1) for _ in store.classes]
    for klass, size, born, last in zip(store.klass, store.size, store.born, store.last_use,
                                       strict=True):
        column = changes[klass]
        column[born + 1] += size
        column[moments if last == _NEVER else int(last) + 2] -= size
    if not changes:
        return [()] * moments
    return list(zip(*(itertools.accumulate(column[:moments]) for column in changes),
                    strict=True))


def _pareto(points: list[tuple[float, ...]]) -> list[int]:
    """The moments no other moment matches or beats in every class, largest total first
    (the first of equal totals); those are the only ones that can be the peak at some
    scale."""
    totals = list(map(sum, points))
    order = sorted(range(len(points)), key=totals.__getitem__, reverse=True)  # stable
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
    return kept
