"""ONNX ``Gelu`` (opset 20) as the elementwise formula it is defined by.

``torch.onnx.export(..., dynamo=True)`` writes ``nn.GELU`` as the opset-20 ``Gelu`` op;
onnx2torch has no converter for it, and no older opset has the op, so the opset downgrade
cannot take the model below 20 while it is there. The ONNX operator's own definition
replaces it with ops every opset since 13 has: ``0.5 * x * (1 + Erf(x / sqrt(2)))``, or for
``approximate="tanh"`` ``0.5 * x * (1 + Tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``.
The constants take the input's float type, so the result matches up to float rounding.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from onnx import helper, numpy_helper

from trnport.analyzers.rewrites.base import RewriteInfo
from trnport.analyzers.rewrites.onnx.base import Replacement
from trnport.analyzers.rewrites.onnx.context import GraphContext

_FLOAT_TYPES = {1: np.float32, 10: np.float16, 11: np.float64}  # onnx elem type → numpy


def _approximate(node: Any) -> str:
    for attr in node.attribute:
        if attr.name == "approximate":
            return attr.s.decode() if isinstance(attr.s, bytes) else str(attr.s)
    return "none"


class GeluToErf:
    INFO = RewriteInfo.of("RW-gelu-to-erf", "onnx")

    def check(self, context: GraphContext, node: Any) -> str | None:
        if _approximate(node) not in ("none", "tanh"):
            return f"Gelu approximate={_approximate(node)!r} is not one the ONNX spec defines"
        if context.elem_type(node.input[0]) not in _FLOAT_TYPES:
            return (f"the element type of input '{node.input[0]}' of Gelu is not float16, "
                    "float32 or float64")
        return None

    def replace(self, context: GraphContext, node: Any) -> Replacement:
        dtype = _FLOAT_TYPES[context.elem_type(node.input[0])]
        stem, x = node.name or "gelu", node.input[0]
        nodes: list[Any] = []
        constants: list[Any] = []

        def const(label: str, value: float) -> str:
            tensor = numpy_helper.from_array(np.array(value, dtype=dtype),
                                             context.fresh(f"{stem}_{label}"))
            constants.append(tensor)
            return tensor.name

        def add(op: str, *inputs: str, out: str | None = None) -> str:
            name = out or context.fresh(f"{stem}_{op.lower()}")
            nodes.append(helper.make_node(op, list(inputs), [name],
                                          name=context.fresh(f"{stem}_{op}"),
                                          doc_string=node.doc_string))
            return name

        if _approximate(node) == "tanh":
            cube = add("Mul", add("Mul", x, x), x)
            inner = add("Add", x, add("Mul", cube, const("coeff", 0.044715)))
            curve = add("Tanh", add("Mul", inner, const("scale", math.sqrt(2.0 / math.pi))))
        else:
            curve = add("Erf", add("Div", x, const("sqrt2", math.sqrt(2.0))))
        gate = add("Mul", add("Add", curve, const("one", 1.0)), const("half", 0.5))
        add("Mul", x, gate, out=node.output[0])
        return Replacement(remove=(node.name,), nodes=tuple(nodes),
                           initializers=tuple(constants))


REWRITE = GeluToErf()
