"""What the lint checks find, and the dotted-name reading of a syntax tree they share."""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class LintIssue:
    """One construct at ``line`` (1-based) of the linted file that a check flags. ``key``
    names the row of the TorchNeuron migration table an issue comes from (None for the
    GPU checks, whose row is their ``check``)."""

    check: str
    line: int
    message: str
    severity: str | None = None  # None: the rule's default severity
    key: str | None = None


def dotted(node: ast.AST) -> str:
    """``torch.cuda.amp.autocast`` for an attribute chain or name, else ""."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # torch.cuda.amp.GradScaler().scale -> keep the tail
        inner = dotted(node.func)
        return ".".join([inner, *reversed(parts)]) if inner else ""
    return ""
