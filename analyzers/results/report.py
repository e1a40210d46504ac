"""The report: one plain object that every renderer, the GUI and the history store read.

Its sections are the ``trnport.report/1`` JSON schema's (``resources/schemas/``); the JSON
form is written and read by :mod:`.codec` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trnport.analyzers.results.findings import Finding, Location
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
    torch-neuronx version of the imported TorchNeuron compatibility table the verdicts used;
    ``torch`` the torch release whose operator set and dispatcher the knowledge base was
    derived with."""

    profile: str
    neuronx_cc: str | None = None
    torch_neuronx: str | None = None
    generated: str | None = None
    torchneuron_table: str | None = None
    torch: str | None = None


@dataclass(frozen=True)
class TargetInfo:
    """What the verdicts are for. ``stack`` is the PyTorch stack (``xla`` or
    ``torchneuron``; reports written before stacks existed were all PyTorch/XLA) and
    ``stack_label`` how a reader sees it, with its status on the SDK line
    (``TorchNeuron (public beta)``). ``tp`` and ``pp`` are the layout analysed;
    ``layout_source`` says who chose it: ``user`` (--tp) or ``auto`` (the smallest layout
    of the instance that fits)."""

    family: str
    instance: str | None
    mode: str
    dtype: str
    batch: int
    seq_len: int | None
    tp: int
    stack: str = "xla"
    ep: int = 1
    stack_label: str | None = None
    pp: int = 1
    layout_source: str = "user"

    @property
    def stack_text(self) -> str:
        """The stack as a header names it."""
        return self.stack_label or self.stack


@dataclass(frozen=True)
class ModelInfo:
    """The model analysed; ``torch`` is the torch release that built the graph analysed (for
    a ``.pt2``, the one that read it; None for ONNX files, which are read without torch)."""

    path: str
    format: str
    sha256: str
    nodes: int
    params: int
    param_bytes: int
    torch: str | None = None


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
class ConverterFix:
    """How much of an ONNX model's blocking comes only from the onnx2torch converter (an op
    it converts only at an older opset, an attribute value it lacks) and is answered by the
    automated rewrites, and how much blocks Neuron itself.

    ``converter_errors`` are the converter's errors an automated rewrite answers,
    ``by_hand_errors`` the converter's errors none answers (the node is converted by hand)
    and ``neuron_errors`` those that block Neuron itself, now or once the chain has lowered
    the opset. ``chain`` is every rewrite ``command`` applies, in the order it applies them;
    ``fixable`` is True when nothing blocks after it."""

    command: str
    chain: tuple[str, ...]
    converter_errors: int
    neuron_errors: int
    by_hand_errors: int = 0

    @property
    def fixable(self) -> bool:
        return self.converter_errors > 0 and not self.neuron_errors and not self.by_hand_errors


@dataclass(frozen=True)
class FixAction:
    """One of the first things to fix, in rank order (1 first). ``impact`` is why it ranks
    where it does (:data:`~trnport.analyzers.results.vocabulary.IMPACTS`): it blocks the
    compile, moves compute or time to the host, loses precision, or costs performance.
    ``action`` is the one line to show; ``count`` and ``nodes`` the graph nodes it covers,
    ``flops`` their estimated FLOPs, ``rewrite`` the catalogued rewrite that does it."""

    rank: int
    impact: str
    code: str
    severity: str
    action: str
    count: int
    nodes: tuple[str, ...]
    flops: int = 0
    rewrite: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class Summary:
    verdict: str
    coverage_pct: float
    nodes_by_status: dict[str, int]
    findings_by_severity: dict[str, int]
    # share of the model's FLOPs in supported or conditional nodes; None when no node has a
    # FLOP estimate (graphs without shapes)
    flops_coverage_pct: float | None = None
    # parts of the model the verdicts do not cover, one line each (a backward graph that
    # could not be captured, the code after a guard export stopped at)
    not_analysed: tuple[str, ...] = ()
    # ONNX: the errors the automated rewrites answer, apart from those that block Neuron
    converter_fix: ConverterFix | None = None
    # at most five actions, ranked by impact (analyzers.rules.priority)
    fix_first: tuple[FixAction, ...] = ()


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
