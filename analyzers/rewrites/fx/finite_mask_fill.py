"""``masked_fill`` with -inf or the float minimum before a softmax fills a finite large
negative constant instead: -inf / finfo.min overflow once the compiler casts to bf16 or adds
a bias, and a fully masked row then turns into NaN. After the softmax the result is the same."""

from __future__ import annotations

from typing import Any

import torch

from trnport.analyzers.rewrites.base import RewriteInfo
from trnport.analyzers.rewrites.catalog import FINITE_FILL, NEAR_MIN_FILL
from trnport.analyzers.rewrites.fx.base import dtype_of, op_name, targets_of

_PASS_THROUGH = frozenset({
    "aten.add", "aten.sub", "aten.mul", "aten.div", "aten._to_copy", "aten.to", "aten.view",
    "aten.reshape", "aten.transpose", "aten.permute", "aten.unsqueeze", "aten.squeeze",
    "aten.expand", "aten.masked_fill", "aten.where", "aten.clone", "aten.contiguous",
    "aten.type_as",
})
_SOFTMAX = frozenset({"aten.softmax", "aten._softmax", "aten.log_softmax", "aten._log_softmax"})


class FiniteMaskFill:
    INFO = RewriteInfo.of("RW-finite-mask-fill", "fx")
    targets = targets_of(INFO)

    def check(self, node: Any) -> str | None:
        value = node.args[2]
        dtype = dtype_of(node.args[0])
        lowest = torch.finfo(dtype).min if dtype is not None and dtype.is_floating_point \
            else NEAR_MIN_FILL
        if not isinstance(value, float) or not value <= max(lowest, NEAR_MIN_FILL):
            return f"the fill value {value!r} is not -inf or the float minimum"
        return _softmax_problem(node)

    def replace(self, graph: Any, node: Any) -> tuple[str, ...]:
        node.update_arg(2, FINITE_FILL)
        return ("aten.masked_fill",)


def _softmax_problem(start: Any) -> str | None:
    """Why the fill value could be seen outside a softmax, or None when it cannot."""
    pending, seen = [start], set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        if not node.users:
            return f"'{node.name}' is not used by a softmax"
        for user in node.users:
            if user.op == "output":
                return (f"the masked values reach the output through '{node.name}' without a "
                        "softmax, so the fill value would change the outputs")
            name = op_name(user)
            if name in _SOFTMAX:
                continue
            if name not in _PASS_THROUGH:
                return (f"the masked values feed {name} '{user.name}' before any softmax, "
                        "so the fill value would change its result")
            pending.append(user)
    return None


REWRITE = FiniteMaskFill()
