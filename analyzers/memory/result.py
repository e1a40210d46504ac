"""The memory and compute assessment as one frozen value, and its JSON form.

``MemoryResult.to_dict()`` is the ``memory`` section of the ``trnport.report/1`` JSON: bytes
are integers, ratios are fractions (0.88 = 88%), seconds are floats; nothing else.
``parameters`` and ``activations`` describe the whole model at the chosen batch and length
(before any TP/PP split); ``per_core`` and ``fit_grid`` are per logical NeuronCore.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from trnport.analyzers.memory.activations import ActivationProfile
from trnport.analyzers.memory.fit import (
    MAX_BATCH_SEARCHED,
    TIGHT_FRACTION,
    CoreUsage,
    MemoryModel,
)
from trnport.analyzers.memory.flops import ComputeProfile
from trnport.analyzers.memory.hardware import CoreBudget
from trnport.analyzers.memory.instructions import InstructionEstimate
from trnport.analyzers.memory.kv_cache import KVCacheSpec
from trnport.analyzers.memory.params import ParamSummary
from trnport.analyzers.memory.roofline import RooflineEstimate, Workload
from trnport.analyzers.memory.scaling import Scale
from trnport.analyzers.memory.sharding import ShardingIssue
from trnport.analyzers.memory.text import render_memory
from trnport.analyzers.memory.training_state import TrainingState

#: Module rows kept in the JSON report.
TOP_MODULES = 15


@dataclass(frozen=True)
class TargetFit:
    """The chosen layout and the smallest fitting TP on one target family."""

    budget: CoreBudget
    chosen: CoreUsage
    smallest_tp: int | None

    def to_dict(self) -> dict:
        return {"family": self.budget.family, "instance": self.budget.instance,
                "usable_bytes_per_core": self.budget.usable_bytes,
                "max_cores": self.budget.max_cores, "status": self.chosen.status,
                "utilization": self.chosen.to_dict()["utilization"],
                "smallest_tp": self.smallest_tp}


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

    @property
    def node_flops(self) -> dict[str, int]:
        """FLOPs per node name (for coverage weighted by compute)."""
        return {name: cost.flops for name, cost in self.compute.node_costs.items()}

    @property
    def effective_tp(self) -> int:
        """The TP degree the user will run at: theirs, or the smallest that fits if larger."""
        return max(self.chosen.layout.tp, self.smallest_tp or 1)

    def to_dict(self) -> dict:
        context = self.activations.context
        layout = self.chosen.layout
        act_scale = self.activations
        at_layout = Scale(batch=layout.batch, seq_len=layout.seq_len, tp=1,
                          fused_attention=self.model.fused_attention)
        eager = Scale(batch=layout.batch, seq_len=layout.seq_len, tp=1)
        return {
            "mode": self.mode, "dtype": self.dtype, "compute_dtype": self.compute_dtype,
            "core": self.budget.to_dict(),
            "parameters": self.params.to_dict(),
            "activations": {
                "peak_bytes": act_scale.peak_at(at_layout),
                "peak_node": act_scale.peak_node_at(at_layout),
                "saved_bytes": act_scale.saved_at(at_layout) if self.training else None,
                "fused_attention": self.model.fused_attention,
                "eager_attention_peak_bytes": act_scale.peak_at(eager),
                "export_batch": context.batch, "export_seq_len": context.seq_len,
                "unsized_values": self.activations.unsized_values,
            },
            "kv_cache": None if self.kv_cache is None else {
                **self.kv_cache.to_dict(), "batch": layout.batch, "seq_len": layout.seq_len,
                "bytes": self.kv_cache.bytes_at(layout.batch, layout.seq_len or 0,
                                                self.model.activation_element_bytes),
            },
            "training_state": self.training.to_dict() if self.training else None,
            "layout": {**layout.to_dict(), "dp": self.training.dp if self.training else 1},
            "per_core": self.chosen.to_dict(),
            "fit_grid": {
                "tight_threshold": TIGHT_FRACTION,
                "axes": {name: list(values) for name, values in self.axes.items()},
                "cells": [_cell(c) for c in self.grid],
            },
            "smallest_tp": self.smallest_tp,
            "largest_batch_per_tp": {str(tp): b for tp, b in self.largest_batch.items()},
            "batch_search_limit": MAX_BATCH_SEARCHED,
            "targets": [t.to_dict() for t in self.targets],
            "compute": {
                "flops": self.compute.total_flops,
                "flops_per_token": (self.compute.total_flops // (context.batch * context.seq_len)
                                    if context.seq_len else None),
                "bytes_moved_unfused": self.compute.bytes_moved,
                "step_flops": self.workload.flops, "step_bytes": self.workload.bytes,
                "arithmetic_intensity": _round(self.workload.intensity),
                "by_module": self.compute.top_modules(TOP_MODULES),
                "roofline": [r.to_dict() for r in self.roofline],
                "flops_by_status": dict(self.flops_by_status) if self.flops_by_status
                else None,
            },
            "instructions": self.instructions.to_dict(),
            "sharding": [issue.to_dict() for issue in self.sharding],
            "assumptions": list(self.assumptions),
        }

    def text_grid(self) -> str:
        """A compact plain-text summary with the TP × batch grid."""
        return "\n".join(render_memory(self.to_dict())) + "\n"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _cell(usage: CoreUsage) -> dict:
    data = usage.to_dict()
    return {key: data[key] for key in ("tp", "pp", "batch", "seq_len", "total_bytes",
                                       "utilization", "status")}
