"""Reshape with ``allowzero=1`` and a constant target shape without zeros as plain Reshape.

onnx2torch refuses ``allowzero=1`` (exporters set it by default), so the ONNX -> PyTorch path
that Neuron compiles ONNX through stops there. The attribute only changes what a 0 in the
target shape means (a real zero-length dim instead of "copy the input's dim"); a shape with no
0 reshapes the same either way, so dropping the attribute keeps the outputs bit for bit.
"""

from __future__ import annotations

from typing import Any

from onnx import NodeProto

from trnport.analyzers.rewrites.base import RewriteInfo
from trnport.analyzers.rewrites.onnx.base import Replacement
from trnport.analyzers.rewrites.onnx.context import GraphContext


def _allowzero(node: Any) -> int:
    return next((a.i for a in node.attribute if a.name == "allowzero"), 0)


class ReshapeAllowZeroOff:
    INFO = RewriteInfo.of("RW-reshape-allowzero-off", "onnx")

    def check(self, context: GraphContext, node: Any) -> str | None:
        if _allowzero(node) != 1:
            return "allowzero is not set, nothing to change"
        shape = context.constant(node.input[1]) if len(node.input) > 1 else None
        if shape is None:
            return f"target shape '{node.input[1]}' of Reshape is not a constant"
        if (shape.reshape(-1) == 0).any():
            return (f"target shape {shape.reshape(-1).tolist()} holds a 0, which allowzero=1 "
                    "makes a zero-length dim")
        return None

    def replace(self, context: GraphContext, node: Any) -> Replacement:
        plain = NodeProto()
        plain.CopyFrom(node)  # keeps doc string and metadata: the source line of the node
        kept = [a for a in plain.attribute if a.name != "allowzero"]
        del plain.attribute[:]
        plain.attribute.extend(kept)
        return Replacement(remove=(node.name,), nodes=(plain,))


REWRITE = ReshapeAllowZeroOff()
