"""Floating-point operations and bytes moved, per node and by module.

Exact for matrix products (``2·M·N·K``: ``mm``, ``addmm``, ``bmm``, ``baddbmm``, ``matmul``,
``linear``, ONNX ``MatMul``/``Gemm``, plus one add per output for a bias), convolutions
(``2 × output elements × C_in/groups × kernel volume``; transposed convolutions count per
*input* element) and fused attention (``2·L·S·E + 2·L·S·Ev`` per batch-head, plus about 5
operations per score for the softmax). Elsewhere approximate: one operation per output
element for elementwise ops (a few for softmax, norms and GELU: :data:`.ops.HEAVY_ELEMENTWISE`),
one per input element for reductions and pooling, none for views and pure data movement.

*Bytes moved* by a node are its input and output bytes under the run dtype (views move
nothing): the traffic of an unfused execution, used for per-module arithmetic intensity.
The roofline (:mod:`.roofline`) uses a fused estimate instead.
"""

from __future__ import annotations

import functools
import heapq
import math
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from trnport.analyzers.graph.configs import node_configs
from trnport.analyzers.graph.ir import Graph, Node, add_to_ancestors
from trnport.analyzers.memory.dtypes import DtypePolicy
from trnport.analyzers.memory.ops import (
    ALIAS_PACKETS,
    ATTENTION_PACKETS,
    CONV_PACKETS,
    DATA_MOVEMENT_PACKETS,
    HEAVY_ELEMENTWISE,
    MATMUL_PACKETS,
    REDUCTION_PACKETS,
    op_packet,
)
from trnport.analyzers.memory.scaling import numel, resolved_shapes
from trnport.analyzers.results.memory import ModuleFlops

NO_MODULE = "(top level)"
V = TypeVar("V")
_BIAS_FIRST = frozenset({"aten.addmm", "aten.baddbmm", "aten.addbmm", "aten.addmv"})


@dataclass(frozen=True)
class NodeCost:
    flops: int
    bytes_moved: int
    #: activation bytes read and written by a matmul, convolution or attention (0 elsewhere):
    #: the traffic left when everything between those ops is fused into them
    anchor_bytes: int = 0


_NO_COST = NodeCost(0, 0)


def _cost_of(totals: Sequence[int]) -> NodeCost:
    return NodeCost(*totals)


