"""A corpus of hostile ``.pt2`` archives, each a few megabytes at most, built in code.

Every archive has the layout a ``torch.export.save`` file has (``archive_format`` and
``models/model.json``), so the loader gets past its format checks and meets the payload:
JSON that decompresses to far more than it looks, nests without end, holds hundreds of
millions of values, or sits just under the limits and is still not a program.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from trnport.analyzers.loaders.torch.pt2 import PROGRAM_JSON_LIMITS

_MiB = 1 << 20


def _repeat(piece: bytes, total: int) -> Iterator[bytes]:
    block = piece * max(1, _MiB // len(piece))
    for _ in range(total // len(block)):
        yield block


def _write(path: Path, members: dict[str, Callable[[], Iterator[bytes]]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, parts in members.items():
            # force_zip64: the member may be larger than 2 GiB; sizes are written after it
            with zf.open(f"archive/{name}", "w", force_zip64=True) as stream:
                for part in parts():
                    stream.write(part)
    return path


def _program(parts: Callable[[], Iterator[bytes]]) -> dict[str, Callable[[], Iterator[bytes]]]:
    return {"archive_format": lambda: iter([b"pt2"]), "models/model.json": parts}


def _huge_string() -> Iterator[bytes]:
    yield b'{"schema_version": "'
    yield from _repeat(b"x", 3 * PROGRAM_JSON_LIMITS.max_bytes)
    yield b'"}'


def _huge_list() -> Iterator[bytes]:
    yield b"["
    yield from _repeat(b"0,", 400 * _MiB)  # 200 million elements
    yield b"0]"


def _deep_nesting() -> Iterator[bytes]:
    yield from _repeat(b"[", 8 * _MiB)
    yield from _repeat(b"]", 8 * _MiB)


def _many_small_objects() -> Iterator[bytes]:
    yield b'{"graph_module": ['
    yield from _repeat(b"{},", 48 * _MiB)
    yield b"{}]}"


def _strings_full_of_brackets() -> Iterator[bytes]:
    # brackets inside strings are text: only the byte limit stops this one
    yield b'{"a": ['
    yield from _repeat(b'"[[[[{{{{\\"]]]]",', 3 * PROGRAM_JSON_LIMITS.max_bytes)
    yield b'""]}'


def _just_under_the_limits() -> Iterator[bytes]:
    """As many values and bytes as the limits allow, then not a program after all."""
    limits = PROGRAM_JSON_LIMITS
    # each "[]," is counted twice (its bracket and its comma)
    lists = limits.max_values // 2 - 1024
    block = _MiB // 3
    written = 3 * block * (lists // block)
    yield b'{"graph_module": {"graph": ['
    yield from _repeat(b"[],", 3 * lists)
    yield b'[]], "pad": "'
    yield from _repeat(b"y", limits.max_bytes - written - _MiB)
    yield b'"}}'


def _weights_config_bomb() -> Iterator[bytes]:
    yield b'{"config": {"w": "'
    yield from _repeat(b"z", 256 * _MiB)
    yield b'"}}'


def _format_marker_bomb() -> Iterator[bytes]:
    yield b"pt2"
    yield from _repeat(b" ", 256 * _MiB)


PROGRAM_PAYLOADS: dict[str, Callable[[], Iterator[bytes]]] = {
    "huge-string": _huge_string,
    "huge-list": _huge_list,
    "deep-nesting": _deep_nesting,
    "many-small-objects": _many_small_objects,
    "strings-full-of-brackets": _strings_full_of_brackets,
    "just-under-the-limits": _just_under_the_limits,
}


def build_corpus(folder: Path) -> dict[str, Path]:
    """Every hostile archive, written into ``folder``: name → path."""
    corpus = {name: _write(folder / f"{name}.pt2", _program(parts))
              for name, parts in PROGRAM_PAYLOADS.items()}
    corpus["format-marker-bomb"] = _write(folder / "format-marker-bomb.pt2", {
        "archive_format": _format_marker_bomb,
        "models/model.json": lambda: iter([b"{}"])})
    return corpus


def with_weights_config_bomb(source: Path, target: Path) -> Path:
    """``source`` (a real archive) with its weights config replaced by a 1 GiB string."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(
            target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as new:
        for info in old.infolist():
            if info.filename.endswith("_weights_config.json"):
                with new.open(info.filename, "w", force_zip64=True) as stream:
                    for part in _weights_config_bomb():
                        stream.write(part)
            else:
                new.writestr(info.filename, old.read(info))
    return target
