"""The report's memory section: what the memory stage found, per logical NeuronCore.

Bytes are integers, ratios are fractions (0.88 = 88%), seconds are floats. ``parameters``
and ``activations`` describe the whole model at the chosen batch and length (before any TP
or PP split); ``per_core``, ``fit_grid`` and ``targets`` are per logical NeuronCore. Fit
statuses are ``fits``, ``tight`` and ``does_not_fit``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the fit basis when every activation was sized, and when the graph's inputs kept symbolic
#: dims that no option resolved
FULL_FIT = "weights and activations"
WEIGHTS_ONLY = "weights only: activations not sized"


@dataclass(frozen=True)
class CoreSpec:
    """One logical NeuronCore of the target: HBM, what the runtime reserves of it, how many
    cores the largest TP degree may use (the instance's logical cores at ``lnc``; its
    ``physical_cores`` as AWS counts them), HBM bandwidth and dense TFLOPS per dtype."""

    family: str
    instance: str | None
    lnc: int
    hbm_bytes_per_core: int
    reserved_bytes: int
    usable_bytes_per_core: int
    max_cores: int
    bandwidth_bytes_per_s: float
    tflops_per_core: dict[str, float]
    physical_cores: int | None = None


@dataclass(frozen=True)
class ParameterSizes:
    """Weights (``parameters``, trainable) and buffers: element counts and bytes under the
    run dtype; ``stored_bytes`` as the file declares them; the largest weight's name."""

    parameters: int
    buffers: int
    parameter_bytes: int
    buffer_bytes: int
    total_bytes: int
    stored_bytes: int
    bytes_by_dtype: dict[str, int]
    largest: str | None


@dataclass(frozen=True)
class ActivationSizes:
    """The activation peak at the chosen batch and length (and the node where it occurs);
    saved activations in training; the peak with eager attention; the shapes the graph was
    exported at; values whose size could not be resolved."""

    peak_bytes: int
    peak_node: str | None
    saved_bytes: int | None
    fused_attention: bool
    eager_attention_peak_bytes: int
    export_batch: int
    export_seq_len: int | None
    unsized_values: int
    #: False when graph inputs keep symbolic dims no option resolves: the peak is then
    #: not known (reported as 0) and no fit is claimed for activations
    sized: bool = True
    #: the inputs whose dims stayed symbolic
    unsized_inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class KvCacheSize:
    """A decoder's KV cache at the chosen batch and length, for the whole model."""

    layers: int
    kv_heads: int
    head_dim: int
    batch: int
    seq_len: int | None
    bytes: int


@dataclass(frozen=True)
class TrainingStateSizes:
    """Gradients, optimizer moments and master weights of the whole model (moments and
    master weights already divided by ``dp`` under ZeRO-1)."""

    optimizer: str
    gradient_bytes: int
    optimizer_bytes: int
    master_bytes: int
    total_bytes: int
    zero1: bool
    dp: int


@dataclass(frozen=True)
class LayoutChoice:
    """The parallel layout analysed: TP degree, PP stages, batch, sequence length and the
    data-parallel degree; ``source`` is ``user`` when --tp was given, ``auto`` when the
    analysis chose the smallest layout that fits."""

    tp: int
    pp: int
    batch: int
    seq_len: int | None
    dp: int
    source: str = "user"


@dataclass(frozen=True)
class PerCoreUsage:
    """Bytes on one logical NeuronCore at a layout, by component, against its usable HBM;
    ``utilization`` is None when nothing is usable."""

    tp: int
    pp: int
    batch: int
    seq_len: int | None
    components: dict[str, int]
    total_bytes: int
    usable_bytes: int
    utilization: float | None
    status: str


@dataclass(frozen=True)
class FitCell:
    """One cell of the fit grid."""

    tp: int
    pp: int
    batch: int
    seq_len: int | None
    total_bytes: int
    utilization: float | None
    status: str


@dataclass(frozen=True)
class FitAxes:
    """The values the fit grid spans (``seq_len`` is ``(None,)`` for models without one)."""

    tp: tuple[int, ...]
    pp: tuple[int, ...]
    batch: tuple[int, ...]
    seq_len: tuple[int | None, ...]


@dataclass(frozen=True)
class FitGrid:
    """Per-core fit over TP × PP × batch × sequence length; above ``tight_threshold`` of
    the usable HBM a cell is tight."""

    tight_threshold: float
    axes: FitAxes
    cells: tuple[FitCell, ...]


@dataclass(frozen=True)
class TargetFitRow:
    """The chosen layout on one target family, and the smallest TP degree that fits it."""

    family: str
    instance: str | None
    usable_bytes_per_core: int
    max_cores: int
    status: str
    utilization: float | None
    smallest_tp: int | None


@dataclass(frozen=True)
class ModuleFlops:
    """FLOPs under one module path (any depth), their ``share`` of the model's, the bytes
    an unfused execution moves there and FLOPs per byte of it."""

    module: str
    flops: int
    share: float
    bytes_moved: int
    intensity: float | None


@dataclass(frozen=True)
class RooflineRow:
    """Roofline time of the step on one family in one dtype at TP ``tp``; ``bound`` says
    which of compute and memory limits it (None when a figure is missing)."""

    family: str
    dtype: str
    tp: int
    compute_s: float | None
    memory_s: float | None
    time_s: float | None
    bound: str | None


@dataclass(frozen=True)
class ComputeEstimate:
    """FLOPs of one forward pass and per token; unfused traffic; FLOPs and bytes of the
    step the user runs (a training step in training) and their ratio; the heaviest
    modules; roofline rows; FLOPs per coverage status (None without coverage). ``flops``
    and ``step_flops`` are None (and the roofline empty) when activations are not sized."""

    flops: int | None
    flops_per_token: int | None
    bytes_moved_unfused: int
    step_flops: int | None
    step_bytes: int
    arithmetic_intensity: float | None
    by_module: tuple[ModuleFlops, ...]
    roofline: tuple[RooflineRow, ...]
    flops_by_status: dict[str, int] | None


@dataclass(frozen=True)
class InstructionCount:
    """Estimated instructions of the step and of one rank, against the compiler's limit;
    ``at_risk`` from ``risk_threshold`` on; the node contributing most."""

    total: int
    per_core: int
    limit: int
    risk_threshold: int
    at_risk: bool
    heaviest_node: str | None
    confidence: str


@dataclass(frozen=True)
class ShardingRow:
    """A dimension the TP degree does not suit, how bad it is and the node it shows in."""

    dimension: str
    size: int
    tp: int
    message: str
    severity: str
    node: str | None


@dataclass(frozen=True)
class MemorySection:
    """Memory fit, compute estimate and size risks of the model on the target.

    ``mode`` and ``dtype`` are the run's; ``compute_dtype`` the dtype matmuls run in.
    ``smallest_tp`` is None when no TP degree up to ``core.max_cores`` fits;
    ``largest_batch_per_tp`` maps TP degree to the largest batch that fits (searched up to
    ``batch_search_limit``); ``targets`` covers the chosen family and every other one.
    ``fitting_tp``/``fitting_pp`` are the smallest layout of the instance that fits (TP
    first, then PP stages), None when none does.
    """

    mode: str
    dtype: str
    compute_dtype: str
    core: CoreSpec
    parameters: ParameterSizes
    activations: ActivationSizes
    kv_cache: KvCacheSize | None
    training_state: TrainingStateSizes | None
    layout: LayoutChoice
    per_core: PerCoreUsage
    fit_grid: FitGrid
    smallest_tp: int | None
    largest_batch_per_tp: dict[int, int]
    batch_search_limit: int
    targets: tuple[TargetFitRow, ...]
    compute: ComputeEstimate
    instructions: InstructionCount
    sharding: tuple[ShardingRow, ...]
    assumptions: tuple[str, ...]
    fitting_tp: int | None = None
    fitting_pp: int | None = None
    #: what the fit statuses count: :data:`FULL_FIT` or :data:`WEIGHTS_ONLY`
    fit_basis: str = "weights and activations"

    @property
    def activations_sized(self) -> bool:
        return self.activations.sized
