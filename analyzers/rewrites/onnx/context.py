"""A read-mostly view of an ONNX ``GraphProto`` for rewrites: producers, consumers,
constants, element types and ranks, and fresh names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FLOAT_TYPES = frozenset({1, 10, 11, 16})  # FLOAT, FLOAT16, DOUBLE, BFLOAT16
INTEGER_TYPES = frozenset({2, 3, 4, 5, 6, 7, 12, 13})  # (u)int8..64
BOOL_TYPE = 9


@dataclass
class GraphContext:
    """Look-ups over one graph; rebuilt after every replacement."""

    graph: Any
    producers: dict[str, Any] = field(default_factory=dict)
    consumers: dict[str, list[Any]] = field(default_factory=dict)
    initializers: dict[str, Any] = field(default_factory=dict)
    types: dict[str, Any] = field(default_factory=dict)
    outputs: frozenset[str] = frozenset()
    opset: int = 0
    _taken: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, model: Any) -> GraphContext:
        graph = model.graph
        context = cls(graph=graph)
        for node in graph.node:
            for name in node.output:
                context.producers[name] = node
            for name in node.input:
                context.consumers.setdefault(name, []).append(node)
        context.initializers = {init.name: init for init in graph.initializer}
        for info in (*graph.input, *graph.value_info, *graph.output):
            context.types[info.name] = info.type
        context.outputs = frozenset(out.name for out in graph.output)
        context.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                             0)
        context._taken = {n.name for n in graph.node} | set(context.producers) | set(
            context.initializers) | {i.name for i in graph.input}
        return context

    def elem_type(self, name: str) -> int | None:
        if name in self.initializers:
            return self.initializers[name].data_type
        node = self.producers.get(name)
        if node is not None and node.op_type == "Constant":
            value = self.constant(name)
            return _numpy_to_onnx(value.dtype) if value is not None else None
        info = self.types.get(name)
        if info is not None and info.HasField("tensor_type") and info.tensor_type.elem_type:
            return info.tensor_type.elem_type
        return None

    def rank(self, name: str) -> int | None:
        value = self.constant(name)
        if value is not None:
            return value.ndim
        info = self.types.get(name)
        if info is not None and info.HasField("tensor_type") and \
                info.tensor_type.HasField("shape"):
            return len(info.tensor_type.shape.dim)
        return None

    def constant(self, name: str):
        """The numpy value of ``name`` when it is an initializer or a Constant's output."""
        from onnx import numpy_helper

        if name in self.initializers:
            return numpy_helper.to_array(self.initializers[name])
        node = self.producers.get(name)
        if node is None or node.op_type != "Constant":
            return None
        for attr in node.attribute:
            if attr.name == "value":
                return numpy_helper.to_array(attr.t)
        return None

    def fresh(self, stem: str) -> str:
        """A value/node name not used anywhere in the graph."""
        base = f"{stem}_rw"
        name, index = base, 0
        while name in self._taken:
            index += 1
            name = f"{base}{index}"
        self._taken.add(name)
        return name


def _numpy_to_onnx(dtype) -> int | None:
    from onnx import helper

    try:
        return helper.np_dtype_to_tensor_dtype(dtype)
    except (KeyError, TypeError, ValueError):
        return None


def type_name(elem_type: int | None) -> str:
    from onnx import TensorProto

    if elem_type is None:
        return "of unknown type"
    return TensorProto.DataType.Name(elem_type).lower()
