"""The compatibility environment: refuse to run anywhere else, so that a pass means what it says."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_configure(config):
    os.environ.setdefault("PJRT_DEVICE", "CPU")


@pytest.fixture(scope="session", autouse=True)
def compatibility_environment():
    import torch

    import trnport.analyzers

    assert torch.__version__.split("+")[0] == "2.9.0", torch.__version__
    here = Path(trnport.analyzers.__file__).resolve()
    assert "site-packages" in here.parts, f"imported {here}, not the installed wheel"


@pytest.fixture
def models(tmp_path) -> Path:
    """Small model files: one whose op torch-xla 2.9 does not lower, and a plain one."""
    (tmp_path / "fallback_model.py").write_text(
        "import torch\n\n"
        "class Model(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.proj = torch.nn.Linear(8, 8)\n\n"
        "    def forward(self, x):\n"
        "        # aten.i0 has no torch-xla 2.9 lowering: it runs on the CPU\n"
        "        return torch.i0(self.proj(x)).relu()\n\n"
        "model = Model()\n"
        "example_inputs = (torch.randn(2, 8),)\n", encoding="utf-8")
    (tmp_path / "plain_model.py").write_text(
        "import torch\n\n"
        "model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),\n"
        "                            torch.nn.Linear(16, 4))\n"
        "example_inputs = (torch.randn(2, 8),)\n", encoding="utf-8")
    return tmp_path
