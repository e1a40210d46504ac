"""ONNX shape inference run once per distinct node configuration, for graphs where that is
exactly what ``onnx.shape_inference.infer_shapes`` computes.

A stack of layers repeats a few dozen operator configurations thousands of times: the same
op, attributes, input types and constant operands. onnx infers every node again; here each
configuration is inferred once, with onnx's own per-node inference function
(``OpSchema._infer_node_outputs``, the C++ behind ``infer_node_outputs``), and the answer is
shared by every node that has it. The result is what the whole-graph inference would write:
the value types it adds to ``value_info`` in node order, and the graph outputs' types merged
with the declared ones.

That equality holds only for plain graphs, so :func:`shared_value_types` answers ``None``
(the caller then runs the whole-graph inference) for anything else:

* model-local functions, sparse initializers, declared ``value_info``, initializers also
  listed as inputs, IR versions before 4, subgraph attributes, ops outside the default
  domain or without a registered inference function, ``Constant`` nodes given by anything
  but a ``value`` tensor;
* graphs where shape data propagation (``data_prop``) could change a type: a value that a
  propagating op (Shape, Gather, Concat…) reads or writes reaching the shape operand of
  Reshape, Expand, ConstantOfShape, AffineGrid or Resize (onnx ``getShapeInput``);
* any node whose per-node inference raises, leaves an output without a shape, or disagrees
  with a declared output type (the whole-graph run records such errors and goes on; its
  partial answer is its own to give).

Unknown dims get fresh ``unk__N`` symbols in node order, skipping symbols the graph already
uses, as onnx's symbol table does. Sources: onnx ``shape_inference/implementation.cc``
(``ShapeInferenceImplBase::Process``, ``UpdateType``, ``mergeShapesAndTypes``,
``SymbolTableImpl``) and ``implementation.h`` (``DataPropagationContextImpl``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from trnport.analyzers.graph import Node, Param
from trnport.analyzers.loaders.onnx.proto import parts
from trnport.analyzers.loaders.onnx.types import FLOAT_TYPES, ONNX_DTYPES

#: ops with a data propagation function (onnx ``has_data_propagation_function``, 1.23)
_PROPAGATING = frozenset({"Add", "Cast", "Concat", "Gather", "Mul", "Shape", "Size", "Slice",
                          "Squeeze", "Sub", "Unsqueeze"})
#: inputs read with ``getShapeInput``, the only readers of propagated data, by op
_SHAPE_OPERANDS = {"Reshape": 1, "Expand": 1, "ConstantOfShape": 0, "AffineGrid": 1,
                   "Resize": 3}
#: ops whose inference reads the elements of float operands: Range's bounds, Resize's and
#: Upsample's scales, the signal ops' lengths. Integer, bool and string operands (shapes,
#: axes, pads, repeats, k, split sizes) may be read by any op, so their elements are part
#: of every configuration.
_READS_FLOAT_OPERANDS = frozenset({"Range", "Resize", "Upsample", "DFT", "STFT",
                                   "MelWeightMatrix"})
#: the default-domain ops with graph attributes (their bodies are inferred in context)
_REFUSED_OPS = frozenset({"If", "Loop", "Scan", "SequenceMap"})
_DEFAULT_DOMAINS = ("", "ai.onnx")
_OP_PREFIX = "onnx::"  # the IR's name of a default-domain op
#: what about an op matters beyond its inference (bit flags of :func:`_kind`)
_READS_FLOATS, _PROPAGATES, _READS_SHAPE, _CONSTANT = 1, 2, 4, 8
_DTYPE_CODES = {name: number for number, name in ONNX_DTYPES.items()}
_TENSOR_ATTRIBUTE = 4
_EXTERNAL = 1  # TensorProto.EXTERNAL
_SYMBOL_PREFIX = "unk__"


class SharedTypes(NamedTuple):
    """What whole-graph inference adds to a plain graph, as serialized ``TypeProto`` s."""

    value_info: list[tuple[str, bytes]]  # in the order inference appends them
    outputs: dict[str, bytes]  # graph outputs, merged with their declared types


class _Operand(NamedTuple):
    """A constant operand's type and what inference can read of its elements: in a
    configuration's key, two operands are equal when both are."""

    type: bytes
    content: tuple


def _serialized(known: bytes | _Operand) -> bytes:
    return known.type if isinstance(known, _Operand) else known


class _NotShared(Exception):
    """The graph needs the whole-graph inference."""


def may_share(model: Any, data_prop: bool) -> bool:
    """False for models :func:`shared_value_types` is sure to refuse, judged from the model
    alone (one look at each node's op): the loader then overlaps the whole-graph inference
    with building the IR instead."""
    return _plain_model(model) and _plain_ops({node.op_type for node in model.graph.node},
                                              data_prop)


def _plain_model(model: Any) -> bool:
    graph = model.graph
    return not (len(model.functions) or len(graph.sparse_initializer) or len(graph.value_info)
                or model.ir_version < 4) and \
        any(entry.domain in _DEFAULT_DOMAINS for entry in model.opset_import)


def _plain_ops(op_types: set[str], data_prop: bool) -> bool:
    # Shape and Size start data propagation: its data nearly always reaches a Reshape
    return op_types.isdisjoint(_REFUSED_OPS) and not (
        data_prop and ("Shape" in op_types or "Size" in op_types))


def shared_value_types(model: Any, nodes: list[Node], params: list[Param],
                       constants: dict[str, Any],
                       op_keys: Iterable[tuple[str, str]], data_prop: bool
                       ) -> SharedTypes | None:
    """The value types ``infer_shapes(model, strict_mode=False, data_prop=data_prop)`` would
    give ``model``'s top-level graph, or None when that needs the whole-graph run.

    ``nodes`` are the graph's nodes as the converter built them, in the file's order (their
    attribute dicts are shared by nodes with identical attributes) and ``params`` its
    initializers; ``constants`` are the initializers whose elements inference may read (all
    but float ones) by name, and ``op_keys`` every ``(domain, op_type)`` the nodes use."""
    try:
        return _Inference(model, op_keys, data_prop).run(nodes, params, constants)
    except _NotShared:
        return None


