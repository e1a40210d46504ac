"""A data-dependent guard that stopped ``torch.export``, and what can still be analysed.

``torch.export`` traces with symbolic values; a Python branch, loop condition or size read
from a tensor (``while order.numel() > 0`` in a hand-written NMS) cannot be decided that way
and raises "Could not guard on data-dependent expression". When the draft export cannot
specialise it either, the model is still a model: the guard becomes a finding at the user's
line (the innermost frame of the failure outside torch), and the graph is recorded the way
``torch_neuronx.trace`` records it — ``torch.jit.trace`` with the example inputs, which runs
the Python control flow on their values and keeps the ops they reached.
"""

from __future__ import annotations

import linecache
import os
import re
import traceback
import warnings
from dataclasses import dataclass
from typing import Any

from trnport.analyzers.errors import InputError
from trnport.analyzers.graph import Graph
from trnport.analyzers.loaders.base import first_line

_EXPRESSION = re.compile(r"data-dependent expression (.+?) \(unhinted")
_CALL_SITE = re.compile(r'The following call raised this error:\s*File "([^"]+)", line (\d+)')
#: The engine's own folder: its frames (the loader calling export) are never the user's.
_ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class GuardSite:
    """The guard export could not decide: its expression and where the user's code asks."""

    expression: str
    file: str | None
    line: int | None
    code: str | None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.file and self.line else (self.file or "")


class DataDependentGuardError(InputError):
    """``torch.export`` (and its draft export) stopped at a data-dependent guard."""

    def __init__(self, message: str, site: GuardSite) -> None:
        super().__init__(message)
        self.site = site


def is_data_dependent_guard(exc: BaseException) -> bool:
    """A Python branch (or size) decided by a tensor value stopped the export."""
    return type(exc).__name__ in ("GuardOnDataDependentSymNode", "UserError") and \
        "data-dependent" in str(exc)


def guard_site(exc: BaseException, prefer_file: str | None = None) -> GuardSite:
    """The guard's expression and the user's frame that evaluated it: the innermost frame
    of the traceback in ``prefer_file`` (the model file), else the innermost outside torch
    and trnport, else the call site torch names in its message."""
    import torch

    text = str(exc)
    match = _EXPRESSION.search(text)
    expression = match.group(1).strip() if match else first_line(exc)
    torch_dir = os.path.dirname(torch.__file__) + os.sep
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(("<", torch_dir, _ENGINE_DIR))]
    preferred = [f for f in frames if prefer_file and f.filename == prefer_file]
    chosen = (preferred or frames or [None])[-1]
    if chosen is not None:
        file, line = chosen.filename, chosen.lineno
    else:
        call = _CALL_SITE.search(text)
        file, line = (call.group(1), int(call.group(2))) if call else (None, None)
    code = linecache.getline(file, line).strip() if file and line else ""
    return GuardSite(expression=expression, file=file, line=line, code=code or None)


def traced_graph(model: Any, inputs: tuple, name: str) -> Graph:
    """The graph ``torch.jit.trace`` records for ``model`` on ``inputs`` (Python control
    flow runs on their values); an InputError when the model cannot be traced either."""
    import torch

    from trnport.analyzers.loaders.torch.torchscript import script_graph

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TracerWarnings restate what the finding says
            traced = torch.jit.trace(model, tuple(inputs), check_trace=False, strict=False)
    except Exception as exc:  # tracing user code fails in many ways
        raise InputError(f"torch.jit.trace failed: {first_line(exc)}") from exc
    return script_graph(traced, name)
