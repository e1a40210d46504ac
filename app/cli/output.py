"""Writing report files atomically, and choosing their names."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SUFFIXES = {"text": ".txt", "json": ".json", "html": ".html", "junit": ".junit.xml",
            "sarif": ".sarif", "markdown": ".md",
            "model-explorer": ".model-explorer.json"}


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never
    half of one: write a temporary file beside it, flush it to disk, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file private (0600); a report gets the usual umask permissions
        os.chmod(tmp_name, 0o666 & ~_current_umask())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


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