class _Inference:
    def __init__(self, model: Any, op_keys: Iterable[tuple[str, str]], data_prop: bool
                 ) -> None:
        op_types = set()
        for domain, op_type in op_keys:
            if domain not in _DEFAULT_DOMAINS:
                raise _NotShared
            op_types.add(op_type)
        if not _plain_model(model) or not _plain_ops(op_types, data_prop):
            raise _NotShared
        self.model = model
        self.data_prop = data_prop
        self.get_schema = parts().native.defs.get_schema
        self.protos = parts().protos
        self.opsets = {("" if entry.domain == "ai.onnx" else entry.domain): entry.version
                       for entry in model.opset_import}
        self.schemas: dict[str, Any] = {}
        self.symbols: set[str] = set()
        self.next_symbol = 0
        self._float_constants: dict[str, Any] | None = None

    def run(self, nodes: list[Node], params: list[Param], constants: dict[str, Any]
            ) -> SharedTypes:
        graph = self.model.graph
        # value name → serialized TypeProto; an omitted optional input ("") is told apart
        # from a named input without a type
        types: dict[str, Any] = {"": False}
        self.declared: dict[str, bytes] = {}
        for info in graph.input:
            if info.HasField("type"):
                types[info.name] = info.type.SerializeToString()
            self._add_symbols(info.type)
        for info in graph.output:
            if info.HasField("type"):
                types[info.name] = self.declared[info.name] = info.type.SerializeToString()
            self._add_symbols(info.type)
        self.initializers = self._initializer_types(params, types)
        self.types = types
        self.value_info: list[tuple[str, bytes]] = []
        self.outputs = dict(self.declared)
        self.untyped_outputs = {info.name for info in graph.output} - set(self.declared)
        constants = dict(constants)
        for name, tensor in constants.items():  # their elements are part of the key
            types[name] = _Operand(types[name], _content(tensor))
        proto_nodes = graph.node
        memo: dict[tuple, tuple[tuple[bytes, ...], bool]] = {}
        kinds: dict[str, tuple[str, int]] = {}  # IR op name → (op type, _kind flags)
        carrying: set[str] = set()  # values shape data propagation may give data to
        shape_operands: list[str] = []
        value_info = self.value_info
        get_type = types.get
        for index, node in enumerate(nodes):
            op, inputs, output_names = node.op, node.inputs, node.outputs
            kind = kinds.get(op)
            if kind is None:
                kind = kinds[op] = _kind(op)
            attributes = node.attributes
            # the converter shares one attribute dict between nodes of identical attributes
            key = (op, tuple(map(bool, output_names)) if "" in output_names
                   else len(output_names),
                   id(attributes) if attributes else 0, *map(get_type, inputs))
            flags = kind[1]
            if flags:
                if flags & _READS_FLOATS:
                    key += (self._float_operands(inputs),)
                if flags & _PROPAGATES:
                    carrying.update(inputs)
                    carrying.update(output_names)
                if flags & _READS_SHAPE and len(inputs) > _SHAPE_OPERANDS[kind[0]]:
                    shape_operands.append(inputs[_SHAPE_OPERANDS[kind[0]]])
            answer = memo.get(key)
            if answer is None:
                answer = memo[key] = self._infer(proto_nodes[index], inputs, output_names,
                                                 constants)
            typed, fresh = answer
            for name, inferred in zip(output_names, typed, strict=True):
                if fresh or not inferred or name in types:
                    self._add_output(name, inferred)
                else:  # the usual case: a new value with a complete type
                    types[name] = inferred
                    value_info.append((name, inferred))
            if flags & _CONSTANT:  # after its type, as ``ProcessConstant`` follows ``UpdateType``
                self._constant(proto_nodes[index], output_names, constants)
        floats = self._float_constants or {}
        if self.data_prop and any(name in carrying and name not in constants and
                                  name not in self.initializers and name not in floats
                                  for name in shape_operands):
            # propagated data (read only by getShapeInput, after a constant operand's own
            # tensor) could have given this shape operand elements
            raise _NotShared
        return SharedTypes(value_info, self.outputs)

    def _add_output(self, name: str, inferred: bytes) -> None:
        """``UpdateType``: give a node output its type, with fresh symbols for unknown dims,
        merged into the declared type of a graph output."""
        if not name or not inferred:
            return  # an omitted output; an output inference left unset
        if inferred[:1] == b"?":
            inferred = self._materialized(inferred[1:])
        types = self.types
        if name not in types:
            self.value_info.append((name, inferred))
            types[name] = inferred
            if name in self.untyped_outputs:
                self.outputs[name] = inferred
        elif name in self.declared and name not in self.initializers:
            types[name] = self.outputs[name] = self._merged(inferred, self.outputs[name])
        else:
            raise _NotShared  # produced twice, or over an initializer

    def _initializer_types(self, params: list[Param], types: dict[str, Any]) -> set[str]:
        """Add the initializers' types (IR 4 and later: they need not be inputs)."""
        names: set[str] = set()
        by_dims: dict[tuple[str, tuple[int, ...]], bytes] = {}
        for param in params:
            name = param.name
            if name in types:
                raise _NotShared  # an old-IR input default: checked against the input
            key = (param.dtype, param.shape)
            known = by_dims.get(key)
            if known is None:
                code = _DTYPE_CODES.get(param.dtype)
                if code is None:
                    raise _NotShared  # an element type this onnx may not know
                known = by_dims[key] = self._tensor_type(code, param.shape)
            types[name] = known
            names.add(name)
        return names

    def _floats(self) -> dict[str, Any]:
        """The float constant operands by name, gathered when an op first needs them."""
        if self._float_constants is None:
            self._float_constants = {tensor.name: tensor for tensor in
                                     self.model.graph.initializer
                                     if tensor.data_type in FLOAT_TYPES}
        return self._float_constants

    def _float_operands(self, inputs: tuple[str, ...]) -> tuple:
        floats = self._floats()
        return tuple(_content(floats[name]) if name in floats else None for name in inputs)

    # -- per configuration -------------------------------------------------------------

    def _infer(self, node: Any, inputs: tuple[str, ...], output_names: tuple[str, ...],
               constants: dict[str, Any]) -> tuple[tuple[bytes, ...], bool]:
        """Serialized output types of ``node``, each prefixed ``?`` when it has dims with
        neither value nor symbol, and whether any is; raises :class:`_NotShared` where
        sharing is not exact."""
        schema = self._schema(node.op_type)
        if not schema.has_type_and_shape_inference_function:
            raise _NotShared
        types = self.types
        input_types = {name: _serialized(types[name]) for name in inputs if types.get(name)}
        operands = constants
        if node.op_type in _READS_FLOAT_OPERANDS and self._float_constants:
            operands = {**self._float_constants, **constants}
        input_data = {name: operands[name].SerializeToString() for name in inputs
                      if name in operands}
        try:
            answer = schema._infer_node_outputs(
                node.SerializeToString(), input_types, input_data, {}, self.opsets,
                self.model.ir_version)
        except Exception as exc:  # InferenceError, ValidationError, …: the graph run decides
            raise _NotShared from exc
        typed = []
        fresh = False
        for name in output_names:
            serialized = bytes(answer.get(name, b"")) if name else b""
            if serialized:
                proto_type = self.protos.TypeProto.FromString(serialized)
                if proto_type.WhichOneof("value") != "tensor_type" or \
                        not proto_type.tensor_type.HasField("shape"):
                    raise _NotShared  # untyped, or typed only by the type-constraint check
                if any(not d.HasField("dim_value") and not d.HasField("dim_param")
                       for d in proto_type.tensor_type.shape.dim):
                    serialized = b"?" + serialized
                    fresh = True
            typed.append(serialized)
        return tuple(typed), fresh

    def _schema(self, op_type: str) -> Any:
        schema = self.schemas.get(op_type)
        if schema is None:
            try:
                schema = self.get_schema(op_type, self.opsets[""], "")
            except Exception as exc:  # SchemaError: no such op at this opset
                raise _NotShared from exc
            self.schemas[op_type] = schema
        return schema

    def _constant(self, node: Any, output_names: tuple[str, ...], constants: dict[str, Any]
                  ) -> None:
        """Record a Constant's tensor as data its readers see (``ProcessConstant``)."""
        values = [a for a in node.attribute if a.name == "value"]
        if len(output_names) != 1 or len(node.attribute) != 1 or len(values) != 1 or \
                values[0].type != _TENSOR_ATTRIBUTE:
            raise _NotShared
        tensor = values[0].t
        if tensor.data_type in FLOAT_TYPES:
            self._floats()[output_names[0]] = tensor
        else:
            name = output_names[0]
            constants[name] = tensor
            if self.types.get(name):
                self.types[name] = _Operand(self.types[name], _content(tensor))

    # -- types ---------------------------------------------------------------------------

    def _tensor_type(self, data_type: int, dims: tuple[int, ...]) -> bytes:
        proto_type = self.protos.TypeProto()
        tensor_type = proto_type.tensor_type
        tensor_type.elem_type = data_type
        shape = tensor_type.shape
        shape.SetInParent()  # a scalar still has a (rank-0) shape
        for size in dims:
            shape.dim.add().dim_value = size
        return proto_type.SerializeToString()

    def _add_symbols(self, proto_type: Any) -> None:
        kind = proto_type.WhichOneof("value")
        if kind in ("tensor_type", "sparse_tensor_type"):
            for dim in getattr(proto_type, kind).shape.dim:
                if dim.HasField("dim_param"):
                    self.symbols.add(dim.dim_param)
        elif kind is not None:
            raise _NotShared  # sequences, maps, optionals: rare, left to onnx

    def _materialized(self, serialized: bytes) -> bytes:
        proto_type = self.protos.TypeProto.FromString(serialized)
        for dim in proto_type.tensor_type.shape.dim:
            if not dim.HasField("dim_value") and not dim.HasField("dim_param"):
                dim.dim_param = self._new_symbol()
        return proto_type.SerializeToString()

    def _new_symbol(self) -> str:
        while True:
            symbol = f"{_SYMBOL_PREFIX}{self.next_symbol}"
            self.next_symbol += 1
            if symbol not in self.symbols:
                self.symbols.add(symbol)
                return symbol

    def _merged(self, inferred: bytes, declared: bytes) -> bytes:
        """``mergeShapesAndTypes(inferred, declared)``; a conflict (which the graph run
        records as an error) refuses sharing."""
        new = self.protos.TypeProto.FromString(inferred)
        old = self.protos.TypeProto.FromString(declared)
        if old.WhichOneof("value") is None:
            return inferred
        if old.WhichOneof("value") != "tensor_type":
            raise _NotShared
        new_tensor, old_tensor = new.tensor_type, old.tensor_type
        if old_tensor.elem_type and new_tensor.elem_type != old_tensor.elem_type:
            raise _NotShared
        old_tensor.elem_type = new_tensor.elem_type
        if not old_tensor.HasField("shape"):
            old_tensor.shape.CopyFrom(new_tensor.shape)
            return old.SerializeToString()
        new_dims, old_dims = new_tensor.shape.dim, old_tensor.shape.dim
        if len(new_dims) != len(old_dims):
            raise _NotShared
        for new_dim, old_dim in zip(new_dims, old_dims, strict=True):
            if new_dim.HasField("dim_value") and old_dim.HasField("dim_value") and \
                    new_dim.dim_value != old_dim.dim_value:
                raise _NotShared
            if (not old_dim.HasField("dim_value") and not old_dim.HasField("dim_param")) \
                    or new_dim.HasField("dim_value"):
                old_dim.CopyFrom(new_dim)
        return old.SerializeToString()


