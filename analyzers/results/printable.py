"""Model strings made safe for a terminal, a CI log or a Markdown page.

Op types, names, domains and paths come from the file being analysed. Printed raw, a newline
in a node name forges report lines, an ANSI escape clears the screen or recolours a verdict,
a bidirectional override reorders what a reviewer reads, and a file name that is not UTF-8
cannot be encoded at all. :func:`printable` writes each of those as a visible escape; every
other character, backslashes included, is left as it is.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, line/paragraph separators, bidirectional controls, and the
# lone surrogates that stand for the undecodable bytes of a file name (surrogateescape).
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # the byte a file name held, as \xNN
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters, bidi controls and undecodable bytes escaped."""
    return _UNPRINTABLE.sub(_escape, text)

