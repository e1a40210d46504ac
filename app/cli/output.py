"""Writing report files safely, and choosing their names."""

from __future__ import annotations

from pathlib import Path

from trnport.analyzers.output_file import write_output

SUFFIXES = {"text": ".txt", "json": ".json", "html": ".html", "junit": ".junit.xml",
            "sarif": ".sarif", "markdown": ".md",
            "model-explorer": ".model-explorer.json"}


def write_atomic(path: Path, text: str) -> None:
    """Write a report to ``path``: ``-`` is standard output, a regular file is replaced
    atomically (a reader sees the old file or the new one), a symlink is written through,
    a device or FIFO is written to and never replaced. Raises
    :class:`~trnport.analyzers.output_file.OutputError` (one line) when it cannot be
    written, leaving no partial file."""
    write_output(path, text)


def report_stem(model_path: Path) -> str:
    """A file-name stem for a model's reports: the file's stem, or the folder's name for a
    Hugging Face folder or its config.json."""
    if model_path.is_dir():
        return model_path.resolve().name
    if model_path.name == "config.json":
        return model_path.resolve().parent.name
    return model_path.stem


def unique_stems(paths: list[Path]) -> list[str]:
    """Stems for several models, numbered where two would collide."""
    stems, seen = [], {}
    for path in paths:
        stem = report_stem(path)
        seen[stem] = seen.get(stem, 0) + 1
        stems.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return stems
