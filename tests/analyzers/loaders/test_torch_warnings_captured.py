"""torch's warnings (Python warnings, records on its loggers, C++ lines on descriptor 2)
go into the report's diagnostics; nothing reaches stderr."""

from __future__ import annotations

import json

import numpy as np
import torch

from tests.helpers import run_cli
from trnport.analyzers.loaders.torch.captured_warnings import (
    MAX_NOTES,
    as_diagnostics,
    torch_warnings_captured,
)

MODEL_FILE = '''
import logging
import os

import numpy as np
import torch

# what torch's C++ logging does: a line written straight to file descriptor 2
os.write(2, b"[W1202 01:00:00.000000 42 c10/util/Example.cpp:7] Warning: a C++ note\\n")
logging.getLogger("torch._subclasses").warning("a logger note from %s", "torch")


class Net(torch.nn.Module):
    def forward(self, x):
        frozen = np.zeros(4, dtype=np.float32)
        frozen.setflags(write=False)
        return x + torch.from_numpy(frozen)  # TORCH_WARN: the array is not writable


model = Net()
example_inputs = (torch.ones(4),)
'''


def test_torch_warnings_become_diagnostics_not_stderr(tmp_path):
    path = tmp_path / "noisy.py"
    path.write_text(MODEL_FILE)
    result = run_cli("check", str(path), "--trust-code", "--no-history", "--fail-on", "none",
                     "--format", "json")
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    notes = "\n".join(json.loads(result.stdout)["diagnostics"])
    assert "a C++ note" in notes
    assert "a logger note from torch" in notes
    assert "not writable" in notes


def test_the_notes_are_distinct_one_line_and_bounded():
    notes: list[str] = []
    with torch_warnings_captured(notes):
        for _ in range(3):
            frozen = np.zeros(2, dtype=np.float32)
            frozen.setflags(write=False)
            torch.from_numpy(frozen)
    notes += [f"line {n}\nmore" for n in range(20)]
    diagnostics = as_diagnostics(notes)
    assert len(diagnostics) == MAX_NOTES
    assert all("\n" not in d and d.startswith("torch said: ") for d in diagnostics)
    assert len(set(diagnostics)) == len(diagnostics)
