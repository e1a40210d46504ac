"""The Neuron replacement for each lint check, from ``resources/lint/``: the GPU → Neuron table
(``gpu_migration.csv``, derived from the Neuron migration guide, with the replacement on each
PyTorch stack) and the PyTorch/XLA → TorchNeuron table (``torchneuron_migration.csv``: which
API, import or environment variable each row matches, on which stacks, with its replacement).
Every row cites its source."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: a TorchNeuron replacement of "-" means the check does not apply on that stack
NOT_ON_STACK = "-"


@dataclass(frozen=True)
class Migration:
    """One GPU-code check: the replacement on PyTorch/XLA and on TorchNeuron (empty: the
    same as on PyTorch/XLA; ``-``: the check does not apply there)."""

    check: str
    gpu_code_pattern: str
    xla_replacement: str
    source: str
    torchneuron_replacement: str = ""
    torchneuron_source: str = ""

    def applies_to(self, stack: str) -> bool:
        return not (stack == "torchneuron" and self.torchneuron_replacement == NOT_ON_STACK)

    def replacement(self, stack: str) -> tuple[str, str]:
        """(replacement, source) on ``stack``."""
        if stack == "torchneuron" and self.torchneuron_replacement:
            return self.torchneuron_replacement, self.torchneuron_source or self.source
        return self.xla_replacement, self.source


@dataclass(frozen=True)
class StackMigration:
    """One row of the TorchNeuron migration table: ``api`` is a dotted name (``x.*`` for a
    prefix), an environment variable (``XLA_*``), a ``torch.compile`` keyword or a special
    pattern (``process-group:xla``, ``device:xla``); ``match`` says which; ``stacks`` are the
    stacks on which it is a finding."""

    check: str
    api: str
    match: str
    severity: str
    stacks: frozenset[str]
    problem: str
    replacement: str
    source: str

    def matches(self, name: str) -> bool:
        if self.api.endswith("*"):
            return name.startswith(self.api[:-1])
        if self.match == "import":
            return name == self.api or name.startswith(f"{self.api}.")
        return name == self.api


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("trnport.resources").joinpath(f"lint/{name}").read_text(
        encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def migrations() -> dict[str, Migration]:
    """check name → its GPU migration row."""
    return {
        row["check"]: Migration(row["check"], row["gpu_code_pattern"], row["xla_replacement"],
                                row["source"], row["torchneuron_replacement"],
                                row["torchneuron_source"])
        for row in _rows("gpu_migration.csv")
    }


@cache
def stack_migrations() -> tuple[StackMigration, ...]:
    """The PyTorch/XLA → TorchNeuron rows, most specific first (exact names before ``*``)."""
    rows = [StackMigration(row["check"], row["api"], row["match"], row["severity"],
                           frozenset(row["stacks"].split()), row["problem"],
                           row["replacement"], row["source"])
            for row in _rows("torchneuron_migration.csv")]
    return tuple(sorted(rows, key=lambda r: r.api.endswith("*")))


def stack_migration(check: str, api: str) -> StackMigration:
    """The row of ``check`` for ``api`` (KeyError for a pair the table lacks)."""
    for row in stack_migrations():
        if row.check == check and row.api == api:
            return row
    raise KeyError((check, api))
