"""Unified-diff suggestions against a PyTorch user's source line, for the rewrites whose
change is a local textual edit. Always labelled as suggestions: they are not verified."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

_FINITE = "-1e4"
_EDITS: dict[str, tuple[tuple[str, str], ...]] = {
    "RW-topk-int-to-float": (
        (r"torch\.topk\(\s*([\w.\[\]]+)\s*,", r"torch.topk(\1.float(),"),
        (r"([\w\]\)]+)\.topk\(", r"\1.float().topk("),
    ),
    "RW-int-matmul-to-float": (
        (r"([\w.]+)\s*@\s*([\w.]+)", r"(\1.float() @ \2.float())"),
        (r"torch\.(matmul|mm|bmm)\(\s*([\w.]+)\s*,\s*([\w.]+)\s*\)",
         r"torch.\1(\2.float(), \3.float())"),
    ),
    "RW-finite-mask-fill": (
        (r"torch\.finfo\([^)]*\)\.min", _FINITE),
        (r"-\s*float\(\s*['\"]inf['\"]\s*\)", _FINITE),
        (r"-\s*(math|torch|np)\.inf\b", _FINITE),
    ),
    "RW-one-hot-compare-arange": (
        (r"(?:F|torch\.nn\.functional)\.one_hot\(\s*([\w.]+)\s*,\s*([\w.]+)\s*\)",
         r"(\1.unsqueeze(-1) == torch.arange(\2, device=\1.device)).long()"),
    ),
    "RW-mask-with-where": (
        (r"([\w.]+)\[\s*([\w.]+)\s*\]\.(sum|mean)\(\)",
         r"torch.where(\2, \1, torch.zeros_like(\1)).\3()"),
    ),
    "RW-fp64-to-fp32": (
        (r"torch\.(float64|double)\b", "torch.float32"),
        (r"\.double\(\)", ".float()"),
    ),
    "RW-int64-to-int32": ((r"torch\.(int64|long)\b", "torch.int32"), (r"\.long\(\)", ".int()")),
}


def source_diff(rewrite_id: str, file: str | None, line: int | None) -> str | None:
    """A unified diff that applies ``rewrite_id`` at ``file:line``, or None when the line is
    unreadable or no textual edit of that rewrite matches it."""
    edits = _EDITS.get(rewrite_id)
    if not edits or not file or not line:
        return None
    path = Path(file)
    try:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except (OSError, UnicodeDecodeError):
        return None
    if not 0 < line <= len(lines):
        return None
    old = lines[line - 1]
    # the edits of one rewrite are alternative spellings of the same call: the first that
    # matches is the edit (applying the next too would rewrite its own output)
    new = next((edited for pattern, replacement in edits
                if (edited := re.sub(pattern, replacement, old)) != old), None)
    if new is None:
        return None
    after = [*lines[:line - 1], new, *lines[line:]]
    diff = difflib.unified_diff(lines, after, fromfile=f"a/{path.name}",
                                tofile=f"b/{path.name} (suggestion, not verified)", n=2)
    return "".join(diff)
