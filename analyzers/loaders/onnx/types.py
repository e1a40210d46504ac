"""ONNX element types and ``TypeProto`` shapes in the IR's terms.

Element types become torch's short dtype names; a dimension becomes an ``int``
(``dim_value``), its symbol's name (``dim_param``), or a generated ``"?N"`` when the
file gives neither. The table is keyed by ``TensorProto.DataType`` numbers, which ONNX
never renumbers, so this module needs no onnx import.
"""

from __future__ import annotations

from typing import Any

from trnport.analyzers.errors import InputError
from trnport.analyzers.graph import Value

# TensorProto.DataType number → IR dtype name
ONNX_DTYPES: dict[int, str] = {
    1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
    8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
    14: "complex64", 15: "complex128", 16: "bfloat16", 17: "float8_e4m3fn",
    18: "float8_e4m3fnuz", 19: "float8_e5m2", 20: "float8_e5m2fnuz", 21: "uint4", 22: "int4",
    23: "float4_e2m1", 24: "float8_e8m0fnu", 25: "uint2", 26: "int2", 27: "float6_e2m3",
    28: "float6_e3m2",
}
#: the element types above that hold floating-point or complex numbers
FLOAT_TYPES = frozenset(number for number, name in ONNX_DTYPES.items()
                        if name.startswith(("float", "bfloat", "complex")))
UNDEFINED = "undefined"
#: Declared shapes with more elements than this are absurd (2**40 float32 = 4 TiB).
MAX_ELEMENTS = 2**40


def dtype_name(data_type: int) -> str:
    """The IR name of an ONNX element type (``"undefined"`` for 0, ``"onnx_type_N"`` if new)."""
    name = ONNX_DTYPES.get(data_type)
    if name is None:
        return UNDEFINED if data_type == 0 else f"onnx_type_{data_type}"
    return name


#: what a type converts to: its dtype and shape
_Converted = tuple[str | None, tuple[int | str, ...] | None]


class TypeReader:
    """Reads ``ValueInfoProto`` types; numbers the anonymous dims of one model.

    Big graphs repeat a handful of types thousands of times, so conversions are cached on
    the type's serialized bytes (serializing is far cheaper than walking the dims in Python).
    """

    def __init__(self) -> None:
        self._anonymous = 0
        # strict and lenient (negative_is_unknown) readings, by serialized type
        self._cache: tuple[dict[bytes, _Converted], dict[bytes, _Converted]] = ({}, {})

    def value(self, info: Any, negative_is_unknown: bool = False, name: str | None = None
              ) -> Value:
        """The IR value for a ``ValueInfoProto`` (whose ``name`` the caller may have read
        already); non-tensor types keep only the name.

        A negative dim is refused unless ``negative_is_unknown``, where it is read as an
        unknown dim: onnx writes ``-1`` for a dim it cannot infer inside function-expanded
        If/Loop bodies (and shape inference carries it out to the values they produce),
        and its checker accepts that."""
        if name is None:
            name = info.name
        proto_type = info.type
        return self._cached(proto_type.SerializeToString(), name, negative_is_unknown,
                            proto_type)

    def value_of(self, name: str, serialized: bytes, negative_is_unknown: bool = False
                 ) -> Value:
        """:meth:`value` for a type given as its serialized ``TypeProto``."""
        return self._cached(serialized, name, negative_is_unknown, None)

    def _cached(self, key: bytes, name: str, negative_is_unknown: bool,
                proto_type: Any | None) -> Value:
        """The value of the type serialized as ``key`` (parsed from it unless given)."""
        cache = self._cache[negative_is_unknown]
        known = cache.get(key)
        if known is None:
            if proto_type is None:
                from trnport.analyzers.loaders.onnx.proto import parts

                proto_type = parts().protos.TypeProto.FromString(key)
            anonymous_before = self._anonymous
            known = self._convert(proto_type, name, negative_is_unknown)
            if self._anonymous == anonymous_before:  # "?N" dims must stay distinct
                cache[key] = known
        return Value(name, known[1], known[0])

    def _convert(self, proto_type: Any, name: str,
                 negative_is_unknown: bool) -> tuple[str | None, tuple[int | str, ...] | None]:
        kind = proto_type.WhichOneof("value")
        if kind == "tensor_type":
            tensor_type = proto_type.tensor_type
        elif kind == "sparse_tensor_type":
            tensor_type = proto_type.sparse_tensor_type
        else:
            return None, None  # sequences, maps, optionals: no single tensor shape
        elem = tensor_type.elem_type
        dtype = dtype_name(elem) if elem else None
        if not tensor_type.HasField("shape"):
            return dtype, None
        return dtype, self.shape(tensor_type.shape.dim, name, negative_is_unknown)

    def shape(self, dims: Any, name: str,
              negative_is_unknown: bool = False) -> tuple[int | str, ...]:
        """Convert ``TensorShapeProto.dim``. A declared shape (``negative_is_unknown`` False)
        with a negative dim or more than :data:`MAX_ELEMENTS` elements is refused; a derived
        one keeps its size (the memory analysis reports what no device holds) and reads a
        negative dim as unknown."""
        shape: list[int | str] = []
        static = 1
        for dim in dims:
            size = dim.dim_value
            if size > 0:
                shape.append(size)
                static *= size
                continue
            symbol = dim.dim_param
            if symbol:
                shape.append(symbol)
            elif dim.HasField("dim_value") and not (size < 0 and negative_is_unknown):
                if size < 0:
                    raise InputError(f"invalid ONNX model: value '{shorten(name)}' has a "
                                     f"negative dimension {size}")
                shape.append(0)
                static = 0
            else:
                shape.append(f"?{self._anonymous}")
                self._anonymous += 1
        if static > MAX_ELEMENTS and not negative_is_unknown:
            raise InputError(f"invalid ONNX model: value '{shorten(name)}' has an absurd shape "
                             f"{shape} ({static} elements)")
        return tuple(shape)


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters, for quoting model-controlled names in messages."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
