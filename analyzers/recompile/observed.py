"""Observed input lengths from a CSV file (``--shapes FILE``).

One length per row in the first column, optionally followed by how many times it was seen;
a first row that is not a number is a header; blank lines and ``#`` comments are skipped::

    seq_len,count
    128,40
    317,3
"""

from __future__ import annotations

import csv
from pathlib import Path

from trnport.analyzers.errors import InputError

MAX_LENGTH = 10_000_000
MAX_ROWS = 1_000_000


def read_lengths(path: str | Path) -> tuple[int, ...]:
    """Every observed length, repeated by its count (InputError naming file:line if bad)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such shapes file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the shapes file: {exc}") from exc
    return parse_lengths(text, str(path))


def parse_lengths(text: str, name: str = "shapes") -> tuple[int, ...]:
    lengths: list[int] = []
    rows = csv.reader(text.splitlines())
    seen_data = False
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not seen_data and not _is_int(cells[0]):
            seen_data = True  # a header row
            continue
        seen_data = True
        length = _positive(cells[0], name, number, "length")
        count = _positive(cells[1], name, number, "count") if len(cells) > 1 and cells[1] else 1
        if len(lengths) + count > MAX_ROWS:
            raise InputError(f"{name}:{number}: more than {MAX_ROWS:,} observations")
        lengths.extend([length] * count)
    if not lengths:
        raise InputError(f"{name}: no lengths found (expected one length per row, "
                         "optionally followed by a count)")
    return tuple(lengths)


def _is_int(cell: str) -> bool:
    return cell.lstrip("+-").isdigit()


def _positive(cell: str, name: str, line: int, label: str) -> int:
    if not _is_int(cell):
        raise InputError(f"{name}:{line}: {label} {cell!r} is not a whole number")
    value = int(cell)
    if not 1 <= value <= MAX_LENGTH:
        raise InputError(f"{name}:{line}: {label} {value} is out of range 1..{MAX_LENGTH:,}")
    return value