#: the TensorProto fields besides ``raw_data`` that hold elements or say where they are
_CONTENT_FIELDS = ("float_data", "int32_data", "string_data", "int64_data", "double_data",
                   "uint64_data")


def _kind(op: str) -> tuple[str, int]:
    """``(op type, flags)`` of an IR op name; ops outside the default domain are refused."""
    if not op.startswith(_OP_PREFIX):
        raise _NotShared
    op_type = op[len(_OP_PREFIX):]
    flags = ((_READS_FLOATS if op_type in _READS_FLOAT_OPERANDS else 0)
             | (_PROPAGATES if op_type in _PROPAGATING else 0)
             | (_READS_SHAPE if op_type in _SHAPE_OPERANDS else 0)
             | (_CONSTANT if op_type == "Constant" else 0))
    return op_type, flags


def _content(tensor: Any) -> tuple:
    """What shape inference can read of a constant operand: two with the same key are the
    same operand to it, whatever their names. Weights whose bytes the loader dropped all
    have the key of their type and dims, so a weight per layer shares one configuration;
    so do external ones, whose elements onnx refuses to read (``ParseData``)."""
    shape = tuple(tensor.dims[:])
    if tensor.data_location == _EXTERNAL:
        return (tensor.data_type, shape, _EXTERNAL)
    key: tuple = (tensor.data_type, shape, tensor.raw_data)
    for field in _CONTENT_FIELDS:
        if len(getattr(tensor, field)):
            return (*key, tuple(tuple(getattr(tensor, f)) for f in _CONTENT_FIELDS))
    return key
