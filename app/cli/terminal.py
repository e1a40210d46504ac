"""What the command line does differently on a terminal: a progress line on stderr while
a model is analysed, colour in the text report, and quiet ends when a reader closes the
pipe. Nothing here changes what is written to a file or a pipe."""

from __future__ import annotations

import os
import re
import sys
from typing import TextIO

from trnport.analyzers.api import STAGE_LABELS, STAGES

COLOR_CHOICES = ("auto", "always", "never")
_RESET = "\033[0m"
_STYLES = {"error": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;34m",
           "ok": "\033[1;32m", "bold": "\033[1m", "dim": "\033[2m"}
# text-report patterns and the style each gets
_PATTERNS = (
    (re.compile(r"^(verdict: BLOCKED)", re.M), "error"),
    (re.compile(r"^(verdict: NEEDS-WORK)", re.M), "warning"),
    (re.compile(r"^(verdict: READY)", re.M), "ok"),
    (re.compile(r"^(ERRORS?:)$", re.M), "error"),
    (re.compile(r"^(WARNINGS?:)$", re.M), "warning"),
    (re.compile(r"^(INFO:)$", re.M), "info"),
    (re.compile(r"^(FIX FIRST:|MEMORY per NeuronCore|OPERATORS|NOTES:)", re.M), "bold"),
    (re.compile(r"(\[error\])"), "error"),
    (re.compile(r"(\[warning\])"), "warning"),
    (re.compile(r"(\[info\])"), "info"),
    (re.compile(r"^(  TRN\d{3} [a-z0-9-]+)", re.M), "bold"),
    (re.compile(r"^(\s+at \S+)", re.M), "dim"),
)


def colour_wanted(choice: str | None, stream: TextIO) -> bool:
    """``always`` and ``never`` say it; ``auto`` (the default) colours a terminal unless
    ``NO_COLOR`` is set to anything (no-color.org) or the terminal is ``dumb``."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return _is_terminal(stream)


def colourise(text: str) -> str:
    """The text report with ANSI styles on the verdict, headings, severities and codes."""
    for pattern, style in _PATTERNS:
        text = pattern.sub(lambda match, s=style: f"{_STYLES[s]}{match.group(1)}{_RESET}",
                           text)
    return text


class ProgressLine:
    """``trnport: model.onnx — Checking operator coverage… 20%`` rewritten in place on a
    terminal's stderr; silent anywhere else. Call it as the engine's ``progress``."""

    def __init__(self, label: str, stream: TextIO | None = None):
        self._label = label
        self._stream = stream or sys.stderr
        self._shown = False

    def __call__(self, stage: str, fraction: float) -> None:
        if stage == "done":
            self.clear()
            return
        step = STAGES.index(stage) + 1 if stage in STAGES else 0
        text = (f"trnport: {self._label} — {STAGE_LABELS.get(stage, stage)}… "
                f"{fraction:.0%} ({step}/{len(STAGES)})")
        self._stream.write(f"\r\033[K{text}")
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._shown = False


def progress_for(label: str, quiet: bool, stream: TextIO | None = None) -> ProgressLine | None:
    """A progress line when ``stream`` (stderr) is a terminal and not ``quiet``."""
    stream = stream or sys.stderr
    if quiet or not _is_terminal(stream):
        return None
    return ProgressLine(label, stream)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def silence_stdout() -> None:
    """After a reader closed the pipe: point stdout at /dev/null so that the interpreter's
    last flush does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
