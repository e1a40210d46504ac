"""Every automated rewrite, registered once, in the order the engines apply them.

A rewrite's facts are data (``resources/neuron/rewrites.yaml``): its title, the catalogue
ids it answers, the before/after code, and under ``automated.matches`` the ops each engine
matches. Its implementations are named for its id (without ``RW-``, in snake case):
``onnx/<name>.py`` rewrites an ONNX ``GraphProto``, ``fx/<name>.py`` the FX graph of a
torch.export program. An engine implements a rewrite exactly when the data lists ops for it,
and each implementation module's ``REWRITE`` is the rewrite object.

Modules are imported on first use: the ONNX engine never imports torch, the FX engine
never imports onnx.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

ENGINES = ("onnx", "fx")
#: The order ``--all-safe``, ``--list`` and the opportunity search apply rewrites in.
APPLY_ORDER = (
    "RW-topk-int-to-float",
    "RW-int-matmul-to-float",
    "RW-one-hot-compare-arange",
    "RW-mask-with-where",
    "RW-finite-mask-fill",
    "RW-reshape-allowzero-off",
    "RW-gelu-to-erf",
    # last: it also adapts the nodes the other rewrites add
    "RW-onnx-opset-downgrade",
)


def module_name(rewrite_id: str) -> str:
    """The name of the implementation modules of ``rewrite_id``
    (``RW-topk-int-to-float`` → ``topk_int_to_float``)."""
    return rewrite_id.removeprefix("RW-").replace("-", "_")


@cache
def implementations(engine: str) -> tuple[Any, ...]:
    """The rewrites ``engine`` (``"onnx"`` or ``"fx"``) implements, in :data:`APPLY_ORDER`."""
    from trnport.analyzers.kb import load_kb

    if engine not in ENGINES:
        raise ValueError(f"unknown rewrite engine {engine!r}")
    kb = load_kb()
    found = []
    for rewrite_id in APPLY_ORDER:
        entry = kb.rewrite(rewrite_id)
        if entry is None or entry.automation is None:
            raise LookupError(f"{rewrite_id} has no automated entry in the knowledge base")
        if engine in entry.automation.matches:
            module = importlib.import_module(f"{__package__}.{engine}.{module_name(rewrite_id)}")
            found.append(module.REWRITE)
    return tuple(found)


def implementation(engine: str, rewrite_id: str) -> Any | None:
    """The ``engine`` implementation of ``rewrite_id``, or None."""
    return next((r for r in implementations(engine) if r.INFO.id == rewrite_id), None)
