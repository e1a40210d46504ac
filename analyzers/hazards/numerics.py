"""Numerics hazards: attention-mask fill constants that break under bf16, and the depth of
matmul chains that compiler auto-casting would run in reduced precision."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from trnport.analyzers.graph import Graph, Node

FLOAT32_MIN = -3.4028234663852886e38
BFLOAT16_MIN = -3.3895313892515355e38
#: fill values at or below this are "the most negative float" masks (finfo(...).min)
HUGE_NEGATIVE = -1.0e38

#: attribute names that carry a fill or replacement value in exported graphs
_VALUE_KEYS = ("fill_value", "value", "other", "self", "scalar", "s", "min", "max", "alpha")
_FILL_OPS = ("masked_fill", "full", "fill", "where", "scalar_tensor", "new_full",
             "add", "sub", "mul", "clamp", "onnx::Constant", "onnx::ConstantOfShape")

MATMUL_OPS = frozenset({
    "aten.mm", "aten.bmm", "aten.addmm", "aten.matmul", "aten.linear", "aten.baddbmm",
    "aten.convolution", "aten._scaled_dot_product_flash_attention_for_cpu",
    "aten.scaled_dot_product_attention", "aten._scaled_dot_product_efficient_attention",
    "onnx::MatMul", "onnx::Gemm", "onnx::Conv", "onnx::ConvTranspose", "onnx::Einsum",
})


@dataclass(frozen=True)
class MaskConstant:
    """A very negative fill constant: ``kind`` is ``-inf``, ``float32-min`` or
    ``bfloat16-min``."""

    node: Node
    value: float
    kind: str
    #: the lifted tensor constant holding the value, when ``node`` only reads it
    constant: str | None = None


def mask_constants(graph: Graph) -> list[MaskConstant]:
    """Nodes that write ``-inf`` or a ``finfo(...).min``-sized constant (mask fills)."""
    found = []
    fills: dict[str, bool] = {}  # per op name: a model has few distinct ops, many nodes
    for node, _ in graph.walk():
        fill = fills.get(node.op)
        if fill is None:
            fill = fills[node.op] = any(key in node.op for key in _FILL_OPS)
        if not fill:
            continue
        value = _most_negative(node.attributes)
        if value is not None:
            found.append(MaskConstant(node, value, kind_of(value)))
    return found


def _most_negative(attributes: Any) -> float | None:
    candidates: list[float] = []
    for key, item in attributes.items():
        if key in _VALUE_KEYS:
            candidates.extend(_floats(item))
    negative = [v for v in candidates if v <= HUGE_NEGATIVE]
    return min(negative) if negative else None


def _floats(item: Any) -> list[float]:
    if isinstance(item, bool):
        return []
    if isinstance(item, (int, float)):
        return [float(item)]
    if isinstance(item, str) and item.strip() in ("-inf", "-Infinity"):
        return [-math.inf]
    if isinstance(item, dict):  # ONNX tensor attribute summary
        return [v for x in item.get("values") or () for v in _floats(x)]
    if isinstance(item, (list, tuple)) and len(item) <= 16:
        return [v for x in item for v in _floats(x)]
    return []


def kind_of(value: float) -> str:
    """``-inf``, ``float32-min`` or ``bfloat16-min`` for a huge negative fill value."""
    if math.isinf(value):
        return "-inf"
    if value < BFLOAT16_MIN * 1.0001:
        return "float32-min"
    return "bfloat16-min"


def matmul_depth(graph: Graph, float_only: bool = True) -> tuple[int, list[Node]]:
    """The longest chain of matmul-like nodes along the data flow of ``graph`` (top level),
    counting only nodes with a float32 output when ``float_only``; returns the depth and the
    chain's nodes, deepest last."""
    depth: dict[str, tuple[int, Node | None, str | None]] = {}
    best: tuple[int, str | None] = (0, None)
    chain_end: dict[str, tuple[Node, str | None]] = {}
    for node in graph.nodes:
        incoming = max((depth[name] for name in node.inputs if name in depth),
                       key=lambda item: item[0], default=(0, None, None))
        level, last, last_value = incoming
        if _packet(node.op) in MATMUL_OPS and (not float_only or _float32_out(graph, node)):
            previous = last_value
            level, last = level + 1, node
            key = node.outputs[0] if node.outputs else node.name
            chain_end[key] = (node, previous)
            last_value = key
        for out in node.outputs:
            if out:
                depth[out] = (level, last, last_value)
        if level > best[0]:
            best = (level, last_value)
    chain: list[Node] = []
    cursor = best[1]
    while cursor is not None and cursor in chain_end:
        node, cursor = chain_end[cursor]
        chain.append(node)
    return best[0], chain[::-1]


def _packet(op: str) -> str:
    if "::" in op:
        return op
    parts = op.split(".")
    return ".".join(parts[:2])


def _float32_out(graph: Graph, node: Node) -> bool:
    for name in node.outputs:
        value = graph.values.get(name) if name else None
        if value is not None and value.dtype is not None:
            return value.dtype == "float32"
    return True
