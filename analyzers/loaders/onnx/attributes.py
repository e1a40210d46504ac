"""ONNX node attributes as plain Python values; graph attributes become IR subgraphs.

Numbers and lists stay numbers and lists, strings are decoded as UTF-8. A tensor becomes
``{"dtype", "shape"}`` plus ``"values"`` (a flat list) when it has at most
:data:`MAX_LISTED_VALUES` elements stored in the file: small constants (a mask fill
value, a scale) matter to the analyses, big ones are never materialised.
"""

from __future__ import annotations

import math
import struct
from functools import lru_cache
from typing import Any, Protocol

from trnport.analyzers.graph import Graph
from trnport.analyzers.loaders.onnx.external import ExternalDataGuard
from trnport.analyzers.loaders.onnx.types import dtype_name

MAX_LISTED_VALUES = 16
EXTERNAL = 1  # TensorProto.EXTERNAL

# AttributeProto.AttributeType numbers
FLOAT, INT, STRING, TENSOR, GRAPH = 1, 2, 3, 4, 5
FLOATS, INTS, STRINGS, TENSORS, GRAPHS = 6, 7, 8, 9, 10
SPARSE_TENSOR, SPARSE_TENSORS, TYPE_PROTO, TYPE_PROTOS = 11, 12, 13, 14
#: kinds decoded from the attribute alone (no tensor header to check, no subgraph)
_PLAIN_KINDS = frozenset({FLOAT, INT, STRING, FLOATS, INTS, STRINGS})
# for attributes written without a type (very old files): field that holds the value
_FIELD_TYPES = (("f", FLOAT), ("i", INT), ("s", STRING), ("t", TENSOR), ("g", GRAPH),
                ("floats", FLOATS), ("ints", INTS), ("strings", STRINGS),
                ("tensors", TENSORS), ("graphs", GRAPHS))


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _float32(value: float) -> float:
    """The shortest decimal that is the same float32, so ``1e-05`` reads as written and
    not as ``9.999999747378752e-06``."""
    single = _as_float32(value)
    if math.isinf(single) or math.isnan(single):
        return single
    for digits in range(1, 10):
        shortest = float(f"{single:.{digits}g}")
        if _as_float32(shortest) == single:
            return shortest
    return single


def _as_float32(value: float) -> float:
    """``value`` rounded to the nearest float32, as a float32 cast rounds it (struct refuses
    values just above the largest float32 that the cast rounds down to it)."""
    try:
        return _F32.unpack(_F32.pack(value))[0]
    except OverflowError:
        limit = _F32_MAX if abs(value) < _F32_ROUND_UP else math.inf
        return math.copysign(limit, value)


_F32 = struct.Struct("<f")
_F32_MAX = (2 - 2**-23) * 2**127
_F32_ROUND_UP = 2**128 - 2**103  # halfway between the largest float32 and 2**128
# TensorProto data types read without NumPy: struct format, and the typed field that holds
# the values when raw_data is empty (FLOAT16 and BFLOAT16 keep their bits in int32_data)
_PLAIN_TYPES = {
    1: ("f", "float_data"), 2: ("B", "int32_data"), 3: ("b", "int32_data"),
    4: ("H", "int32_data"), 5: ("h", "int32_data"), 6: ("i", "int32_data"),
    7: ("q", "int64_data"), 9: ("?", "int32_data"), 10: ("e", "int32_data"),
    11: ("d", "double_data"), 12: ("I", "uint64_data"), 13: ("Q", "uint64_data"),
    16: ("H", "int32_data"),
}
_FLOAT16, _BFLOAT16, _BOOL, _FLOAT = 10, 16, 9, 1


class SubgraphConverter(Protocol):
    """What decoding needs from the graph converter: the external-data guard, the dims check,
    and the conversion of a subgraph (``GraphConverter`` in ``graph.py``)."""

    guard: ExternalDataGuard

    def checked_dims(self, dims: Any, name: str) -> tuple[int, ...]: ...

    def convert(self, proto: Any, outer: tuple[set[str], ...] = (),
                default_name: str = "graph") -> Graph: ...


