"""Facts about the automated rewrites that need no onnx import (the report reads them for
every model format)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Automation:
    """An automated ONNX rewrite: its id, the ONNX ops it matches, and the catalogue ids a
    finding on one of those ops may carry that it resolves."""

    id: str
    ops: tuple[str, ...]
    answers: tuple[str, ...]
    before: str
    after: str


AUTOMATED: tuple[Automation, ...] = (
    Automation("RW-topk-int-to-float", ("TopK",), ("RW-topk-int-to-float",),
               "values, indices = x.topk(k)          # x is an integer tensor",
               "values, indices = x.float().topk(k)\nvalues = values.to(x.dtype)"),
    Automation("RW-int-matmul-to-float", ("MatMul", "Gemm", "Einsum"),
               ("RW-int-matmul-to-float",),
               "y = a @ b                            # a, b integer tensors",
               "y = (a.float() @ b.float()).to(a.dtype)"),
    Automation("RW-one-hot-compare-arange", ("OneHot",),
               ("RW-onnx-op-in-pytorch", "RW-one-hot-compare-arange"),
               "y = F.one_hot(idx, num_classes)",
               "y = (idx.unsqueeze(-1) == torch.arange(num_classes)).long()"),
    Automation("RW-mask-with-where", ("NonZero",), ("RW-mask-with-where",),
               "total = x[mask].sum()",
               "total = torch.where(mask, x, torch.zeros_like(x)).sum()"),
    Automation("RW-finite-mask-fill", ("Where", "Add"), ("RW-finite-mask-fill",),
               "scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)",
               "scores = scores.masked_fill(~mask, -1e4)"),
)


def automation_for(rewrite_id: str | None, op: str) -> Automation | None:
    """The automated rewrite that resolves a finding naming ``rewrite_id`` on ONNX ``op``
    (``onnx::TopK`` or ``TopK``)."""
    if not rewrite_id:
        return None
    op_type = op.split("::")[-1]
    return next((a for a in AUTOMATED if rewrite_id in a.answers and op_type in a.ops), None)


def automation(rewrite_id: str) -> Automation | None:
    return next((a for a in AUTOMATED if a.id == rewrite_id), None)
