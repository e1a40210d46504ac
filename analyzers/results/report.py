"""The report: one plain object that every renderer, the GUI and the history store read.

Its sections are the ``trnport.report/1`` JSON schema's (``resources/schemas/``); the JSON
form is written and read by :mod:`.codec` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trnport.analyzers.results.findings import Finding
from trnport.analyzers.results.memory import MemorySection
from trnport.analyzers.results.model_graph import ModelGraph
from trnport.analyzers.results.rewrites import RewriteSuggestion
from trnport.analyzers.results.vocabulary import SCHEMA_ID


@dataclass(frozen=True)
class ToolInfo:
    name: str
    version: str


@dataclass(frozen=True)
class KbInfo:
    """Which knowledge-base profile produced the verdicts, and the versions it stands for
    (``torch_neuronx``: the package of the report's stack); ``torchneuron_table`` is the
    torch-neuronx version of the imported TorchNeuron compatibility table the verdicts used."""

    profile: str
    neuronx_cc: str | None = None
    torch_neuronx: str | None = None
    generated: str | None = None
    torchneuron_table: str | None = None


@dataclass(frozen=True)
class TargetInfo:
    """What the verdicts are for. ``stack`` is the PyTorch stack (``xla`` or
    ``torchneuron``; reports written before stacks existed were all PyTorch/XLA) and
    ``stack_label`` how a reader sees it, with its status on the SDK line
    (``TorchNeuron (public beta)``)."""

    family: str
    instance: str | None
    mode: str
    dtype: str
    batch: int
    seq_len: int | None
    tp: int
    stack: str = "xla"
    stack_label: str | None = None

    @property
    def stack_text(self) -> str:
        """The stack as a header names it."""
        return self.stack_label or self.stack


@dataclass(frozen=True)
class ModelInfo:
    path: str
    format: str
    sha256: str
    nodes: int
    params: int
    param_bytes: int


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


@dataclass(frozen=True, kw_only=True)
class Report:
    """One model's analysis for one target. ``memory`` is None when the report has no
    memory analysis; ``rewrites`` are ranked (``rank`` 1 first). ``graph`` is every node
    with its verdict for the graph views; reports read back from JSON have none."""

    schema: str = SCHEMA_ID
    tool: ToolInfo
    kb: KbInfo
    target: TargetInfo
    model: ModelInfo
    summary: Summary
    findings: tuple[Finding, ...]
    operators: tuple[OperatorRow, ...]
    memory: MemorySection | None = None
    rewrites: tuple[RewriteSuggestion, ...] = ()
    diagnostics: tuple[str, ...] = ()
    modules: tuple[ModuleRow, ...] = ()
    graph: ModelGraph | None = field(default=None, compare=False, repr=False)