class SubgraphScope:
    """The names a subgraph may read from its enclosing graphs, computed on first need:
    everything the enclosing graph defines, and what its own enclosing graphs see."""

    __slots__ = ("_available", "_names", "_outer", "_proto")

    def __init__(self, proto: Any, available: set[str], outer: tuple[set[str], ...]) -> None:
        self._proto = proto
        self._available = available
        self._outer = outer
        self._names: tuple[set[str], ...] | None = None

    def names(self) -> tuple[set[str], ...]:
        if self._names is None:
            visible = set(self._available)
            for node in self._proto.node:
                visible.update(node.output)
            self._names = (visible, *self._outer)
        return self._names


class AttributeDecoder:
    """Decodes the attributes of one node; recurses into subgraphs through the converter."""

    def __init__(self, converter: SubgraphConverter) -> None:
        self.converter = converter
        #: decoded plain attributes by their bytes: nodes with equal attributes share one
        #: dict (read-only, like all of the IR), which also tells later passes they agree
        self._plain: dict[tuple[bytes, ...], dict[str, Any]] = {}

    def decode(self, proto_node: Any, node_name: str,
               scope: SubgraphScope) -> tuple[dict[str, Any], tuple[Graph, ...]]:
        """``(attributes, subgraphs)`` of ``proto_node``; subgraph attributes are left out
        of the dict and each subgraph's ``metadata["attribute"]`` names its attribute."""
        listed = proto_node.attribute
        if all(attribute.type in _PLAIN_KINDS for attribute in listed):
            key = tuple(attribute.SerializeToString() for attribute in listed)
            known = self._plain.get(key)
            if known is None:
                known = self._plain[key] = self._decode(proto_node, node_name, scope)[0]
            return known, ()
        return self._decode(proto_node, node_name, scope)

    def _decode(self, proto_node: Any, node_name: str,
                scope: SubgraphScope) -> tuple[dict[str, Any], tuple[Graph, ...]]:
        attributes: dict[str, Any] = {}
        subgraphs: list[Graph] = []
        for attribute in proto_node.attribute:
            kind = attribute.type or _guess_type(attribute)
            name = attribute.name
            if kind == INT:
                attributes[name] = attribute.i
            elif kind == INTS:
                attributes[name] = list(attribute.ints)
            elif kind == FLOAT:
                attributes[name] = _float32(attribute.f)
            elif kind == STRING:
                attributes[name] = _text(attribute.s)
            elif kind == FLOATS:
                attributes[name] = [_float32(f) for f in attribute.floats]
            elif kind == STRINGS:
                attributes[name] = [_text(s) for s in attribute.strings]
            elif kind == TENSOR:
                attributes[name] = self.tensor(attribute.t)
            elif kind == TENSORS:
                attributes[name] = [self.tensor(t) for t in attribute.tensors]
            elif kind == GRAPH:
                subgraphs.append(self._subgraph(attribute.g, node_name, name, scope))
            elif kind == GRAPHS:
                subgraphs.extend(self._subgraph(g, node_name, f"{name}[{i}]", scope)
                                 for i, g in enumerate(attribute.graphs))
            elif kind == SPARSE_TENSOR:
                attributes[name] = self._sparse(attribute.sparse_tensor)
            elif kind == SPARSE_TENSORS:
                attributes[name] = [self._sparse(t) for t in attribute.sparse_tensors]
            elif kind == TYPE_PROTO:
                attributes[name] = str(attribute.tp.WhichOneof("value"))
            elif kind == TYPE_PROTOS:
                attributes[name] = [str(tp.WhichOneof("value")) for tp in attribute.type_protos]
        return attributes, tuple(subgraphs)

    def tensor(self, tensor: Any) -> dict[str, Any]:
        """``{"dtype", "shape"}`` of a TensorProto, with ``"values"`` when small and inline."""
        converter = self.converter
        shape = converter.checked_dims(tensor.dims, tensor.name or "attribute tensor")
        dtype = dtype_name(tensor.data_type)
        summary: dict[str, Any] = {"dtype": dtype, "shape": list(shape)}
        if tensor.data_location == EXTERNAL:
            converter.guard.check(tensor, dtype)
            summary["external"] = True
        elif math.prod(shape) <= MAX_LISTED_VALUES:
            values = _small_values(tensor)
            if values is not None:
                summary["values"] = values
        return summary

    def _sparse(self, sparse: Any) -> dict[str, Any]:
        summary = self.tensor(sparse.values)
        summary["shape"] = list(self.converter.checked_dims(sparse.dims, "sparse tensor"))
        summary["sparse"] = True
        summary.pop("values", None)
        return summary

    def _subgraph(self, proto: Any, node_name: str, attribute: str,
                  scope: SubgraphScope) -> Graph:
        graph = self.converter.convert(proto, scope.names(),
                                       default_name=f"{node_name}.{attribute}")
        graph.metadata["attribute"] = attribute
        graph.metadata["parent"] = node_name
        return graph


