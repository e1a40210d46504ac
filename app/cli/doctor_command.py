"""``trnport doctor``: which torch, Neuron packages and compiler this environment has, which
PyTorch stack they are, and which probes can run here.

Everything is read from package metadata and the PATH: nothing heavy is imported, so the
check takes well under a second even in a Neuron virtual environment.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import asdict, dataclass
from importlib import util

from trnport.analyzers import __version__
from trnport.analyzers.environment import (
    SUPPORTED_TORCH,
    torch_neuronx_flavour,
    torch_supported,
)

_PACKAGES = ("torch", "torch-neuronx", "torch-xla", "neuronx-cc", "libneuronxla",
             "transformers", "onnx")


@dataclass(frozen=True)
class Environment:
    """What ``doctor`` found; ``None`` where a package is not installed."""

    trnport: str
    python: str
    versions: dict[str, str | None]
    torch_supported: bool | None
    torch_neuronx_flavour: str | None
    neuronx_cc_on_path: str | None
    stack: str | None
    probes: dict[str, str]


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "doctor", help="show the torch, Neuron packages and compiler found, the stack they "
        "are and which probes run here",
        description="Report the torch, torch-neuronx (XLA or native TorchNeuron flavour), "
        "torch-xla and neuronx-cc installed in this environment, the PyTorch stack that "
        "makes, and whether '--probe' and '--probe xla' can run.")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    environment = inspect_environment()
    if args.format == "json":
        print(json.dumps(asdict(environment), indent=2))
    else:
        print(render_text(environment))
    return 0


def inspect_environment() -> Environment:
    versions = {name: _installed(name) for name in _PACKAGES}
    flavour = torch_neuronx_flavour(versions["torch-neuronx"])
    compiler = shutil.which("neuronx-cc")
    return Environment(
        trnport=__version__,
        python=".".join(str(part) for part in sys.version_info[:3]),
        versions=versions,
        torch_supported=torch_supported(versions["torch"]) if versions["torch"] else None,
        torch_neuronx_flavour=flavour,
        neuronx_cc_on_path=compiler,
        stack=_stack(flavour, versions),
        probes=_probes(flavour, versions, compiler),
    )


def render_text(environment: Environment) -> str:
    versions = environment.versions
    lines = [f"trnport {environment.trnport} (Python {environment.python})"]
    for name in _PACKAGES:
        version = versions[name]
        note = ""
        if name == "torch" and version and not environment.torch_supported:
            note = f"  (outside the range trnport supports: {SUPPORTED_TORCH})"
        elif name == "torch-neuronx" and environment.torch_neuronx_flavour:
            note = f"  ({_FLAVOUR_TEXT[environment.torch_neuronx_flavour]})"
        elif name == "neuronx-cc" and version is None and environment.neuronx_cc_on_path:
            version, note = "on PATH", f"  ({environment.neuronx_cc_on_path})"
        lines.append(f"  {name:<14} {version or 'not found'}{note}")
    lines.append(f"stack: {_STACK_TEXT.get(environment.stack or '', _NO_STACK)}")
    for probe, state in environment.probes.items():
        lines.append(f"probe {probe}: {state}")
    return "\n".join(lines)


_FLAVOUR_TEXT = {
    "xla": "PyTorch/XLA flavour: torch_neuronx.trace and analyze, inf2/trn1",
    "native": "native TorchNeuron flavour: device 'neuron', torch.compile(backend='neuron'), "
              "trn2/trn3",
}
_NO_STACK = ("none installed: no torch-neuronx or torch-xla here (static verdicts cover "
             "both stacks)")
_STACK_TEXT = {
    "xla": "xla (PyTorch/XLA; verdicts for it: --stack xla, e.g. --target inf2)",
    "torchneuron": "torchneuron (native TorchNeuron; verdicts for it: --stack torchneuron, "
                   "--target trn2)",
}


def _installed(distribution: str) -> str | None:
    from importlib import metadata  # loaded when the doctor runs, not with every command

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _stack(flavour: str | None, versions: dict[str, str | None]) -> str | None:
    if flavour == "native":
        return "torchneuron"
    if flavour == "xla" or versions["torch-xla"]:
        return "xla"
    return None


def _probes(flavour: str | None, versions: dict[str, str | None],
            compiler: str | None) -> dict[str, str]:
    has_compiler = versions["neuronx-cc"] is not None or compiler is not None
    if flavour == "xla" and has_compiler:
        compiler_probe = "available (torch_neuronx.analyze with neuronx-cc)"
    elif flavour == "xla":
        compiler_probe = "unavailable: torch-neuronx is here but neuronx-cc is not"
    else:
        compiler_probe = "unavailable: needs torch-neuronx 2.9.0.2.x (PyTorch/XLA) and neuronx-cc"
    if versions["torch-xla"] and util.find_spec("torch_xla") is not None:
        xla_probe = (f"available (torch-xla {versions['torch-xla']} on the CPU, "
                     "PJRT_DEVICE=CPU; no Neuron hardware needed)")
    else:
        xla_probe = "unavailable: torch-xla is not installed here"
    return {"--probe": compiler_probe, "--probe xla": xla_probe}
