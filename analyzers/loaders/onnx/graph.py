"""Convert an ONNX ``GraphProto`` (subgraphs included) into the IR, checking its structure.

One pass per graph builds the nodes and checks, on the way, that every input is produced
before it is read and that no value is produced twice. Only when a graph is out of order
does a second look decide between a dangling input, a cycle, or a graph that merely needs
sorting. Tensor data is never read except for attribute tensors of at most
:data:`MAX_LISTED_VALUES` elements, so external data stays on disk.

Structural problems raise :class:`InputError` without the file name; the loader adds it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from typing import Any, NamedTuple

from trnport.analyzers.errors import InputError
from trnport.analyzers.graph import UNKNOWN_LOCATION, Graph, Node, Param, Value
from trnport.analyzers.loaders.onnx.attributes import (
    AttributeDecoder,
    SubgraphScope,
    small_values,
)
from trnport.analyzers.loaders.onnx.external import ExternalDataGuard
from trnport.analyzers.loaders.onnx.provenance import ProvenanceReader
from trnport.analyzers.loaders.onnx.shared_inference import SharedTypes
from trnport.analyzers.loaders.onnx.types import (
    FLOAT_TYPES,
    MAX_ELEMENTS,
    TypeReader,
    dtype_name,
    shorten,
)

DEFAULT_DOMAINS = ("", "ai.onnx")
EXTERNAL = 1  # TensorProto.EXTERNAL


#: initializers with at most this many elements keep their values in ``constant_values``
_KEPT_VALUES = 16


class GraphConverter:
    """Converts one model's graphs; holds the per-model caches and counters."""

    def __init__(self, guard: ExternalDataGuard) -> None:
        self.guard = guard
        self.types = TypeReader()
        self.provenance = ProvenanceReader()
        self.attributes = AttributeDecoder(self)
        self.notes: list[str] = []
        self._op_names: dict[tuple[str, str], str] = {}
        #: how many subgraphs (If/Loop bodies...) were converted so far
        self.subgraphs = 0
        #: the top-level initializers whose elements shape inference may read (all but the
        #: float ones), by name, for :mod:`.shared_inference`
        self.readable_initializers: dict[str, Any] = {}

    def convert(self, proto: Any, outer: tuple[set[str], ...] = (),
                default_name: str = "graph") -> Graph:
        """The IR of ``proto``; ``outer`` holds the names visible from enclosing graphs."""
        if outer:
            self.subgraphs += 1
        graph = Graph(name=proto.name or default_name)
        available: set[str] = set()
        initializer_names = self._initializers(proto, graph, available)
        self._read_values(proto, graph, initializer_names, graph.inputs, subgraph=bool(outer))
        available.update(graph.inputs)
        pending = self._nodes(proto, graph, available, outer)
        return self._finish(proto, graph, available, outer, pending)

    def convert_untyped(self, proto: Any, default_name: str = "graph") -> DeferredGraph:
        """The nodes of top-level graph ``proto`` before its value types are known.

        Building nodes does not need inferred shapes, so the loader does it while shape
        inference runs in another process; :meth:`attach_types` then reads the types from
        the inferred graph in the order :meth:`convert` reads them, giving the same IR.
        """
        graph = Graph(name=proto.name or default_name)
        available: set[str] = set()
        initializer_names = self._initializers(proto, graph, available,
                                               self.readable_initializers)
        for info in proto.input:
            if info.name not in initializer_names:
                graph.inputs.append(info.name)
        available.update(graph.inputs)
        pending = self._nodes(proto, graph, available, (), add_values=False)
        return DeferredGraph(proto, graph, available, initializer_names, pending)

    def attach_types(self, deferred: DeferredGraph, typed: Any) -> Graph:
        """Finish :meth:`convert_untyped` with the value types of graph ``typed``."""
        graph = deferred.graph
        self._read_values(typed, graph, deferred.initializer_names, None)
        return self._finish_deferred(deferred)

    def attach_shared_types(self, deferred: DeferredGraph, shared: SharedTypes) -> Graph:
        """:meth:`attach_types` for types from :mod:`.shared_inference`: the graph inputs'
        declared types, then the inferred ones in the order inference wrote them."""
        graph = deferred.graph
        values = graph.values
        value_of = self.types.value_of
        read_type = self.types.value
        for info in deferred.proto.input:
            if info.name not in deferred.initializer_names:
                values[info.name] = read_type(info, False)
        for name, serialized in shared.value_info:
            if name not in values:
                values[name] = value_of(name, serialized, True)
        for info in deferred.proto.output:
            known = values.get(info.name)
            if known is None or known.shape is None:
                serialized = shared.outputs.get(info.name)
                values[info.name] = read_type(info, True) if serialized is None \
                    else value_of(info.name, serialized, True)
        return self._finish_deferred(deferred)

    def _finish_deferred(self, deferred: DeferredGraph) -> Graph:
        """Untyped values for the node outputs inference left out, then :meth:`_finish`."""
        graph = deferred.graph
        values = graph.values
        # every name the nodes produce is in ``available``: when inference typed them all
        # (the usual case) there is nothing to add
        if not deferred.available.difference(values).issubset(("",)):
            for node in graph.nodes:  # as :meth:`_nodes` adds them after the typed values
                for name in node.outputs:
                    if name and name not in values:
                        values[name] = Value(name)
        return self._finish(deferred.proto, graph, deferred.available, (), deferred.pending)

    def _read_values(self, proto: Any, graph: Graph, initializer_names: set[str],
                     inputs: list[str] | None, subgraph: bool = False) -> None:
        """Typed values of the graph inputs, value_info and outputs, in this order (the
        numbering of anonymous dims follows it); input names go to ``inputs`` if given."""
        values = graph.values
        read_type = self.types.value  # what inference derived may hold -1 dims: lenient

        for info in proto.input:
            name = info.name
            if name in initializer_names:
                continue  # an old-IR input that only gives the initializer a default
            # the main graph's inputs are declared, not derived: a negative dim is refused
            values[name] = read_type(info, subgraph)
            if inputs is not None:
                inputs.append(name)
        for info in proto.value_info:
            name = info.name
            if name not in values:
                values[name] = read_type(info, True, name)
        for info in proto.output:
            known = values.get(info.name)
            if known is None or known.shape is None:
                values[info.name] = read_type(info, True)

    def _finish(self, proto: Any, graph: Graph, available: set[str],
                outer: tuple[set[str], ...], pending: list[int]) -> Graph:
        if pending:
            graph.nodes = self._sorted(graph, available, outer, pending)
        graph.outputs = [info.name for info in proto.output]
        self._check_outputs(graph, available, outer)
        return graph

    def _initializers(self, proto: Any, graph: Graph, available: set[str],
                      readable: dict[str, Any] | None = None) -> set[str]:
        params, values = graph.params, graph.values
        # models with one initializer per layer repeat a few shapes and dtypes many times:
        # each shape is checked, and each dtype named, once
        sizes: dict[tuple[int, ...], int] = {}
        dtypes: dict[int, str] = {}
        constants: dict[str, list[Any]] = {}
        for tensor in proto.initializer:
            name = tensor.name
            if name in available:
                raise InputError(f"invalid ONNX graph: initializer '{shorten(name)}' "
                                 "is defined twice")
            shape = tuple(tensor.dims[:])  # a slice copies in one call
            size = sizes.get(shape)
            if size is None:
                size = sizes[shape] = math.prod(self.checked_dims(shape, name))
            code = tensor.data_type
            dtype = dtypes.get(code)
            if dtype is None:
                dtype = dtypes[code] = dtype_name(code)
            if readable is not None and code not in FLOAT_TYPES:
                readable[name] = tensor
            external = tensor.data_location == EXTERNAL
            if external:
                self.guard.check(tensor, dtype)
            params.append(Param(name, shape, dtype, "initializer", external))
            values[name] = Value(name, shape, None if dtype == "undefined" else dtype)
            available.add(name)
            if not external and size <= _KEPT_VALUES:
                kept = small_values(tensor, shortest=False)
                if kept is not None:  # small constants: range analysis reads them
                    constants[name] = kept
        if constants:
            graph.metadata.setdefault("constant_values", {}).update(constants)
        for sparse in proto.sparse_initializer:
            tensor = sparse.values
            name = tensor.name
            if name in available:
                raise InputError(f"invalid ONNX graph: initializer '{shorten(name)}' "
                                 "is defined twice")
            shape = self.checked_dims(sparse.dims, name)
            dtype = dtype_name(tensor.data_type)
            if tensor.data_location == EXTERNAL:
                self.guard.check(tensor, dtype)
            graph.params.append(Param(name, shape, dtype, "initializer",
                                      tensor.data_location == EXTERNAL))
            graph.values[name] = Value(name, shape, dtype)
            available.add(name)
        return set(available)

    def checked_dims(self, dims: Any, name: str) -> tuple[int, ...]:
        """``dims`` as a tuple, refusing negative dims or more than :data:`MAX_ELEMENTS`."""
        shape = tuple(dims)
        if shape and (min(shape) < 0 or math.prod(shape) > MAX_ELEMENTS):
            raise InputError(f"invalid ONNX model: tensor '{shorten(name)}' has an absurd "
                             f"shape {list(shape)}")
        return shape

    @property
    def op_keys(self) -> Iterable[tuple[str, str]]:
        """Every ``(domain, op_type)`` converted so far."""
        return self._op_names.keys()

    def op_name(self, domain: str, op_type: str) -> str:
        """``onnx::<OpType>`` for the default domain, ``<domain>::<OpType>`` otherwise."""
        key = (domain, op_type)
        name = self._op_names.get(key)
        if name is None:
            prefix = "onnx" if domain in DEFAULT_DOMAINS else domain
            name = self._op_names[key] = f"{prefix}::{op_type}"
        return name

    def _nodes(self, proto: Any, graph: Graph, available: set[str],
               outer: tuple[set[str], ...], add_values: bool = True) -> list[int]:
        """Append every node of ``proto`` to ``graph``; return indexes read before defined.
        With ``add_values``, untyped values are added for outputs not known yet."""
        values = graph.values
        nodes = graph.nodes
        pending: list[int] = []
        op_name = self.op_name
        decode = self.attributes.decode
        provenance = self.provenance
        from_node_name = provenance.from_node_name
        scope = SubgraphScope(proto, available, outer)
        available.add("")  # an omitted optional input is always available
        for index, proto_node in enumerate(proto.node):
            op_type = proto_node.op_type
            # a slice copies a repeated field in one call; iterating it costs twice as much
            inputs = tuple(proto_node.input[:])
            outputs = tuple(proto_node.output[:])
            if not available.issuperset(inputs) and not _in_outer(inputs, available, outer):
                pending.append(index)
            if available.isdisjoint(outputs):
                available.update(outputs)
            else:
                _add_outputs(outputs, available)
            if add_values:
                for name in outputs:
                    if name and name not in values:
                        values[name] = Value(name)
            node_name = proto_node.name or f"{op_type}_{index}"
            attributes: dict[str, Any] = {}
            subgraphs: tuple[Graph, ...] = ()
            if proto_node.attribute:
                attributes, subgraphs = decode(proto_node, node_name, scope)
            source_op = None
            if proto_node.metadata_props:
                location, source_op = provenance.from_metadata(proto_node.metadata_props)
            elif node_name[0] == "/":
                location = from_node_name(node_name)
            else:
                location = UNKNOWN_LOCATION
            nodes.append(Node(node_name, op_name(proto_node.domain, op_type), inputs, outputs,
                              attributes, source_op, location, subgraphs))
        return pending

    def _sorted(self, graph: Graph, available: set[str], outer: tuple[set[str], ...],
                pending: list[int]) -> list[Node]:
        """Graph nodes in topological order, or an error naming the dangling input or cycle."""
        nodes = graph.nodes
        for index in pending:
            node = nodes[index]
            for name in node.inputs:
                if name and name not in available and not any(name in s for s in outer):
                    raise InputError(
                        f"invalid ONNX graph: node '{shorten(node.name)}' ({node.op}) reads "
                        f"'{shorten(name)}', which no node, graph input or initializer produces")
        producer = {out: i for i, node in enumerate(nodes) for out in node.outputs if out}
        waiting = [0] * len(nodes)
        readers: dict[int, list[int]] = {}
        for i, node in enumerate(nodes):
            for source in {producer[n] for n in node.inputs if n in producer}:
                waiting[i] += 1
                readers.setdefault(source, []).append(i)
        ready = deque(i for i, count in enumerate(waiting) if count == 0)
        order: list[int] = []
        while ready:
            i = ready.popleft()
            order.append(i)
            for reader in readers.get(i, ()):
                waiting[reader] -= 1
                if waiting[reader] == 0:
                    ready.append(reader)
        if len(order) < len(nodes):
            node = nodes[_node_on_cycle(nodes, producer, waiting)]
            raise InputError(f"invalid ONNX graph: nodes form a cycle (through node "
                             f"'{shorten(node.name)}', {node.op})")
        self.notes.append(f"graph '{shorten(graph.name)}' lists its nodes out of topological "
                          "order; they were sorted")
        return [nodes[i] for i in order]

    def _check_outputs(self, graph: Graph, available: set[str],
                       outer: tuple[set[str], ...]) -> None:
        seen: set[str] = set()
        for name in graph.outputs:
            if name in seen:
                raise InputError(f"invalid ONNX graph: output '{shorten(name)}' of graph "
                                 f"'{shorten(graph.name)}' is listed twice")
            seen.add(name)
            if name not in available and not any(name in s for s in outer):
                raise InputError(f"invalid ONNX graph: output '{shorten(name)}' of graph "
                                 f"'{shorten(graph.name)}' is not produced by any node")


