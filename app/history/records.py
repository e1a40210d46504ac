"""What the history store hands out: plain frozen dataclasses, never ORM rows, so callers
(the CLI, the GUI's worker threads) never hold a database session open."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEVERITY_ORDER = ("error", "warning", "info")


@dataclass(frozen=True)
class SessionSummary:
    """One stored analysis, without its findings. ``id`` and ``created_at`` are None for a
    report that was analysed but not saved (``history recheck --no-history``)."""

    id: int | None
    created_at: datetime | None
    model_path: str
    model_sha256: str
    model_format: str
    model_nodes: int
    model_params: int
    target_family: str
    target_instance: str | None
    target_mode: str
    target_dtype: str
    target_batch: int
    target_seq_len: int | None
    target_tp: int
    profile: str
    neuronx_cc: str | None
    torch_neuronx: str | None
    kb_generated: str | None
    tool_name: str
    tool_version: str
    verdict: str
    coverage_pct: float
    errors: int
    warnings: int
    infos: int
    nodes_by_status: dict[str, int] = field(default_factory=dict)

    @property
    def findings_by_severity(self) -> dict[str, int]:
        return {"error": self.errors, "warning": self.warnings, "info": self.infos}

    @property
    def finding_count(self) -> int:
        return self.errors + self.warnings + self.infos


@dataclass(frozen=True)
class StoredFinding:
    code: str
    symbol: str
    severity: str
    category: str
    message: str
    fix: str
    ops: tuple[str, ...]
    node_count: int
    location_file: str | None
    location_line: int | None
    location_module: str | None
    rewrite: str | None
    provenance_kind: str
    provenance_source: str
    confidence: str | None

    @property
    def match_key(self) -> tuple:
        """Identity across sessions: the same code on the same ops at the same place."""
        return (self.code, self.ops, self.location_file, self.location_line,
                self.location_module)

    @property
    def loose_match_key(self) -> tuple:
        """As :attr:`match_key` without the line, for code that moved within its file."""
        return (self.code, self.ops, self.location_file, self.location_module)

    @property
    def where(self) -> str:
        """``file:line in module`` as far as known, or an empty string."""
        place = self.location_file or ""
        if place and self.location_line:
            place = f"{place}:{self.location_line}"
        if self.location_module:
            place = f"{place} in {self.location_module}" if place else self.location_module
        return place


@dataclass(frozen=True)
class MemorySummary:
    """Headline memory figures of the report's ``memory`` section (None where it did not
    say): bytes of parameters, peak activations, KV cache and training state; the total on
    one NeuronCore at the chosen layout against that core's usable HBM; its utilisation
    (a fraction), fit status and the smallest TP degree that fits."""

    param_bytes: int | None = None
    activation_peak_bytes: int | None = None
    kv_cache_bytes: int | None = None
    training_state_bytes: int | None = None
    per_core_bytes: int | None = None
    usable_bytes_per_core: int | None = None
    utilization: float | None = None
    fit: str | None = None
    smallest_tp: int | None = None


@dataclass(frozen=True)
class SessionDetail:
    summary: SessionSummary
    findings: tuple[StoredFinding, ...]
    memory: MemorySummary
    report: dict[str, Any]


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class NumberDelta:
    field: str
    before: float | int | None
    after: float | int | None

    @property
    def delta(self) -> float | int | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class SessionDiff:
    """What changed from session ``before`` to session ``after``."""

    before: SessionSummary
    after: SessionSummary
    fixed: tuple[StoredFinding, ...]
    new: tuple[StoredFinding, ...]
    still_open: tuple[StoredFinding, ...]
    coverage: NumberDelta
    severities: tuple[NumberDelta, ...]
    memory: tuple[NumberDelta, ...]
    changes: tuple[FieldChange, ...]

    @property
    def same_model(self) -> bool:
        return self.before.model_path == self.after.model_path
