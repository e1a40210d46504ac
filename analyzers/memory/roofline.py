"""A roofline estimate of one forward pass (or training step) per target and dtype.

``time = max(FLOPs / peak FLOP/s, bytes / HBM bandwidth)`` on one logical core, with the work
of a ``tp``-way layout split evenly over its ranks (collectives are not costed). Peaks are the
dense tensor-engine figures of the knowledge base for the compute dtype; bandwidth is the
chip's HBM bandwidth shared by its logical cores.

Traffic assumes fusion: every weight is read once, and each matmul, convolution and
attention reads its activation inputs and writes its output once; the elementwise ops in
between are taken as fused into them. A training step counts 3× the forward FLOPs and
traffic (backward ≈ 2× forward) plus one read and one write of gradients, optimizer state
and master weights. Both are lower bounds: real kernels reach a fraction of peak.
"""

from __future__ import annotations

from dataclasses import dataclass

from trnport.analyzers.memory.hardware import CoreBudget

BACKWARD_FACTOR = 3


@dataclass(frozen=True)
class Workload:
    """FLOPs and HBM bytes of one pass of the whole model (before TP splitting)."""

    flops: int
    bytes: int

    @property
    def intensity(self) -> float | None:
        """FLOPs per byte of HBM traffic."""
        return self.flops / self.bytes if self.bytes else None


def forward_workload(flops: int, weight_bytes: int, anchor_bytes: int,
                     training_state_bytes: int | None = None) -> Workload:
    """The pass the user runs: a forward pass, or a training step when
    ``training_state_bytes`` is given."""
    traffic = weight_bytes + anchor_bytes
    if training_state_bytes is None:
        return Workload(flops=flops, bytes=traffic)
    return Workload(flops=BACKWARD_FACTOR * flops,
                    bytes=BACKWARD_FACTOR * traffic + 2 * training_state_bytes)


@dataclass(frozen=True)
class RooflineEstimate:
    family: str
    dtype: str
    tp: int
    compute_s: float | None
    memory_s: float | None

    @property
    def time_s(self) -> float | None:
        times = [t for t in (self.compute_s, self.memory_s) if t is not None]
        return max(times) if times else None

    @property
    def bound(self) -> str | None:
        if self.compute_s is None or self.memory_s is None:
            return None
        return "compute" if self.compute_s >= self.memory_s else "memory"


def roofline(workload: Workload, budget: CoreBudget, dtype: str, tp: int = 1) -> RooflineEstimate:
    """Roofline time of ``workload`` on ``budget``'s core in ``dtype``, split over ``tp``."""
    peak = budget.peak_flops(dtype)
    compute = workload.flops / (peak * tp) if peak else None
    memory = workload.bytes / (budget.bandwidth * tp) if budget.bandwidth else None
    return RooflineEstimate(family=budget.family, dtype=dtype, tp=tp, compute_s=compute,
                            memory_s=memory)
