"""What the compiler said about a model, whichever way it was obtained."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from trnport.analyzers.errors import InputError
from trnport.analyzers.results import Finding

#: provenance kinds (report schema): a probe run here, or a file produced elsewhere
PROBE = "compiler-probe"
IMPORTED = "imported"
#: refuse files larger than this: a real analyze() result or compile log is far smaller
MAX_BYTES = 256 * 2**20


@dataclass(frozen=True)
class CompilerEvidence:
    """Compiler verdicts and the findings they become.

    ``supported_ops`` counts the ATen ops (``aten.<name>``) the compiler compiled;
    ``rejected_ops`` names those it rejected at least once. ``source`` says where the
    evidence came from (file, tool and compiler version) and is every finding's provenance.
    """

    kind: str
    source: str
    tool: str
    neuronx_cc: str | None = None
    torch_neuronx: str | None = None
    support_percentage: float | None = None
    supported_ops: Mapping[str, int] = field(default_factory=dict)
    rejected_ops: frozenset[str] = frozenset()
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()


def aten_name(kind: str) -> str:
    """TorchScript's ``aten::fft_fft`` as the IR writes it: ``aten.fft_fft``."""
    return kind.replace("::", ".", 1)


def read_bounded(path: Path, what: str) -> bytes:
    """The file's bytes; InputError (one line) when it is missing, empty or huge."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{path}: {size} bytes is too large for {what}")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, expected {what}") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read it: {error.strerror or error}") from None
    if not data.strip():
        raise InputError(f"{path}: the file is empty, expected {what}")
    return data