def _node_on_cycle(nodes: list[Node], producer: dict[str, int], waiting: list[int]) -> int:
    """A node on a cycle, found by walking back from a node Kahn's sort never freed.

    Every such node has a producer that was never freed either, so the walk must revisit
    a node, and the first one revisited lies on a cycle (not merely downstream of one).
    """
    current = next(i for i, count in enumerate(waiting) if count)
    seen: set[int] = set()
    while current not in seen:
        seen.add(current)
        current = next(producer[name] for name in nodes[current].inputs
                       if name in producer and waiting[producer[name]])
    return current


def _in_outer(names: tuple[str, ...], available: set[str], outer: tuple[set[str], ...]) -> bool:
    """True when every name missing from ``available`` is visible from an enclosing graph."""
    return all(name in available or any(name in s for s in outer) for name in names)


def _add_outputs(outputs: tuple[str, ...], available: set[str]) -> None:
    """Add a node's outputs to ``available``, refusing a value produced twice."""
    for name in outputs:
        if not name:
            continue  # an omitted optional output
        if name in available:
            raise InputError(f"invalid ONNX graph: value '{shorten(name)}' is produced "
                             "more than once")
        available.add(name)


class DeferredGraph(NamedTuple):
    """A top-level graph whose nodes are built but whose value types are still to come."""

    proto: Any
    graph: Graph
    available: set[str]
    initializer_names: set[str]
    pending: list[int]


