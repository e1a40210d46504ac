"""Links from a report to the source line a finding points at: a ``file://`` link to the
file on this machine, or, with a source-browser pattern (``source-url`` in trnport.toml,
e.g. ``https://github.com/org/repo/blob/main/{path}#L{line}``), a link into the code host.
``{path}`` is the file relative to the pattern's root (the config file's folder), with
forward slashes; ``{line}`` the line (1 when unknown)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from trnport.analyzers.results import Location

# where a long identifier may wrap: after a dot, underscore, slash or '::'
_TOKEN_BREAK = re.compile(r"(::|[._/])")


@dataclass(frozen=True)
class SourceLinks:
    """How to link a location: ``pattern`` (None: a ``file://`` link) and the folder that
    relative paths in the report are relative to (and ``{path}`` is made relative to)."""

    pattern: str | None = None
    root: Path | None = None

    def url(self, location: Location, model_path: str | None = None) -> str | None:
        """The link for ``location``, None when it names no file. A relative file is looked
        for under the root, then beside the model and in the model's parent folders."""
        if not location.file:
            return None
        path = Path(location.file)
        root = self.root or Path.cwd()
        absolute = path if path.is_absolute() else _existing(path, root, model_path)
        if self.pattern:
            try:
                relative = PurePosixPath(absolute.resolve().relative_to(root.resolve()))
            except ValueError:  # outside the project: the code host cannot show it
                return absolute.resolve().as_uri()
            return (self.pattern.replace("{path}", quote(str(relative)))
                    .replace("{line}", str(location.line or 1)))
        return absolute.resolve().as_uri()


def _existing(path: Path, root: Path, model_path: str | None) -> Path:
    folders = [root]
    if model_path:
        model = Path(model_path).resolve()
        folders += [model if model.is_dir() else model.parent, *model.parents]
    for folder in folders:
        if (folder / path).is_file():
            return folder / path
    return root / path


def text_at(location: Location) -> str:
    """``file:line`` (the form terminals and editors open), or the file alone."""
    if location.file and location.line:
        return f"{location.file}:{location.line}"
    return location.file or ""


def token_breaks(text: str) -> list[str]:
    """``text`` split after each token separator, for an identifier that wraps only there."""
    parts = _TOKEN_BREAK.split(text)
    pieces, current = [], ""
    for part in parts:
        current += part
        if _TOKEN_BREAK.fullmatch(part):
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces
