"""The knowledge base as frozen values: profiles, targets, operator entries, dtype issues,
rewrites. Built by :mod:`trnport.analyzers.kb.loader`; read by coverage and the rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STATUSES = ("supported", "conditional", "cpu_fallback", "unsupported")


def sdk_tuple(line: str) -> tuple[int, ...]:
    """ "2.31" → (2, 31), for ordering SDK lines."""
    return tuple(int(part) for part in line.split("."))


@dataclass(frozen=True, slots=True)
class Rule:
    """A verdict that replaces the entry's own when ``when`` matches the node (first wins).

    ``when`` keeps the YAML condition mapping; :mod:`trnport.analyzers.coverage.conditions`
    compiles it. Vocabulary: see ``resources/schemas/kb.schema.json#/$defs/condition``.
    """

    id: str | None
    when: Mapping[str, Any]
    status: str
    code: str | None
    reason: str
    rewrite: str | None
    source: str
    confidence: str


@dataclass(frozen=True, slots=True)
class OpEntry:
    """What the knowledge base says about one operator (``key`` as written in the YAML)."""

    key: str
    status: str
    code: str | None
    reason: str
    rewrite: str | None
    source: str
    confidence: str
    rules: tuple[Rule, ...] = ()
    aten: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DtypeIssueSpec:
    """A dtype problem checked on every node's input/output dtypes (dtypes.yaml ``issues``)."""

    id: str
    dtypes: frozenset[str]
    status: str
    code: str | None
    reason: str
    rewrite: str | None
    source: str
    confidence: str
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True, slots=True)
class KnownIssue:
    """A wrong result or compiler failure that the Neuron release notes document as fixed in
    a later release (known_issues.yaml): the ops and condition that trigger it, the SDK lines
    it affects (``affected_min`` None: every line before the fix) and the line that fixed it."""

    id: str
    kind: str
    ops: frozenset[str]
    when: Mapping[str, Any] | None
    affected_min: str | None
    affected_max: str
    fixed_in: str
    summary: str
    workaround: str | None
    source: str
    confidence: str

    def affects(self, sdk: tuple[int, ...]) -> bool:
        """Whether the SDK line ``sdk`` (a profile's version) carries the issue."""
        low = sdk_tuple(self.affected_min) if self.affected_min else None
        return (low is None or sdk >= low) and sdk <= sdk_tuple(self.affected_max)


@dataclass(frozen=True, slots=True)
class SourceEdit:
    """One textual edit of a rewrite on a user's source line: a regular expression and its
    replacement (``re.sub`` syntax). A rewrite's edits are alternative spellings of the same
    call; the first that matches a line is the edit."""

    pattern: str
    replacement: str


@dataclass(frozen=True, slots=True)
class RewriteAutomation:
    """What an automated rewrite matches and proves (``automated`` in rewrites.yaml).

    ``matches`` maps an engine (``onnx``: ONNX op types, ``*`` for every op; ``fx``: ATen
    overloads of a torch.export graph) to the ops it rewrites; each engine named has an
    implementation ``rewrites/<engine>/<name>.py``. ``answers`` are the catalogue rewrite
    ids a finding may carry that this rewrite resolves (a finding on OneHot names the
    generic "convert by hand" rewrite, which the one-hot rewrite does for the user).
    ``safe`` rewrites keep the outputs up to float rounding and run under ``--all-safe``.
    """

    id: str
    answers: tuple[str, ...]
    matches: Mapping[str, tuple[str, ...]]
    before: str
    after: str
    safe: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rewrite:
    """A catalogue rewrite: its one-line title and source, and for the automated ones what
    they match and the before/after code; ``edits`` are its suggested source-line edits."""

    id: str
    title: str
    source: str
    automation: RewriteAutomation | None = None
    edits: tuple[SourceEdit, ...] = ()
    stack_titles: Mapping[str, str] | None = None

    def title_for(self, stack: str) -> str:
        """The title to show on ``stack`` (``xla``, ``torchneuron``): advice that names one
        stack's API has a title of its own for the other."""
        return (self.stack_titles or {}).get(stack, self.title)


@dataclass(frozen=True, slots=True)
class Limit:
    """A Neuron limit or hardware figure (limits.yaml): ``value`` counts what ``meaning`` says."""

    name: str
    value: int | float
    meaning: str
    source: str
    confidence: str


@dataclass(frozen=True)
class StackOffer:
    """One PyTorch stack on one SDK line: its package and versions, its training status and
    its status per target family (``supported``, ``maintenance``, ``deprecated``,
    ``public-beta``, ``private-beta``); ``withdrawn`` says why a family lost the stack."""

    stack: str
    package: str
    versions: tuple[str, ...]
    training: str
    targets: Mapping[str, str]
    withdrawn: Mapping[str, str]
    note: str | None
    source: str


@dataclass(frozen=True)
class Profile:
    """One Neuron SDK release line and the versions and compiler defaults it stands for.

    ``neuronx_cc`` is None when the line's compiler version is not documented (2.34).
    ``stacks`` are the PyTorch stacks the line offers, ``default_stack`` maps a target
    family to the stack an analysis uses when none is asked for.
    """

    id: str
    sdk: str
    covers: tuple[str, ...]
    date: str
    neuronx_cc: str | None
    torch_neuronx: str | None
    torch_xla: str | None
    pytorch: str | None
    compiler_defaults: Mapping[str, Any]
    training_on_xla_supported: bool
    complex64_ops: bool
    notes: tuple[str, ...]
    source: str
    stacks: Mapping[str, StackOffer]
    default_stack: Mapping[str, str]

    @property
    def version(self) -> tuple[int, ...]:
        return sdk_tuple(self.id)

    @property
    def int64_confirmed(self) -> bool:
        """False when the line's int64 compiler default is not documented."""
        return self.compiler_defaults.get("int64") != "not_confirmed"


@dataclass(frozen=True)
class StackSpec:
    """What a PyTorch stack is (stacks.yaml): its name and device, the texts the hazard rules
    show on it, and for TorchNeuron how verdicts made from the PyTorch/XLA lowering list
    become its own (``verdicts``, ``dtype_issues``, ``host_read_ops``, ``no_cpu_kernel``)."""

    id: str
    name: str
    summary: str
    device: str
    unavailable: str
    source: str
    texts: Mapping[str, str]
    texts_source: str
    verdicts: Mapping[str, Any]
    dtype_issues: Mapping[str, Mapping[str, Any]]
    host_read_ops: frozenset[str]
    no_cpu_kernel: frozenset[str]
    no_table_note: str | None

    def text(self, key: str, **values: Any) -> str:
        """The stack's text ``key`` with its ``{placeholders}`` filled from ``values``."""
        return self.texts[key].format(**values)


@dataclass(frozen=True)
class StackChoice:
    """The stack one analysis runs on, for its target family and SDK line: the stack's
    definition, what the line offers of it, its status there, whether it is the line's
    default for the family, and the other stacks the family could use (id, status)."""

    spec: StackSpec
    offer: StackOffer
    status: str
    default: bool
    profile: str
    family: str
    alternatives: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def label(self) -> str:
        """``TorchNeuron (public beta)``, ``PyTorch/XLA (deprecated)``; no suffix when plainly
        supported."""
        if self.status == "supported":
            return self.spec.name
        return f"{self.spec.name} ({self.status.replace('-', ' ')})"


@dataclass(frozen=True)
class Target:
    """A resolved target: family, instance and LNC, with per-core numbers computed.

    ``cores`` and ``hbm_gib_per_core`` count logical NeuronCores at ``lnc``; TFLOPS are
    dense figures per chip and per logical core, by dtype (``int8`` in TOPS).
    """

    family: str
    instance: str
    chip: str
    neuroncore: str
    compiler_target: str
    chips: int
    lnc: int
    physical_cores_per_chip: int
    logical_cores_per_chip: int
    cores: int
    hbm_gib_per_chip: float
    hbm_gib_per_core: float
    hbm_bandwidth_gbps_per_chip: float
    hbm_bandwidth_gbps_per_core: float
    tflops_per_chip: Mapping[str, float]
    tflops_per_core: Mapping[str, float]
    runtime_overheads: Mapping[str, Any]
    dtype_support: Mapping[str, str]
    notes: tuple[str, ...]
    source: str

    @property
    def physical_cores(self) -> int:
        return self.chips * self.physical_cores_per_chip

    @property
    def generation(self) -> str:
        return self.neuroncore


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    """One instance (or UltraServer) of a target family."""

    name: str
    chips: int
    status: str | None = None


@dataclass(frozen=True, slots=True)
class TargetFamily:
    """A target family as listed for choosing one (resolve it with ``kb.target``)."""

    family: str
    chip: str
    neuroncore: str
    default_instance: str
    lnc_default: int
    lnc_options: tuple[int, ...]
    instances: tuple[InstanceInfo, ...]
