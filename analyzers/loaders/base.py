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
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a model file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")


def first_line(error: BaseException) -> str:
    """The first non-empty line of an exception's text, for wrapping framework errors."""
    for line in str(error).splitlines():
        if line.strip():
            return line.strip()[:300]
    return type(error).__name__
