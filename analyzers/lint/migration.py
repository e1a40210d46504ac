"""The Neuron replacement for each lint check, read from ``resources/lint/gpu_migration.csv``
(derived from the Neuron migration guide; every row cites its source)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Migration:
    check: str
    gpu_code_pattern: str
    neuron_replacement: str
    source: str


@cache
def migrations() -> dict[str, Migration]:
    """check name → its migration row."""
    text = resources.files("trnport.resources").joinpath("lint/gpu_migration.csv").read_text(
        encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        row["check"]: Migration(row["check"], row["gpu_code_pattern"],
                                row["neuron_replacement"], row["source"])
        for row in rows
    }
