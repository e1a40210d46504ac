"""What the user asked for: target hardware, mode, shapes and trust, as one frozen value."""

from __future__ import annotations

from dataclasses import dataclass, field

from trnport.analyzers.errors import InputError

TARGET_FAMILIES = ("trn1", "trn1n", "inf2", "trn2", "trn3")
MODES = ("inference", "training")
DTYPES = ("fp32", "bf16", "fp16", "fp8")
OPTIMIZERS = ("adamw", "adam", "sgd")
#: the PyTorch stacks of Neuron: PyTorch/XLA (torch-neuronx 2.9) and TorchNeuron (native)
STACKS = ("xla", "torchneuron")


@dataclass(frozen=True)
class AnalysisOptions:
    """Options for :func:`trnport.analyzers.api.analyze`.

    ``batch`` and ``seq_len`` size the example inputs of configs built from a Hugging Face
    config (``seq_len`` None lets the loader pick a default). ``trust_code`` allows running a
    Python model file. ``input_shapes`` pins symbolic input dims (name → shape) and
    ``input_dtypes`` records the dtype given with a pinned shape (name → dtype name).
    ``tp``/``pp``/``dp`` are the tensor-, pipeline- and data-parallel degrees; ``tp`` None
    lets the memory stage choose the smallest TP (and, when ``pp`` is None too, PP) that fits
    the instance (:attr:`layout_source` ``auto``); ``ep`` the expert-parallel degree of
    mixture-of-experts layers (the TP ranks split into ``ep`` groups that each hold whole
    experts, NxD Inference's ``moe_ep_degree``; it divides ``tp``, and expert weights stay
    split over all ``tp`` ranks); ``optimizer`` and ``zero1`` (optimizer state sharded over
    ``dp`` ranks) size training state.
    ``stack`` is the PyTorch stack (one of :data:`STACKS`); None takes the SDK line's default
    for the target (``KnowledgeBase.stack``). ``torchneuron_tables`` is the folder of
    imported TorchNeuron compatibility tables (``trnport kb import-torchneuron``), None for
    none. ``cache_dir`` is the folder of the loaded-graph cache (``loaders.cache``); None
    loads every model afresh. ``backend_kernels`` names the CompositeImplicitAutograd ATen
    ops the Neuron backend implements itself, which PyTorch loaders keep whole instead of
    decomposing (``analyze`` fills it from the knowledge base). ``model_graph`` builds the
    report's node-by-node graph (:attr:`Report.graph`), which only the graph views read (the
    app, HTML and Model Explorer output); without it a large model is analysed faster.
    """

    target: str = "trn2"
    instance: str | None = None
    mode: str = "inference"
    dtype: str = "bf16"
    batch: int = 1
    seq_len: int | None = None
    tp: int | None = None
    ep: int = 1
    pp: int | None = None
    dp: int = 1
    optimizer: str = "adamw"
    zero1: bool = False
    sdk: str | None = None
    stack: str | None = None
    torchneuron_tables: str | None = None
    cache_dir: str | None = None
    backend_kernels: frozenset[str] = frozenset()
    model_graph: bool = True
    trust_code: bool = False
    input_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    input_dtypes: dict[str, str] = field(default_factory=dict)
    # recompilation analysis: observed input lengths (--shapes) and the graph budget
    observed_lengths: tuple[int, ...] = ()
    max_graphs: int = 4

    def __post_init__(self) -> None:
        if self.target not in TARGET_FAMILIES:
            raise InputError(
                f"unknown target {self.target!r}; choose one of {', '.join(TARGET_FAMILIES)}"
            )
        if self.mode not in MODES:
            raise InputError(f"unknown mode {self.mode!r}; choose inference or training")
        if self.dtype not in DTYPES:
            raise InputError(f"unknown dtype {self.dtype!r}; choose one of {', '.join(DTYPES)}")
        if self.stack is not None and self.stack not in STACKS:
            raise InputError(f"unknown stack {self.stack!r}; choose one of {', '.join(STACKS)}")
        if self.optimizer not in OPTIMIZERS:
            raise InputError(
                f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        for label, number in (("batch", self.batch), ("tp", self.tp), ("ep", self.ep),
                              ("pp", self.pp), ("dp", self.dp)):
            if number is not None and not 1 <= number <= 1_000_000:
                raise InputError(f"--{label} must be a positive whole number, got {number}")
        if self.tp is not None and self.tp % self.ep:
            raise InputError(f"--ep {self.ep} must divide --tp {self.tp}: expert parallelism "
                             "splits the TP ranks into groups that each hold whole experts")
        if not 1 <= self.max_graphs <= 1000:
            raise InputError(f"--max-graphs must be between 1 and 1000, got {self.max_graphs}")
        if self.seq_len is not None and not 1 <= self.seq_len <= 10_000_000:
            raise InputError(f"--seq-len must be a positive whole number, got {self.seq_len}")

    @property
    def layout_source(self) -> str:
        """``user`` when the TP degree was given, ``auto`` when the analysis chooses it."""
        return "auto" if self.tp is None else "user"
