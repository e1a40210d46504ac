"""Unified-diff suggestions against a PyTorch user's source line, for the rewrites whose
change is a local textual edit (the rewrite's ``edits`` in the knowledge base). Always labelled
as suggestions: they are not verified."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from trnport.analyzers.kb import load_kb


def source_diff(rewrite_id: str, file: str | None, line: int | None) -> str | None:
    """A unified diff that applies ``rewrite_id`` at ``file:line``, or None when the line is
    unreadable or no textual edit of that rewrite matches it."""
    entry = load_kb().rewrite(rewrite_id)
    edits = entry.edits if entry is not None else ()
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
    new = next((edited for edit in edits
                if (edited := re.sub(edit.pattern, edit.replacement, old)) != old), None)
    if new is None:
        return None
    after = [*lines[:line - 1], new, *lines[line:]]
    diff = difflib.unified_diff(lines, after, fromfile=f"a/{path.name}",
                                tofile=f"b/{path.name} (suggestion, not verified)", n=2)
    return "".join(diff)
