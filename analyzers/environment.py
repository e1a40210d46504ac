"""The torch and Neuron package versions trnport works with, read from version strings only
(no import), so that the command line can name them before anything heavy loads."""

from __future__ import annotations

import re

#: the torch lines of both Neuron PyTorch stacks: torch-neuronx 2.9 on PyTorch/XLA (inf2,
#: trn1) and TorchNeuron on torch 2.13 / 2.14 (trn2, trn3); pyproject.toml says the same
SUPPORTED_TORCH = ">=2.9, <2.15"
_LOWEST, _BEYOND = (2, 9), (2, 15)


def release(version: str) -> tuple[int, ...]:
    """``2.9.0+cpu`` → (2, 9, 0); the numeric components before any local or pre tag."""
    numbers = []
    for part in version.split("+", 1)[0].split("."):
        match = re.match(r"\d+", part)
        if not match:
            break
        numbers.append(int(match.group()))
    return tuple(numbers)


def torch_supported(version: str) -> bool:
    return _LOWEST <= release(version)[:2] < _BEYOND


def torch_neuronx_flavour(version: str | None) -> str | None:
    """Which PyTorch stack a ``torch-neuronx`` package is: both flavours share the name.

    The PyTorch/XLA library is versioned torch version + SDK build (``2.9.0.2.15.32035``,
    six components); the native TorchNeuron backend follows the torch line it is built for
    (``2.13.3.0``, ``2.14.3.0``). Source: Neuron 2.33 troubleshooting page
    (awsdocs-neuron.readthedocs-hosted.com/en/latest/torch/troubleshooting.html).
    """
    if not version:
        return None
    parts = release(version)
    if len(parts) >= 5 or parts[:2] < (2, 13):
        return "xla"
    return "native"
