"""The framework-neutral graph every loader produces and every analysis reads.

A dimension is an ``int`` when static and a ``str`` (the symbol's name, e.g. ``"batch"``
or ``"s0"``) when symbolic. Dtypes use torch's short names (``float32``, ``bfloat16``,
``int64``, ``complex64``, ``bool``...), whatever the source framework called them.
Op names are namespaced: ``aten.<packet>.<overload>`` for exported PyTorch graphs,
``aten.<packet>`` for TorchScript (which records no overload), ``onnx::<OpType>`` for
the ONNX default domain and ``<domain>::<OpType>`` for other ONNX domains.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

Dim = int | str
Shape = tuple[Dim, ...]

#: Bytes per element for every dtype name the IR uses.
DTYPE_BYTES: Mapping[str, float] = {
    "float64": 8, "float32": 4, "float16": 2, "bfloat16": 2,
    "float8_e4m3fn": 1, "float8_e5m2": 1, "float8_e4m3fnuz": 1, "float8_e5m2fnuz": 1,
    "float8_e8m0fnu": 1, "float4_e2m1": 0.5, "float6_e2m3": 0.75, "float6_e3m2": 0.75,
    # torch's packed fp4: one element holds two values
    "float4_e2m1fn_x2": 1,
    "complex128": 16, "complex64": 8, "complex32": 4,
    "int64": 8, "int32": 4, "int16": 2, "int8": 1,
    "uint64": 8, "uint32": 4, "uint16": 2, "uint8": 1,
    # sub-byte integers (ONNX int2/int4, torch int1..int7): packed, bits / 8 per element
    **{f"{sign}int{bits}": bits / 8 for sign in ("", "u") for bits in range(1, 8)},
    # torch's quantized and raw-bits dtypes
    "qint8": 1, "quint8": 1, "qint32": 4, "quint4x2": 1, "quint2x4": 1,
    "bits8": 1, "bits16": 2, "bits1x8": 1, "bits2x4": 1, "bits4x2": 1,
    "bool": 1, "string": 0,
}


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where a node came from in the user's code: file and line, and the module path.

    ``library`` is the innermost frame inside an installed library (``site-packages``:
    ``transformers/models/llama/modeling_llama.py:123``) when the op was made there: the
    file and line are then the user's line that called into the library (None when no user
    code is on the stack, as for a model built from a Hugging Face config, whose module
    path is the attribution), and the library line is detail."""

    file: str | None = None
    line: int | None = None
    module: str | None = None
    library: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else (self.file or "")
        if self.module:
            where = f"{where} ({self.module})" if where else self.module
        if self.library:
            where = f"{where} via {self.library}" if where else self.library
        return where or "unknown location"


UNKNOWN_LOCATION = SourceLocation()


def add_to_ancestors(totals: dict[str, T], new: Callable[[], T],
                     add: Callable[[T, T], None]) -> dict[str, T]:
    """Extend ``totals`` (one total per module path, each ``add``-able into another) in
    place with every dotted prefix of its paths (``"a.b.c"`` has ``"a"`` and ``"a.b"``),
    so that each path's total also counts everything below it; returns it.

    Children are added into their parent one level at a time, deepest first, so a model
    with one scope per layer makes one addition per scope, not one per scope and ancestor.
    """
    by_depth: dict[int, list[str]] = {}
    for path in totals:
        by_depth.setdefault(path.count("."), []).append(path)
    for depth in range(max(by_depth, default=0), 0, -1):
        for path in by_depth.get(depth, ()):
            parent = path[:path.rindex(".")]
            if not parent:
                continue  # a path starting with "." has no named parent
            total = totals.get(parent)
            if total is None:
                total = totals[parent] = new()
                by_depth.setdefault(depth - 1, []).append(parent)
            add(total, totals[path])
    return totals


# not frozen, though nothing assigns to a value (hashed by value all the same): loaders
# build one per tensor, and a frozen dataclass's field-by-field object.__setattr__ triples
# the cost
@dataclass(slots=True, unsafe_hash=True)
class Value:
    """A tensor flowing between nodes; ``shape`` or ``dtype`` is None when not known."""

    name: str
    shape: Shape | None = None
    dtype: str | None = None

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    @property
    def is_dynamic(self) -> bool:
        """True when any dimension is symbolic (or the shape is unknown)."""
        return self.shape is None or any(not isinstance(d, int) for d in self.shape)

    @property
    def numel(self) -> int | None:
        if self.shape is None or self.is_dynamic:
            return None
        return math.prod(self.shape)  # type: ignore[arg-type]

    @property
    def nbytes(self) -> int | None:
        count = self.numel
        if count is None or self.dtype not in DTYPE_BYTES:
            return None
        return math.ceil(count * DTYPE_BYTES[self.dtype])


