"""``trnport doctor`` names the torch and Neuron packages of the environment, the stack they
make and the probes that can run; ``torch-neuronx`` is told apart by version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trnport.analyzers.environment import release, torch_neuronx_flavour, torch_supported


@pytest.mark.parametrize(("version", "flavour"), [
    ("2.9.0.2.15.32035", "xla"),      # SDK 2.31–2.33's PyTorch NeuronX (XLA)
    ("2.8.0.2.10.16998", "xla"),
    ("1.13.1.1.12.0", "xla"),
    ("2.13.3.0", "native"),           # TorchNeuron (beta) on SDK 2.33
    ("2.14.3.0", "native"),
    (None, None),
])
def test_torch_neuronx_flavour_by_version(version, flavour):
    assert torch_neuronx_flavour(version) == flavour


def test_torch_range_is_the_lines_of_both_stacks():
    assert release("2.9.0+cu128") == (2, 9, 0)
    assert [torch_supported(v) for v in ("2.8.1", "2.9.0", "2.13.0", "2.14.1", "2.15.0")] == \
        [False, True, True, True, False]


def _doctor(tmp_path: Path, fake: dict[str, str]) -> dict:
    """Run ``trnport doctor --format json`` with the given distributions made visible."""
    site = tmp_path / "site"
    for name, version in fake.items():
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\n"
                                       f"Version: {version}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-m", "trnport.app.entry", "doctor", "--format",
                             "json"], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_this_environment_has_torch_and_no_neuron_stack(tmp_path):
    found = _doctor(tmp_path, {})
    assert found["versions"]["torch"] and found["torch_supported"] is True
    if found["versions"]["torch-neuronx"] is None and found["versions"]["torch-xla"] is None:
        assert found["stack"] is None
        assert found["probes"]["--probe xla"].startswith("unavailable")


def test_native_torch_neuronx_is_the_torchneuron_stack(tmp_path):
    found = _doctor(tmp_path, {"torch-neuronx": "2.14.3.0"})
    assert found["torch_neuronx_flavour"] == "native"
    assert found["stack"] == "torchneuron"
    assert found["probes"]["--probe"].startswith("unavailable")


def test_xla_torch_neuronx_with_the_compiler_offers_the_compiler_probe(tmp_path):
    found = _doctor(tmp_path, {"torch-neuronx": "2.9.0.2.15.32035", "neuronx-cc": "2.28.7631.0"})
    assert (found["torch_neuronx_flavour"], found["stack"]) == ("xla", "xla")
    assert found["probes"]["--probe"].startswith("available")


def test_text_output_names_each_package_and_the_stack(tmp_path):
    site = tmp_path / "site"
    info = site / "torch_neuronx-2.9.0.2.15.32035.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: torch-neuronx\n"
                                   "Version: 2.9.0.2.15.32035\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "trnport.app.entry", "doctor"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(site)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("trnport ")
    assert any(line.split()[:2] == ["torch-neuronx", "2.9.0.2.15.32035"]
               and "PyTorch/XLA flavour" in line for line in lines)
    assert any(line.split()[:3] == ["torch-xla", "not", "found"] for line in lines)
    assert "stack: xla (PyTorch/XLA" in result.stdout
    assert "probe --probe xla: unavailable" in result.stdout
