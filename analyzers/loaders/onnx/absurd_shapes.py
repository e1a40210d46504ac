"""Shapes too large for any device, written as constants that shape inference gives up on.

A ``Reshape`` of a small tensor to ``[2**62, 2**62]`` cannot hold the input's elements, so
onnx's shape inference leaves its output untyped, and an untyped value is invisible to every
size check: the model would be called a fit. When the shape operand of a Reshape or Expand
is a constant stored in the file and its dims multiply to more than :data:`MAX_ELEMENTS`,
the output is given that shape, so that the rules report what no device can hold (TRN409).
Smaller shapes are left to shape inference.
"""

from __future__ import annotations

import math
from typing import Any

from trnport.analyzers.graph import Graph, Value
from trnport.analyzers.loaders.onnx.attributes import plain_values
from trnport.analyzers.loaders.onnx.types import MAX_ELEMENTS

_SHAPED_BY_OPERAND = ("onnx::Reshape", "onnx::Expand")
_MAX_RANK = 16
_INT64 = 7  # TensorProto.INT64
_EXTERNAL = 1  # TensorProto.EXTERNAL


def _initializer_dims(graph_proto: Any) -> dict[str, tuple[int, ...]]:
    dims: dict[str, tuple[int, ...]] = {}
    for tensor in graph_proto.initializer:
        if (tensor.data_type == _INT64 and len(tensor.dims) == 1
                and 0 < tensor.dims[0] <= _MAX_RANK and tensor.data_location != _EXTERNAL):
            values = plain_values(tensor)  # struct, not numpy: no import of onnx
            if values is not None:
                dims[tensor.name] = tuple(int(v) for v in values)
    return dims


def _constant_dims(graph: Graph) -> dict[str, tuple[int, ...]]:
    dims: dict[str, tuple[int, ...]] = {}
    for node in graph.nodes:
        value = node.attributes.get("value") if node.op == "onnx::Constant" else None
        listed = value.get("values") if isinstance(value, dict) else None
        if (isinstance(listed, list) and node.outputs and 0 < len(listed) <= _MAX_RANK
                and all(isinstance(v, int) for v in listed)):
            dims[node.outputs[0]] = tuple(listed)
    return dims


def type_absurd_shapes(graph_proto: Any, graph: Graph) -> None:
    """Give the untyped output of a constant-shaped Reshape or Expand its shape when that
    shape holds more than :data:`MAX_ELEMENTS` elements."""
    candidates = [n for n in graph.nodes if n.op in _SHAPED_BY_OPERAND and len(n.inputs) > 1]
    if not candidates:
        return
    known = {**_initializer_dims(graph_proto), **_constant_dims(graph)}
    for node in candidates:
        dims = known.get(node.inputs[1])
        out = graph.values.get(node.outputs[0]) if node.outputs else None
        if dims is None or (out is not None and out.shape is not None):
            continue
        # 0 and -1 mean "copy" and "infer" in a Reshape; such a shape is not plain
        if min(dims) <= 0 or math.prod(dims) <= MAX_ELEMENTS:
            continue
        source = graph.values.get(node.inputs[0])
        dtype = (out.dtype if out is not None else None) or (source.dtype if source else None)
        graph.values[node.outputs[0]] = Value(node.outputs[0], dims, dtype)