# not frozen, for the reason Value is not: an ONNX model can hold tens of thousands of
# initializers, one Param each
@dataclass(slots=True, unsafe_hash=True)
class Param:
    """A weight, buffer or constant: known by shape and dtype, never by its data.

    ``kind`` is ``parameter``, ``buffer``, ``constant`` or ``initializer`` (ONNX).
    ``external`` marks ONNX tensors whose bytes stay in an external-data file.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    kind: str = "parameter"
    external: bool = False

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return math.ceil(self.numel * DTYPE_BYTES.get(self.dtype, 0))


# not frozen, though nothing assigns to a node: a frozen dataclass sets each field through
# object.__setattr__ (1.1 µs a node against 0.3 µs), and loaders build one per op; a node
# is not hashable either way (its attributes are a dict)
@dataclass(slots=True)
class Node:
    """One operation.

    ``op`` is what the Neuron toolchain receives (core ATen for exported PyTorch, the ONNX
    op type for ONNX); ``source_op`` is what the user wrote, when it differs (the
    high-level ATen op or ``torch.nn.functional`` call that decomposed into ``op``).
    ``inputs``/``outputs`` name :class:`Value` entries of the owning graph ("" marks an
    omitted optional input). ``subgraphs`` holds bodies of ONNX If/Loop/Scan nodes.
    ``origin`` is the node's name in the program as saved, when the loader's decomposition
    renamed it (a ``.pt2``'s ``linear`` became ``permute`` and ``addmm``).
    """

    name: str
    op: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)
    source_op: str | None = None
    location: SourceLocation = UNKNOWN_LOCATION
    subgraphs: tuple[Graph, ...] = ()
    origin: str | None = None

    @property
    def namespace(self) -> str:
        if "::" in self.op:
            return self.op.split("::", 1)[0]
        return self.op.split(".", 1)[0]


_SUBGRAPHS = operator.attrgetter("subgraphs")


@dataclass(slots=True)
class Graph:
    """A model as a list of nodes in topological order, with its values and parameters.

    ``metadata`` carries loader facts that analyses read: ``opset`` (ONNX, dict of domain
    to version), ``producer``, ``input_shape_sets`` (several example-input shapes), etc.
    """

    name: str
    nodes: list[Node] = field(default_factory=list)
    values: dict[str, Value] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    #: the nodes' configuration numbers, once a pass asked (see :mod:`.configs`)
    configs: Any = field(default=None, repr=False, compare=False)
    #: ``(node list, its length, map)`` of :meth:`nodes_by_name`, once asked
    _by_name: Any = field(default=None, repr=False, compare=False)

    def value(self, name: str) -> Value | None:
        return self.values.get(name)

    def input_values(self, node: Node) -> list[Value | None]:
        return [self.values.get(n) if n else None for n in node.inputs]

    def output_values(self, node: Node) -> list[Value | None]:
        return [self.values.get(n) if n else None for n in node.outputs]

    def nodes_by_name(self) -> dict[str, Node]:
        """Every node (subgraph bodies included) by name, for reading, not changing. Built
        once and shared by the passes that look nodes up; built again when the node list
        was replaced or grew (training appends the backward pass)."""
        known = self._by_name
        if known is None or known[0] is not self.nodes or known[1] != len(self.nodes):
            known = self._by_name = (self.nodes, len(self.nodes),
                                     {node.name: node for node, _ in self.walk()})
        return known[2]

    def walk(self) -> Iterator[tuple[Node, Graph]]:
        """Every node with the graph that owns it, subgraph bodies included (depth first)."""
        if not any(map(_SUBGRAPHS, self.nodes)):  # most graphs: no generator step per node
            return zip(self.nodes, itertools.repeat(self))
        return self._walk_nested()

    def _walk_nested(self) -> Iterator[tuple[Node, Graph]]:
        for node in self.nodes:
            yield node, self
            for sub in node.subgraphs:
                yield from sub.walk()

    @property
    def param_count(self) -> int:
        return sum(math.prod(shape) * repeats
                   for (kind, shape, _dtype), repeats in param_shape_counts(self.params).items()
                   if kind in ("parameter", "initializer"))

    @property
    def param_bytes(self) -> int:
        return sum(math.ceil(math.prod(shape) * DTYPE_BYTES.get(dtype, 0)) * repeats  # nbytes
                   for (_kind, shape, dtype), repeats in param_shape_counts(self.params).items())


def param_shape_counts(params: Iterable[Param]) -> Counter[tuple[str, tuple[int, ...], str]]:
    """How many of ``params`` have each kind, shape and dtype, in order of first sight: a
    model with one weight per layer has thousands of params and a few of these."""
    return Counter((p.kind, p.shape, p.dtype) for p in params)


def renamed_in_attributes(attributes: Mapping[str, Any],
                          names: Mapping[str, str]) -> Mapping[str, Any]:
    """``attributes`` with every value name in ``names`` (a str, or inside a list or tuple,
    as ``aten.cat`` and ``index`` name their tensors) replaced by its new name; the same
    mapping when no attribute can name a value."""
    def rename(value: Any) -> Any:
        if isinstance(value, str):
            return names.get(value, value)
        if isinstance(value, list):
            return [rename(v) for v in value]
        if isinstance(value, tuple):
            return tuple(rename(v) for v in value)
        return value

    if not any(isinstance(v, (str, list, tuple)) for v in attributes.values()):
        return attributes
    return {key: rename(value) for key, value in attributes.items()}
