"""Writes the built models of the golden reports into ``tests/golden/models/``.

Run once when a case is added (``python -m tests.golden.make_models``); the files are
committed because ``torch.export.save`` archives are not byte-for-byte reproducible and a
report carries the model's sha256.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.app.check_models import with_custom_op

MODELS = Path(__file__).resolve().parent / "models"
SOURCE_FOLDER = Path("/tmp/trnport-golden-models")

PT2_SOURCE = '''
import torch


class SortAndCumsum(torch.nn.Module):
    """A linear layer, then a sort along the last axis and a running sum."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(16, 16)

    def forward(self, x):
        values, _ = torch.sort(self.proj(x), dim=-1)
        return torch.nn.functional.gelu(values).cumsum(-1)
'''


def build_pt2(folder: Path) -> Path:
    """The ``.pt2`` of :data:`PT2_SOURCE`. The source is run from a fixed folder outside the
    checkout, because the archive records its path in every node's stack trace."""
    import torch

    SOURCE_FOLDER.mkdir(parents=True, exist_ok=True)
    source = SOURCE_FOLDER / "sort_and_cumsum.py"
    source.write_text(PT2_SOURCE)
    spec = importlib.util.spec_from_file_location("sort_and_cumsum", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    program = torch.export.export(module.SortAndCumsum().eval(), (torch.randn(2, 16),))
    path = folder / "sort_and_cumsum.pt2"
    torch.export.save(program, path)
    return path


def main() -> None:
    MODELS.mkdir(parents=True, exist_ok=True)
    with_custom_op(MODELS, "custom_op.onnx")
    build_pt2(MODELS)


if __name__ == "__main__":
    main()
