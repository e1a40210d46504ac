"""The report: one plain object that every renderer, the GUI and the history store read.

Field names follow the ``trnport.report/1`` JSON schema (``resources/schemas/``), so
rendering JSON is a direct walk over these dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_ID = "trnport.report/1"
STATUSES = ("supported", "conditional", "cpu_fallback", "unsupported", "unknown")
SEVERITIES = ("error", "warning", "info")
CATEGORIES = (
    "unsupported_op", "cpu_fallback", "dtype", "dynamic_shape", "control_flow", "numerical",
    "memory", "compile_limit", "recompilation", "performance", "porting",
)


@dataclass(frozen=True)
class ToolInfo:
    name: str
    version: str


@dataclass(frozen=True)
class KbInfo:
    """Which knowledge-base profile produced the verdicts, and the versions it stands for."""

    profile: str
    neuronx_cc: str | None = None
    torch_neuronx: str | None = None
    generated: str | None = None


@dataclass(frozen=True)
class TargetInfo:
    family: str
    instance: str | None
    mode: str
    dtype: str
    batch: int
    seq_len: int | None
    tp: int


@dataclass(frozen=True)
class ModelInfo:
    path: str
    format: str
    sha256: str
    nodes: int
    params: int
    param_bytes: int


@dataclass(frozen=True)
class Location:
    file: str | None = None
    line: int | None = None
    module: str | None = None


@dataclass(frozen=True)
class Provenance:
    """Where a verdict came from: a static ``rule`` (with its source), a ``compiler-probe``
    or an ``imported`` analyze()/log result."""

    kind: str
    source: str


@dataclass(frozen=True)
class Finding:
    code: str
    symbol: str
    severity: str
    category: str
    message: str
    fix: str
    ops: tuple[str, ...]
    nodes: tuple[str, ...]
    location: Location
    provenance: Provenance
    rewrite: str | None = None
    confidence: str | None = None

    @property
    def count(self) -> int:
        return len(self.nodes)


@dataclass(frozen=True)
class OperatorRow:
    """Nodes of one op that share one status (an op can appear under two statuses when a
    condition applies to only some of its nodes, e.g. integer and float TopK)."""

    op: str
    count: int
    status: str
    reason: str
    source_ops: tuple[str, ...] = ()
    confidence: str | None = None


@dataclass(frozen=True)
class ModuleRow:
    """Node statuses under one module path (a path counts the nodes of all its children);
    the root of the model is the empty path."""

    module: str
    nodes_by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.nodes_by_status.values())


@dataclass(frozen=True)
class Summary:
    verdict: str
    coverage_pct: float
    nodes_by_status: dict[str, int]
    findings_by_severity: dict[str, int]
    # share of the model's FLOPs in supported or conditional nodes; None when no node has a
    # FLOP estimate (graphs without shapes)
    flops_coverage_pct: float | None = None


@dataclass(frozen=True)
class Report:
    tool: ToolInfo
    kb: KbInfo
    target: TargetInfo
    model: ModelInfo
    summary: Summary
    findings: tuple[Finding, ...]
    operators: tuple[OperatorRow, ...]
    memory: dict[str, Any] = field(default_factory=dict)
    rewrites: tuple[dict[str, Any], ...] = ()
    diagnostics: tuple[str, ...] = ()
    modules: tuple[ModuleRow, ...] = ()
    schema: str = SCHEMA_ID


def verdict_for(findings_by_severity: dict[str, int]) -> str:
    """``blocked`` on any error, ``needs-work`` on warnings, else ``ready``."""
    if findings_by_severity.get("error"):
        return "blocked"
    if findings_by_severity.get("warning"):
        return "needs-work"
    return "ready"