class _View(Mapping[str, V]):
    """A mapping whose values are ``convert``-ed from ``source``'s on asking: readers look up
    a few entries of tables with one entry per node or module, so none is built whole."""

    __slots__ = ("_convert", "_source")

    def __init__(self, source: Mapping[str, Any], convert: Callable[[Any], V]) -> None:
        self._source = source
        self._convert = convert

    def __getitem__(self, key: str) -> V:
        return self._convert(self._source[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._source)

    def __len__(self) -> int:
        return len(self._source)


@dataclass(frozen=True)
class ComputeProfile:
    """FLOPs and bytes of one forward pass at the export's shapes."""

    node_costs: Mapping[str, NodeCost]
    #: ``(FLOPs, bytes moved)`` of every module path and each of its prefixes, whose nodes
    #: all count in it (:data:`NO_MODULE` for nodes without a module)
    module_totals: Mapping[str, Sequence[int]]

    # sums over every node, asked for several times: computed once (the profile is frozen)
    @functools.cached_property
    def total_flops(self) -> int:
        return sum(c.flops for c in self.node_costs.values())

    @functools.cached_property
    def bytes_moved(self) -> int:
        return sum(c.bytes_moved for c in self.node_costs.values())

    @functools.cached_property
    def anchor_bytes(self) -> int:
        return sum(c.anchor_bytes for c in self.node_costs.values())

    @functools.cached_property
    def node_flops(self) -> Mapping[str, int]:
        """FLOPs per node name: a view of :attr:`node_costs`."""
        return _View(self.node_costs, operator.attrgetter("flops"))

    @functools.cached_property
    def modules(self) -> Mapping[str, NodeCost]:
        """FLOPs and bytes per module path: a view of :attr:`module_totals`."""
        return _View(self.module_totals, _cost_of)

    def top_modules(self, count: int = 15) -> tuple[ModuleFlops, ...]:
        """The ``count`` module paths (any depth) with the most FLOPs, with their share."""
        total = self.total_flops or 1
        ranked = heapq.nsmallest(count, self.module_totals.items(),
                                 key=lambda item: (-item[1][0], item[0]))
        return tuple(
            ModuleFlops(module=path, flops=flops, share=round(flops / total, 4),
                        bytes_moved=moved,
                        intensity=round(flops / moved, 2) if moved else None)
            for path, (flops, moved) in ranked if flops)


class _Sizer:
    """Shapes and byte sizes of values; weights (and views of them) sized as weights."""

    def __init__(self, graph: Graph, policy: DtypePolicy, symbols: Mapping[str, int],
                 shapes: Mapping[str, tuple[int, ...] | None] | None = None):
        self.graph, self.policy, self.symbols = graph, policy, symbols
        self.shapes = resolved_shapes(graph, symbols) if shapes is None else shapes
        self.weights = set(graph.metadata.get("param_inputs", {})) | {p.name for p in graph.params}
        for node in graph.nodes:
            if op_packet(node.op) in ALIAS_PACKETS and node.inputs and \
                    node.inputs[0] in self.weights:
                self.weights.update(o for o in node.outputs if o)

    def shape(self, name: str) -> tuple[int, ...] | None:
        return self.shapes.get(name) if name else None

    def nbytes(self, name: str) -> float:
        value, shape = self.graph.values.get(name) if name else None, self.shape(name)
        if value is None or shape is None:
            return 0
        if name in self.weights:
            return numel(shape) * self.policy.weight_element_bytes(value.dtype or "float32")
        return numel(shape) * self.policy.activation_element_bytes(value.dtype)


def _first_shape(sizer: _Sizer, names) -> tuple[int, ...] | None:
    return next((s for s in (sizer.shape(n) for n in names) if s is not None), None)


def node_flops(node: Node, sizer: _Sizer) -> int:
    """FLOPs of one node (see the module docstring for what is exact)."""
    packet = op_packet(node.op)
    if packet in ALIAS_PACKETS or packet in DATA_MOVEMENT_PACKETS:
        return 0
    out = _first_shape(sizer, node.outputs)
    outputs = numel(out) if out is not None else 0
    if packet in MATMUL_PACKETS:
        return _matmul_flops(node, packet, sizer, outputs)
    if packet in CONV_PACKETS:
        return _conv_flops(node, packet, sizer, outputs)
    if packet in ATTENTION_PACKETS:
        return _attention_flops(node, sizer)
    if packet in REDUCTION_PACKETS:
        shape = sizer.shape(node.inputs[0]) if node.inputs else None
        return numel(shape) if shape is not None else outputs
    return HEAVY_ELEMENTWISE.get(packet, 1) * outputs


def _matmul_flops(node: Node, packet: str, sizer: _Sizer, outputs: int) -> int:
    operands = list(node.inputs)
    bias = None
    if packet in _BIAS_FIRST and len(operands) >= 3:
        bias, operands = operands[0], operands[1:]
    elif packet in ("aten.linear", "onnx::Gemm") and len(operands) >= 3:
        bias = operands[2]
    left = sizer.shape(operands[0]) if operands else None
    if not left:
        return 2 * outputs
    contraction = left[-1]
    if packet == "onnx::Gemm" and node.attributes.get("transA") and len(left) == 2:
        contraction = left[0]
    if packet == "aten.dot":
        outputs = 1
    return 2 * outputs * contraction + (outputs if bias else 0)


def _conv_flops(node: Node, packet: str, sizer: _Sizer, outputs: int) -> int:
    weight = sizer.shape(node.inputs[1]) if len(node.inputs) > 1 else None
    if not weight or not weight[0]:
        return 2 * outputs
    per_element = numel(weight) // weight[0]
    transposed = bool(node.attributes.get("transposed")) or packet in (
        "onnx::ConvTranspose", "aten.conv_transpose1d", "aten.conv_transpose2d",
        "aten.conv_transpose3d")
    if transposed:
        source = sizer.shape(node.inputs[0])
        flops = 2 * (numel(source) if source else outputs) * per_element
    else:
        flops = 2 * outputs * per_element
    has_bias = len(node.inputs) > 2 and bool(node.inputs[2])
    return flops + (outputs if has_bias else 0)


def _attention_flops(node: Node, sizer: _Sizer) -> int:
    shapes = [sizer.shape(n) for n in node.inputs[:3]]
    if len(shapes) < 3 or any(s is None or len(s) < 2 for s in shapes):
        out = _first_shape(sizer, node.outputs)
        return numel(out) if out else 0
    query, key, value = shapes
    length, embed = query[-2], query[-1]
    source = key[-2]
    batch_heads = numel(query) // max(1, length * embed)
    scores = batch_heads * length * source
    return 2 * scores * embed + 2 * scores * value[-1] + 5 * scores


def profile_compute(graph: Graph, policy: DtypePolicy, symbols: Mapping[str, int], *,
                    shapes: Mapping[str, tuple[int, ...] | None] | None = None
                    ) -> ComputeProfile:
    """FLOPs and bytes of every node of ``graph`` and totals by module path prefix
    (``shapes``: the graph's :func:`.scaling.resolved_shapes` under ``symbols``, if known)."""
    sizer = _Sizer(graph, policy, symbols, shapes)
    costs: dict[str, NodeCost] = {}
    modules: dict[str, list[int]] = {}
    # per-value bytes, sized once (values are read by several nodes); unsized ones are 0
    size_of = _value_bytes(graph, sizer)
    weights = sizer.weights
    by_module: dict[str | None, list[int]] = {}  # whole-number totals: any order adds up
    # a node's cost follows from its configuration and which of its values are weights
    shared: dict[tuple, NodeCost] = {}
    contains_weight = weights.__contains__
    for node, config in zip(graph.nodes, node_configs(graph).index, strict=True):
        names = (*node.inputs, *node.outputs)
        key = (config, *map(contains_weight, names))
        cost = shared.get(key)
        if cost is None:
            cost = shared[key] = _node_cost(node, names, sizer, size_of)
        costs[node.name] = cost
        totals = by_module.get(node.location.module)
        if totals is None:
            totals = by_module[node.location.module] = [0, 0]
        totals[0] += cost.flops
        totals[1] += cost.bytes_moved
    for module, totals in by_module.items():
        key = module or NO_MODULE
        known = modules.get(key)
        if known is None:
            modules[key] = totals
        else:
            _add_totals(known, totals)
    add_to_ancestors(modules, lambda: [0, 0], _add_totals)
    return ComputeProfile(
        node_costs=costs,
        module_totals=modules,
    )


def _add_totals(into: list[int], totals: list[int]) -> None:
    into[0] += totals[0]
    into[1] += totals[1]


def _node_cost(node: Node, names: tuple[str, ...], sizer: _Sizer, size_of) -> NodeCost:
    """FLOPs and bytes of one node; ``names`` are its inputs and outputs, ``size_of`` gives
    a value's bytes (:func:`_value_bytes`)."""
    packet = op_packet(node.op)
    if packet in ALIAS_PACKETS:
        return _NO_COST
    moved = sum(size_of(n, 0) for n in names)
    anchor = 0.0
    if packet in MATMUL_PACKETS or packet in CONV_PACKETS or packet in ATTENTION_PACKETS:
        anchor = sum(size_of(n, 0) for n in names if n not in sizer.weights)
    return NodeCost(node_flops(node, sizer), math.ceil(moved), math.ceil(anchor))


def _value_bytes(graph: Graph, sizer: _Sizer) -> Callable[[str, float], float]:
    """``size_of(name, default)``: :meth:`_Sizer.nbytes` of a value that has a size, else
    ``default``. Sized on first asking and kept (costs are computed once per configuration,
    so most values are never asked), with element sizes looked up once per dtype."""
    shapes, weights, policy, values = sizer.shapes, sizer.weights, sizer.policy, graph.values
    weight_bytes: dict[str, float] = {}
    activation_bytes: dict[str | None, float] = {}
    sizes: dict[str, float] = {}

    def size_of(name: str, default: float) -> float:
        size = sizes.get(name)
        if size is None:
            size = sizes[name] = _size(name)
        return size or default

    def _size(name: str) -> float:
        value = values.get(name)
        shape = shapes.get(name) if name else None
        if value is None or shape is None:
            return 0
        if name in weights:
            dtype = value.dtype or "float32"
            per = weight_bytes.get(dtype)
            if per is None:
                per = weight_bytes[dtype] = policy.weight_element_bytes(dtype)
        else:
            dtype = value.dtype
            per = activation_bytes.get(dtype)
            if per is None:
                per = activation_bytes[dtype] = policy.activation_element_bytes(dtype)
        return numel(shape) * per

    return size_of


def flops_by_status(profile: ComputeProfile, verdicts) -> dict[str, int]:
    """FLOPs per coverage status, from verdicts with ``.node`` and ``.status``; FLOPs of nodes
    without a verdict are not counted."""
    totals: dict[str, int] = {}
    for verdict in verdicts:
        cost = profile.node_costs.get(verdict.node)
        if cost is not None:
            totals[verdict.status] = totals.get(verdict.status, 0) + cost.flops
    return totals
