"""Per-NeuronCore fit: bytes one logical core holds at a parallel layout, against its HBM.

At a layout (TP degree, PP stages, batch, sequence length) one rank holds:

* weights ÷ (TP × PP): every weight is taken as split evenly by TP (column/row-parallel
  linears, parallel embedding) and layers evenly over PP stages; norms and biases that real
  layouts replicate are small and ignored;
* buffers ÷ PP (replicated across TP);
* inference: the activation peak at that batch, length and TP (:mod:`.activations`; unchanged
  by PP, since the peak is a transient inside one layer) plus the KV cache of decoders
  (:mod:`.kv_cache`); with ``fused_attention`` the attention scores are left out, as a fused
  attention kernel never stores them;
* training: saved activations ÷ PP (micro-batching and 1F1B scheduling are not modelled),
  split by TP with sequence parallelism, plus gradients, optimizer moments and master
  weights ÷ (TP × PP) (:mod:`.training_state`). Activation checkpointing is not modelled.

A cell *fits* when the total is at most :data:`TIGHT_FRACTION` of the usable HBM, is *tight*
above that (compilers add scratchpad and spill buffers the estimate does not see) and *does
not fit* above 100%.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from trnport.analyzers.memory.activations import ActivationProfile
from trnport.analyzers.memory.hardware import CoreBudget
from trnport.analyzers.memory.kv_cache import KVCacheSpec
from trnport.analyzers.memory.params import ParamSummary
from trnport.analyzers.memory.scaling import Scale
from trnport.analyzers.memory.training_state import TrainingState

#: Above this fraction of usable HBM a layout is reported as tight.
TIGHT_FRACTION = 0.85
FITS, TIGHT, DOES_NOT_FIT = "fits", "tight", "does_not_fit"
#: Largest batch searched for "largest batch per TP".
MAX_BATCH_SEARCHED = 4096


@dataclass(frozen=True)
class Layout:
    tp: int
    pp: int
    batch: int
    seq_len: int | None


@dataclass(frozen=True)
class CoreUsage:
    """Bytes on one logical NeuronCore at ``layout``, by component, and the verdict."""

    layout: Layout
    components: dict[str, int]
    usable_bytes: int

    @property
    def total_bytes(self) -> int:
        return sum(self.components.values())

    @property
    def utilization(self) -> float:
        return self.total_bytes / self.usable_bytes if self.usable_bytes > 0 else math.inf

    @property
    def status(self) -> str:
        if self.utilization > 1:
            return DOES_NOT_FIT
        return TIGHT if self.utilization > TIGHT_FRACTION else FITS

    @property
    def fits(self) -> bool:
        return self.status != DOES_NOT_FIT



@dataclass(frozen=True)
class MemoryModel:
    """Everything needed to size any layout: the model's parts and one core's budget."""

    params: ParamSummary
    activations: ActivationProfile
    kv_cache: KVCacheSpec | None
    training: TrainingState | None
    activation_element_bytes: int
    budget: CoreBudget
    fused_attention: bool = False

    def scale(self, layout: Layout) -> Scale:
        """The activation scale of ``layout``: training assumes sequence parallelism."""
        return Scale(batch=layout.batch, seq_len=layout.seq_len, tp=layout.tp,
                     fused_attention=self.fused_attention,
                     sequence_parallel=self.training is not None)

    def usage(self, layout: Layout) -> CoreUsage:
        """Per-core bytes at ``layout`` (see the module docstring for the sharding rules)."""
        tp, pp = layout.tp, layout.pp
        scale = self.scale(layout)
        parts = {
            "weights": math.ceil(self.params.parameter_bytes / (tp * pp)),
            "buffers": math.ceil(self.params.buffer_bytes / pp),
        }
        if self.training is None:
            parts["activations"] = self.activations.peak_at(scale)
            if self.kv_cache is not None:
                seq = layout.seq_len or self.activations.context.seq_len or 0
                parts["kv_cache"] = self.kv_cache.bytes_at(
                    layout.batch, seq, self.activation_element_bytes, tp=tp, pp=pp)
        else:
            parts["activations"] = math.ceil(self.activations.saved_at(scale) / pp)
            shards = tp * pp
            parts["gradients"] = math.ceil(self.training.gradient_bytes / shards)
            parts["optimizer"] = math.ceil(self.training.optimizer_bytes / shards)
            parts["master_weights"] = math.ceil(self.training.master_bytes / shards)
        return CoreUsage(layout=layout, components=parts, usable_bytes=self.budget.usable_bytes)

    def smallest_tp(self, tps: Iterable[int], pp: int, batch: int,
                    seq_len: int | None) -> int | None:
        """The smallest TP degree among ``tps`` at which the model fits (tight counts)."""
        for tp in sorted(tps):
            if self.usage(Layout(tp, pp, batch, seq_len)).fits:
                return tp
        return None

    def smallest_layout(self, max_cores: int, pps: Iterable[int], batch: int,
                        seq_len: int | None) -> Layout | None:
        """The smallest layout of at most ``max_cores`` cores that fits: the smallest TP at
        the first of ``pps`` (ascending) where any TP fits; None when none does."""
        for pp in sorted(set(pps)):
            for tp in tp_values(max_cores, 1):
                if tp * pp > max_cores:
                    break
                layout = Layout(tp, pp, batch, seq_len)
                if self.usage(layout).fits:
                    return layout
        return None

    def largest_batch(self, tp: int, pp: int, seq_len: int | None) -> int:
        """The largest batch that fits at ``tp``/``pp``/``seq_len`` (0: not even batch 1;
        :data:`MAX_BATCH_SEARCHED` means that many or more).

        Every component grows with the batch, so a binary search is exact."""
        def fits(batch: int) -> bool:
            return self.usage(Layout(tp, pp, batch, seq_len)).fits

        if not fits(1):
            return 0
        low, high = 1, 2
        while high <= MAX_BATCH_SEARCHED and fits(high):
            low, high = high, high * 2
        if high > MAX_BATCH_SEARCHED:
            return low
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if fits(middle) else (low, middle)
        return low


def tp_values(max_cores: int, chosen: int) -> list[int]:
    """1, 2, 4, … up to ``max_cores`` (and ``max_cores`` itself, e.g. 24 on inf2.48xlarge)."""
    values = {chosen, max(1, max_cores)}
    degree = 1
    while degree <= max_cores:
        values.add(degree)
        degree *= 2
    return sorted(values)


def pp_values(chosen: int, layers: int | None) -> list[int]:
    values = {1, 2, 4, chosen}
    return sorted(v for v in values if layers is None or v <= max(layers, chosen))


def nearby_values(chosen: int, limit: int | None = None, count: int = 5) -> list[int]:
    """A few sizes around ``chosen`` by factors of two (quarter to four times), at least 1 and
    at most ``limit``; padded upwards when small values collapse."""
    values = {max(1, chosen * 2 ** k) if k >= 0 else max(1, chosen >> -k) for k in range(-2, 3)}
    step = max(values)
    while len(values) < count:
        step *= 2
        values.add(step)
    return sorted(v for v in values if limit is None or v <= limit or v == chosen)