def _guess_type(attribute: Any) -> int:
    for field, kind in _FIELD_TYPES:
        value = getattr(attribute, field)
        if (field in ("t", "g") and attribute.HasField(field)) or \
                (field not in ("t", "g") and value):
            return kind
    return 0


def small_values(tensor: Any, shortest: bool = True) -> list[Any] | None:
    """The values of ``tensor`` when it is small and inline (see :func:`_small_values`)."""
    if getattr(tensor, "data_location", 0) == 1:  # EXTERNAL: never read here
        return None
    return _small_values(tensor, shortest)


def _small_values(tensor: Any, shortest: bool = True) -> list[Any] | None:
    """The values of a small inline tensor as Python numbers (None if they cannot be read).

    float32 values read as their shortest decimal (``1e-05``), which is how an attribute
    is shown; narrower floats are exact in a Python float already (``-65504.0``), where a
    shortest decimal would not be. Without ``shortest``, float32 values stay exact: that is
    for values only computed with (initializers, whose range the int64 analysis reads), where
    a model with tens of thousands of small float biases would spend a second on decimals.
    """
    if tensor.data_type in _PLAIN_TYPES:
        return plain_values(tensor, shortest)
    from onnx import numpy_helper  # rarer dtypes (float8, int4, complex, strings)

    try:
        array = numpy_helper.to_array(tensor)
    except Exception:  # odd dtypes or inconsistent data: the values are a nicety
        return None
    if array.size > MAX_LISTED_VALUES:
        return None
    kind = array.dtype.kind
    values: list[Any] = []
    for item in array.reshape(-1):
        if kind == "b":
            values.append(bool(item))
        elif kind in "iu":
            values.append(int(item))
        elif kind == "c":
            values.append(complex(item))
        elif kind in "SUO":
            values.append(_text(item) if isinstance(item, bytes) else str(item))
        else:  # float kinds, and ml_dtypes' bfloat16 / float8 scalars
            try:
                values.append(_float32(item) if array.dtype.name == "float32" else float(item))
            except (TypeError, ValueError):
                return None
    return values


@lru_cache(maxsize=256)
def _layout(count: int, code: str) -> struct.Struct:
    """The little-endian layout of ``count`` items of struct type ``code`` (models with one
    bias per layer read the same layout thousands of times)."""
    return struct.Struct(f"<{count}{code}")


def plain_values(tensor: Any, shortest: bool = True) -> list[Any] | None:
    """:func:`_small_values` for the common dtypes, read with ``struct`` (no NumPy)."""
    data_type = tensor.data_type
    code, field = _PLAIN_TYPES[data_type]
    count = math.prod(tensor.dims)
    data = tensor.raw_data  # a copy of the bytes on each read
    if data:
        layout = _layout(count, code)
        if layout.size != len(data):
            return None
        raw = list(layout.unpack(data))
    else:
        raw = list(getattr(tensor, field))
        if len(raw) != count:
            return None
        if data_type == _FLOAT16:
            raw = [struct.unpack("<e", struct.pack("<H", bits & 0xFFFF))[0] for bits in raw]
    if data_type == _FLOAT:
        return [_float32(item) for item in raw] if shortest else raw
    if data_type == _BFLOAT16:
        raw = [_F32.unpack(struct.pack("<I", (bits & 0xFFFF) << 16))[0] for bits in raw]
    if data_type == _BOOL:
        return [bool(item) for item in raw]
    return [float(item) if isinstance(item, float) else int(item) for item in raw]
