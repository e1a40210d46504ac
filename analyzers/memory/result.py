"""The memory and compute assessment as one frozen value. The TRN4xx rules read it;
:mod:`.section` turns it into the report's memory section."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from trnport.analyzers.memory.activations import ActivationProfile
from trnport.analyzers.memory.fit import CoreUsage, Layout, MemoryModel
from trnport.analyzers.memory.flops import ComputeProfile
from trnport.analyzers.memory.hardware import CoreBudget
from trnport.analyzers.memory.instructions import InstructionEstimate
from trnport.analyzers.memory.kv_cache import KVCacheSpec
from trnport.analyzers.memory.params import ParamSummary
from trnport.analyzers.memory.roofline import RooflineEstimate, Workload
from trnport.analyzers.memory.sharding import ShardingIssue
from trnport.analyzers.memory.training_state import TrainingState

#: Module rows kept in the report.
TOP_MODULES = 15


@dataclass(frozen=True)
class TargetFit:
    """The chosen layout and the smallest fitting TP on one target family."""

    budget: CoreBudget
    chosen: CoreUsage
    smallest_tp: int | None


@dataclass(frozen=True)
class MemoryResult:
    """Everything the memory stage found; rules read it, renderers show it."""

    mode: str
    dtype: str
    compute_dtype: str
    budget: CoreBudget
    params: ParamSummary
    activations: ActivationProfile
    kv_cache: KVCacheSpec | None
    training: TrainingState | None
    model: MemoryModel
    chosen: CoreUsage
    axes: Mapping[str, tuple]
    grid: tuple[CoreUsage, ...]
    smallest_tp: int | None
    largest_batch: Mapping[int, int]
    targets: tuple[TargetFit, ...]
    compute: ComputeProfile
    workload: Workload
    roofline: tuple[RooflineEstimate, ...]
    instructions: InstructionEstimate
    sharding: tuple[ShardingIssue, ...]
    flops_by_status: Mapping[str, int] | None
    assumptions: tuple[str, ...]
    # ``auto``: the analysis chose the layout (the smallest that fits); ``user``: --tp was given
    layout_source: str = "user"
    # the smallest layout of the instance that fits (TP first, then PP), None when none does
    fitting_layout: Layout | None = None
    #: graph inputs whose symbolic dims no option resolved: activations are not sized
    unsized_inputs: tuple[str, ...] = ()

    @property
    def activations_sized(self) -> bool:
        return not self.unsized_inputs

    @property
    def node_flops(self) -> Mapping[str, int]:
        """FLOPs per node name (for coverage weighted by compute)."""
        return self.compute.node_flops

    @property
    def effective_tp(self) -> int:
        """The TP degree the user will run at: theirs, or the smallest that fits if larger."""
        return max(self.chosen.layout.tp, self.smallest_tp or 1)
