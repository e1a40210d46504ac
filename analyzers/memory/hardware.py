"""One logical NeuronCore's budget: HBM, runtime reservations, bandwidth and peak TFLOPS.

The numbers come from the knowledge base target (``resources/neuron/targets.yaml``); the
runtime reservations subtracted before fitting a model are its ``runtime_overheads``, after
``neuron-runtime/explore/device-memory.rst`` (FACTS.md §6):

* the microcode of each *physical* core (a logical core at LNC=2 spans two);
* one scratchpad page (the default page size for non-contiguous allocation);
* device profiling buffers (about 2 GB) only exist while profiling, so they are not reserved;
* DMA rings and collectives buffers are real but unquantified in the docs: not reserved,
  one reason why cells above :data:`.fit.TIGHT_FRACTION` are reported as tight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trnport.analyzers.kb import load_kb
from trnport.analyzers.results.units import GIB

MB = 1000**2


@dataclass(frozen=True)
class CoreBudget:
    """Per-logical-core figures of one target.

    ``tflops`` maps ``--dtype`` labels (fp32, bf16, fp16, fp8) to dense TFLOPS of one logical
    core; ``bandwidth`` is HBM bytes per second available to one logical core.
    """

    family: str
    instance: str | None
    lnc: int
    hbm_bytes: int
    max_cores: int
    bandwidth: float
    tflops: Mapping[str, float] = field(default_factory=dict)
    overhead_bytes: int | None = None
    source: str = ""
    # physical NeuronCores of the instance (at LNC 2 two of them make one logical core)
    physical_cores: int | None = None

    @property
    def reserved_bytes(self) -> int:
        if self.overhead_bytes is not None:
            return self.overhead_bytes
        return default_overhead_bytes(self.lnc)

    @property
    def usable_bytes(self) -> int:
        return self.hbm_bytes - self.reserved_bytes

    def peak_flops(self, dtype: str) -> float | None:
        """Dense FLOP/s of one logical core in ``dtype`` (None when the KB has no figure)."""
        tflops = self.tflops.get(dtype)
        return tflops * 1e12 if tflops else None


def default_overhead_bytes(lnc: int) -> int:
    """Microcode of the ``lnc`` physical cores behind one logical core plus one scratchpad
    page, as the shipped knowledge base's ``runtime_overheads`` give them."""
    return overhead_bytes(load_kb().runtime_overheads, lnc)


def overhead_bytes(overheads: Mapping, lnc: int) -> int:
    """The reservation of one logical core at ``lnc`` under ``overheads`` (the knowledge
    base's ``runtime_overheads``)."""
    microcode = float(overheads["microcode_mb_per_physical_core"])
    scratchpad = float(overheads["scratchpad_page_mb_noncontiguous"])
    return int((microcode * max(1, lnc) + scratchpad) * MB)


def budget_from_target(target, max_cores: int | None = None) -> CoreBudget:
    """The per-core budget of a knowledge-base :class:`~trnport.analyzers.kb.model.Target`.

    ``max_cores`` (the largest TP degree tried) defaults to the logical cores of the
    target's instance. Runtime reservations use the target's ``runtime_overheads`` when it
    has them, else the shipped knowledge base's.
    """
    overheads = getattr(target, "runtime_overheads", None) or {}
    lnc = int(target.lnc or 1)
    reserved = None
    if overheads.get("microcode_mb_per_physical_core") is not None and \
            overheads.get("scratchpad_page_mb_noncontiguous") is not None:
        reserved = overhead_bytes(overheads, lnc)
    tflops = {dtype: float(value) for dtype, value in (target.tflops_per_core or {}).items()
              if dtype in ("fp32", "bf16", "fp16", "fp8") and value}
    return CoreBudget(
        family=target.family, instance=target.instance, lnc=lnc,
        hbm_bytes=int(float(target.hbm_gib_per_core) * GIB),
        max_cores=int(max_cores or target.cores),
        bandwidth=float(target.hbm_bandwidth_gbps_per_core) * 1e9,
        tflops=tflops, overhead_bytes=reserved, source=getattr(target, "source", ""),
        physical_cores=getattr(target, "physical_cores", None),
    )


def compute_dtype_for(run_dtype: str, profile) -> str:
    """The dtype matmuls run in: the run dtype, unless the profile's compiler default
    auto-casts fp32 matmuls (``--auto-cast matmult|all``, the default before neuronx-cc
    2.22); TF32 runs at the BF16 peak, so it is costed as bf16."""
    defaults = getattr(profile, "compiler_defaults", None) or {}
    auto_cast, cast_type = defaults.get("auto_cast"), defaults.get("auto_cast_type")
    if run_dtype == "fp32" and auto_cast in ("matmult", "all") and cast_type:
        return {"bf16": "bf16", "fp16": "fp16", "tf32": "bf16"}.get(cast_type, run_dtype)
    return run_dtype
