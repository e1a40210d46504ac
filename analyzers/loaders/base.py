"""What every loader returns, and the helpers loaders share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from trnport.analyzers.errors import InputError
from trnport.analyzers.graph import Graph

FORMATS = ("onnx", "pt2", "torchscript", "python", "hf-config")


@dataclass
class LoadedModel:
    """A loader's result: the graph plus facts about the file and what went wrong softly.

    ``diagnostics`` are one-line notes (a subgraph whose shapes could not be inferred, a
    custom domain, layers replicated from one exported block) shown in reports.
    """

    graph: Graph
    format: str
    path: Path
    diagnostics: list[str] = field(default_factory=list)


def require_nonempty_file(path: Path) -> None:
    """Refuse a path that is missing, not a regular file, or empty, with a one-line reason."""
    if not path.exists():
        if path.is_symlink():
            raise InputError(f"{path}: symbolic link to a missing file (or a link loop)")
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a model file")
    if not path.is_file():  # reading /dev/zero or a FIFO would never end
        raise InputError(f"{path}: not a regular file (a device, FIFO or socket), not a "
                         "model file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")


def first_line(error: BaseException) -> str:
    """The first non-empty line of an exception's text, for wrapping framework errors."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    if lines[0].endswith(":") and len(lines) > 1:
        # "Validation error for field 'x':" says where; the next line says what is wrong
        return f"{lines[0]} {lines[1]}"[:300]
    return lines[0][:300]
