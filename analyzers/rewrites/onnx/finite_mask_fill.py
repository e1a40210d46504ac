"""Masks filled with -inf or the float minimum before a Softmax use a finite large negative
constant instead. -inf / finfo.min overflow once the compiler casts to bf16 or adds a bias,
and a fully masked row then turns into NaN (neuronx-cc clamps infinities only behind
--enable-saturate-infinity, on trn1). After the Softmax, exp(-1e4 - max) is 0 in float32,
so the outputs stay the same; the verification on random inputs checks it."""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import numpy_helper

from trnport.analyzers.rewrites.base import RewriteInfo
from trnport.analyzers.rewrites.catalog import FINITE_FILL, NEAR_MIN_FILL
from trnport.analyzers.rewrites.onnx.base import Replacement
from trnport.analyzers.rewrites.onnx.context import GraphContext

_PASS_THROUGH = frozenset({"Add", "Sub", "Mul", "Div", "Cast", "Reshape", "Transpose",
                           "Unsqueeze", "Squeeze", "Expand", "Where"})
_SOFTMAX = frozenset({"Softmax", "LogSoftmax"})


class FiniteMaskFill:
    INFO = RewriteInfo.of("RW-finite-mask-fill", "onnx")

    def check(self, context: GraphContext, node: Any) -> str | None:
        name = self._fill_input(context, node)
        if name is None:
            return (f"no constant input of {node.op_type} holds -inf or the float minimum")
        return _softmax_problem(context, node.output[0])

    def replace(self, context: GraphContext, node: Any) -> Replacement:
        name = self._fill_input(context, node)
        value = context.constant(name)
        finite = np.where(_is_fill(value), np.asarray(FINITE_FILL, value.dtype), value)
        init = numpy_helper.from_array(finite.astype(value.dtype), context.fresh(f"{name}_finite"))
        new = type(node)()
        new.CopyFrom(node)
        new.input[list(node.input).index(name)] = init.name
        return Replacement(remove=(node.name,), nodes=(new,), initializers=(init,))

    @staticmethod
    def _fill_input(context: GraphContext, node: Any) -> str | None:
        candidates = node.input[1:] if node.op_type == "Where" else node.input
        for name in candidates:
            value = context.constant(name)
            if value is not None and value.dtype.kind == "f" and _is_fill(value).any():
                return name
        return None


def _is_fill(value: np.ndarray) -> np.ndarray:
    return np.isneginf(value) | (value <= NEAR_MIN_FILL)


def _softmax_problem(context: GraphContext, start: str) -> str | None:
    """Why the fill value could be seen outside a Softmax, or None when it cannot."""
    pending, seen = [start], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in context.outputs:
            return (f"the masked values reach graph output '{name}' without a Softmax, "
                    "so the fill value would change the outputs")
        consumers = context.consumers.get(name, [])
        if not consumers:
            return f"'{name}' is not used by a Softmax"
        for consumer in consumers:
            if consumer.op_type in _SOFTMAX:
                continue
            if consumer.op_type not in _PASS_THROUGH:
                return (f"the masked values feed {consumer.op_type} '{consumer.name}' "
                        "before any Softmax, so the fill value would change its result")
            pending.extend(out for out in consumer.output if out)
    return None


REWRITE = FiniteMaskFill()
