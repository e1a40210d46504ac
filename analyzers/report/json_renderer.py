"""The report as ``trnport.report/1`` JSON text; the JSON form itself is
:mod:`trnport.analyzers.results.codec`'s.

The text is indented by two spaces, except that a row of a table (an object or array inside
an array) that fits on :data:`ROW_WIDTH` characters is written on one line. A 100k-node model
has about as many module rows, and ``json.dumps`` with ``indent`` runs in pure Python: a row
per line lets the C encoder write them, and reads and diffs one row per line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from trnport.analyzers.results import Report
from trnport.analyzers.results.codec import report_to_dict

#: longest row written on one line (its compact form, before the indent)
ROW_WIDTH = 120
_STEP = "  "


def render_json(report: Report) -> str:
    """The report as indented JSON, non-ASCII text kept as it is."""
    parts: list[str] = []
    _write(report_to_dict(report), "", parts, _one_line_encoder())
    parts.append("\n")
    return "".join(parts)


def _write(value: Any, indent: str, parts: list[str], encode: Callable[[Any], str]) -> None:
    """Append ``value`` as indented JSON, its first line already indented by the caller."""
    if isinstance(value, dict) and value:
        inner = indent + _STEP
        separator = "{\n" + inner
        for key, item in value.items():
            parts.append(separator)
            parts.append(encode(key if isinstance(key, str) else _key_text(key)))
            parts.append(": ")
            _write(item, inner, parts, encode)
            separator = ",\n" + inner
        parts.append("\n" + indent + "}")
    elif isinstance(value, list) and value:
        inner = indent + _STEP
        separator = "[\n" + inner
        for item in value:
            parts.append(separator)
            separator = ",\n" + inner
            if isinstance(item, (dict, list)) and item:
                row = encode(item)
                if len(row) <= ROW_WIDTH:
                    parts.append(row)
                    continue
            _write(item, inner, parts, encode)
        parts.append("\n" + indent + "]")
    else:
        parts.append(encode(value))


def _key_text(key: Any) -> str:
    """A non-text key as ``json`` writes it (``true``, ``null``, ``1.5``)."""
    return json.dumps(key)


def _one_line_encoder() -> Callable[[Any], str]:
    """Compact JSON of a value, as ``json.dumps(value, ensure_ascii=False)`` writes it.

    ``JSONEncoder.encode`` builds a new C encoder on every call, which costs more than a
    short row; this builds it once, as ``JSONEncoder.iterencode`` does, where the C
    accelerator exists."""
    fallback = json.JSONEncoder(ensure_ascii=False).encode
    make = getattr(json.encoder, "c_make_encoder", None)
    quote = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or quote is None:
        return fallback

    def unserializable(value: Any) -> Any:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    try:
        chunks = make(None, unserializable, quote, None, ": ", ", ", False, False, True)
    except TypeError:  # another signature: keep to the public encoder
        return fallback

    def encode(value: Any) -> str:
        return quote(value) if isinstance(value, str) else "".join(chunks(value, 0))

    return encode
