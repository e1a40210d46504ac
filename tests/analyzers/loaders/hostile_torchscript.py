"""A corpus of hostile TorchScript archives, each under 10 MB, built from a real one.

Each archive is a real ``torch.jit.save`` file of a small traced module with one entry
replaced, so the loader gets past its format checks and meets the payload. Without limits,
torch 2.13's ``torch.jit.load`` spends gigabytes on the first four and dies with SIGSEGV on
the nesting ones.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

_MiB = 1 << 20
Payload = Callable[[], Iterator[bytes]]


class _Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.fc(x))


def _real_archive() -> dict[str, bytes]:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.trace(_Tiny(), torch.randn(2, 4)), buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _repeat(piece: bytes, total: int) -> Iterator[bytes]:
    block = piece * max(1, _MiB // len(piece))
    for _ in range(max(1, total // len(block))):
        yield block


def _pickle(body: Payload) -> Payload:
    def parts() -> Iterator[bytes]:
        yield b"\x80\x02"
        yield from body()
        yield b"."
    return parts


def _return_line(code: str) -> tuple[list[str], int, str]:
    """The lines of ``code``, the index of its last ``return`` line, and that line's indent."""
    lines = code.splitlines(keepends=True)
    index = max(i for i, line in enumerate(lines) if line.strip().startswith("return "))
    return lines, index, lines[index][:len(lines[index]) - len(lines[index].lstrip())]


def _forward_returning(expression: str) -> Callable[[str], str]:
    """The module's code with its ``return`` line replaced by one returning ``expression``."""
    def edit(code: str) -> str:
        lines, index, indent = _return_line(code)
        lines[index] = f"{indent}return {expression}\n"
        return "".join(lines)
    return edit


def _nested_ifs(code: str) -> str:
    lines, index, indent = _return_line(code)
    levels = 1200
    block = "".join(f"{indent}{'  ' * level}if True:\n" for level in range(levels))
    lines[index] = block + f"{indent}{'  ' * levels}pass\n" + lines[index]
    return "".join(lines)


#: name → (entry whose name ends so, or "forward code" for the module's code file; its new
#: bytes; whether it is stored deflated)
_PICKLE_PAYLOADS: dict[str, tuple[str, Payload, bool]] = {
    "storage-bomb": ("data/0", lambda: _repeat(b"\0", 3 * 1024 * _MiB), True),
    "pickle-string-bomb": ("data.pkl", _pickle(lambda: iter(
        [b"X" + (1024 * _MiB).to_bytes(4, "little"), *_repeat(b"a", 1024 * _MiB)])), True),
    "pickle-many-lists": ("data.pkl", _pickle(lambda: _repeat(b"]", 9 * _MiB)), False),
    "pickle-deep-tuples": ("data.pkl", _pickle(lambda: iter(
        [b"K\x01", *_repeat(b"\x85", 4 * _MiB)])), True),
    "pickle-deep-lists": ("data.pkl", _pickle(lambda: iter(
        [b"(" * 200_000, b"l" * 200_000])), True),
    "pickle-self-holding-list": ("data.pkl", _pickle(lambda: iter(
        [b"]q\x00", *_repeat(b"h\x00h\x00a", 4 * _MiB)])), True),
    "code-bomb": ("forward code", lambda: _repeat(b"    x = x\n", 512 * _MiB), True),
}
_CODE_EDITS: dict[str, Callable[[str], str]] = {
    "code-deep-brackets": _forward_returning("(" * 20000 + "x" + ")" * 20000),
    "code-unary-chain": _forward_returning("-" * 20000 + "x"),
    "code-operator-chain": _forward_returning(" + ".join(["x"] * 20000)),
    "code-deep-lists": _forward_returning("[" * 20000 + "]" * 20000),
    "code-nested-ifs": _nested_ifs,
}
HOSTILE_NAMES = sorted([*_PICKLE_PAYLOADS, *_CODE_EDITS])


def _forward_code(entries: dict[str, bytes]) -> str:
    """The name of the code file that holds the module's ``forward``."""
    return next(name for name, data in entries.items()
                if name.endswith(".py") and b"def forward" in data and b"relu" in data)


def _write(path: Path, entries: dict[str, bytes], suffix: str, payload: Payload,
           deflated: bool) -> Path:
    if suffix == "forward code":
        suffix = _forward_code(entries)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            if not (name == suffix or name.endswith("/" + suffix)):
                archive.writestr(name, data)
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED if deflated else zipfile.ZIP_STORED
            # force_zip64: the entry may inflate beyond 2 GiB; its sizes are written after it
            with archive.open(info, "w", force_zip64=True) as stream:
                for part in payload():
                    stream.write(part)
    return path


def write_real(path: Path) -> Path:
    """The unmodified archive the corpus is made from."""
    entries = _real_archive()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def build_corpus(folder: Path) -> dict[str, Path]:
    """Every hostile archive, written into ``folder``: name → path."""
    entries = _real_archive()
    corpus = {name: _write(folder / f"{name}.pt", entries, suffix, payload, deflated)
              for name, (suffix, payload, deflated) in _PICKLE_PAYLOADS.items()}
    code_name = _forward_code(entries)
    for name, edit in _CODE_EDITS.items():
        code = edit(entries[code_name].decode())
        corpus[name] = _write(folder / f"{name}.pt", entries, code_name,
                              lambda code=code: iter([code.encode()]), True)
    return corpus
