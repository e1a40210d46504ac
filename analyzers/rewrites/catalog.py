"""Facts about the automated rewrites that need no onnx or torch import (the report reads
them for every model format). The facts themselves are knowledge-base data
(``resources/neuron/rewrites.yaml``); this module answers the report's questions about them."""

from __future__ import annotations

from trnport.analyzers.kb import RewriteAutomation, load_kb

#: An ONNX ``matches`` entry matching every op (a rewrite of the whole model).
ANY_OP = "*"

#: The finite fill that stands in for -inf / finfo.min in attention masks.
FINITE_FILL = -1.0e4
#: At or below this a float fill is a stand-in for -inf (finfo(float32).min is -3.4028e38).
NEAR_MIN_FILL = -1.0e30


def automation_for(rewrite_id: str | None, op: str) -> RewriteAutomation | None:
    """The automated rewrite that resolves a finding naming ``rewrite_id`` on ONNX ``op``
    (``onnx::TopK`` or ``TopK``)."""
    if not rewrite_id:
        return None
    op_type = op.split("::")[-1]
    for entry in load_kb().rewrites.values():
        automation = entry.automation
        if automation is None or rewrite_id not in automation.answers:
            continue
        ops = automation.matches.get("onnx", ())
        if op_type in ops or ANY_OP in ops:
            return automation
    return None


def automation(rewrite_id: str) -> RewriteAutomation | None:
    """What the automated rewrite ``rewrite_id`` matches and its before/after code (None for
    a rewrite done by hand)."""
    entry = load_kb().rewrite(rewrite_id)
    return entry.automation if entry is not None else None


def is_torch_path(path) -> bool:
    """A model the PyTorch rewrites take (``.pt2`` or a Python file), by its suffix."""
    return str(path).lower().endswith((".pt2", ".py"))
