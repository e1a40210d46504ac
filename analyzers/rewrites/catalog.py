"""Facts about the automated rewrites that need no onnx import (the report reads them for
every model format)."""

from __future__ import annotations

from dataclasses import dataclass

#: An ``Automation.ops`` entry matching every op (a rewrite of the whole model).
ANY_OP = "*"

#: The finite fill that stands in for -inf / finfo.min in attention masks.
FINITE_FILL = -1.0e4


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
    Automation("RW-reshape-allowzero-off", ("Reshape",), ("RW-onnx-op-in-pytorch",),
               "Reshape(x, shape=[1, -1], allowzero=1)   # as torch.onnx.export writes it",
               "Reshape(x, shape=[1, -1])                # no 0 in shape: same result"),
    # every op: the finding names the op whose schema version onnx2torch lacks
    Automation("RW-onnx-opset-downgrade", (ANY_OP,), ("RW-onnx-opset-downgrade",),
               "y = ReduceMean(x, axes)              # opset 18+: axes is an input",
               "y = ReduceMean(x, axes=[2, 3])       # opset 17: axes is an attribute"),
)


def automation_for(rewrite_id: str | None, op: str) -> Automation | None:
    """The automated rewrite that resolves a finding naming ``rewrite_id`` on ONNX ``op``
    (``onnx::TopK`` or ``TopK``)."""
    if not rewrite_id:
        return None
    op_type = op.split("::")[-1]
    return next((a for a in AUTOMATED if rewrite_id in a.answers
                 and (op_type in a.ops or ANY_OP in a.ops)), None)


def automation(rewrite_id: str) -> Automation | None:
    return next((a for a in AUTOMATED if a.id == rewrite_id), None)


def is_torch_path(path) -> bool:
    """A model the PyTorch rewrites take (``.pt2`` or a Python file), by its suffix."""
    return str(path).lower().endswith((".pt2", ".py"))
