"""The report's memory section (:class:`~trnport.analyzers.results.memory.MemorySection`)
from the memory stage's :class:`MemoryResult`: figures at the chosen layout, the fit grid
and the compute estimate, each rounded as the report shows it."""

from __future__ import annotations

import math

from trnport.analyzers.memory.fit import MAX_BATCH_SEARCHED, TIGHT_FRACTION, CoreUsage
from trnport.analyzers.memory.hardware import CoreBudget
from trnport.analyzers.memory.result import TOP_MODULES, MemoryResult, TargetFit
from trnport.analyzers.memory.roofline import RooflineEstimate
from trnport.analyzers.memory.scaling import Scale
from trnport.analyzers.results import memory as section


def memory_section(result: MemoryResult) -> section.MemorySection:
    """What of ``result`` the report keeps."""
    layout = result.chosen.layout
    training = result.training
    return section.MemorySection(
        mode=result.mode, dtype=result.dtype, compute_dtype=result.compute_dtype,
        core=_core(result.budget),
        parameters=_parameters(result),
        activations=_activations(result),
        kv_cache=None if result.kv_cache is None else section.KvCacheSize(
            layers=result.kv_cache.layers, kv_heads=result.kv_cache.kv_heads,
            head_dim=result.kv_cache.head_dim, batch=layout.batch, seq_len=layout.seq_len,
            bytes=result.kv_cache.bytes_at(layout.batch, layout.seq_len or 0,
                                           result.model.activation_element_bytes)),
        training_state=None if training is None else section.TrainingStateSizes(
            optimizer=training.optimizer, gradient_bytes=training.gradient_bytes,
            optimizer_bytes=training.optimizer_bytes, master_bytes=training.master_bytes,
            total_bytes=training.total_bytes, zero1=training.zero1, dp=training.dp),
        layout=section.LayoutChoice(tp=layout.tp, pp=layout.pp, batch=layout.batch,
                                    seq_len=layout.seq_len, dp=training.dp if training else 1,
                                    source=result.layout_source),
        per_core=_usage(result.chosen),
        fit_grid=section.FitGrid(
            tight_threshold=TIGHT_FRACTION,
            axes=section.FitAxes(tp=tuple(result.axes["tp"]), pp=tuple(result.axes["pp"]),
                                 batch=tuple(result.axes["batch"]),
                                 seq_len=tuple(result.axes["seq_len"])),
            cells=tuple(_cell(usage) for usage in result.grid)),
        smallest_tp=result.smallest_tp,
        largest_batch_per_tp=dict(result.largest_batch),
        batch_search_limit=MAX_BATCH_SEARCHED,
        targets=tuple(_target(fit) for fit in result.targets),
        compute=_compute(result),
        instructions=_instructions(result),
        sharding=tuple(section.ShardingRow(
            dimension=issue.dimension, size=issue.size, tp=issue.tp, message=issue.message,
            severity=issue.severity, node=issue.node) for issue in result.sharding),
        assumptions=tuple(result.assumptions),
        fitting_tp=result.fitting_layout.tp if result.fitting_layout else None,
        fitting_pp=result.fitting_layout.pp if result.fitting_layout else None,
        fit_basis=section.FULL_FIT if result.activations_sized else section.WEIGHTS_ONLY,
    )


def _ratio(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _seconds(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


def _core(budget: CoreBudget) -> section.CoreSpec:
    return section.CoreSpec(
        family=budget.family, instance=budget.instance, lnc=budget.lnc,
        hbm_bytes_per_core=budget.hbm_bytes, reserved_bytes=budget.reserved_bytes,
        usable_bytes_per_core=budget.usable_bytes, max_cores=budget.max_cores,
        bandwidth_bytes_per_s=budget.bandwidth, tflops_per_core=dict(budget.tflops),
        physical_cores=budget.physical_cores)


def _parameters(result: MemoryResult) -> section.ParameterSizes:
    params = result.params
    return section.ParameterSizes(
        parameters=params.parameters, buffers=params.buffers,
        parameter_bytes=params.parameter_bytes, buffer_bytes=params.buffer_bytes,
        total_bytes=params.total_bytes, stored_bytes=params.stored_bytes,
        bytes_by_dtype=dict(params.bytes_by_dtype), largest=params.largest)


def _activations(result: MemoryResult) -> section.ActivationSizes:
    profile, layout = result.activations, result.chosen.layout
    at_layout = Scale(batch=layout.batch, seq_len=layout.seq_len, tp=1,
                      fused_attention=result.model.fused_attention)
    eager = Scale(batch=layout.batch, seq_len=layout.seq_len, tp=1)
    return section.ActivationSizes(
        peak_bytes=profile.peak_at(at_layout), peak_node=profile.peak_node_at(at_layout),
        saved_bytes=profile.saved_at(at_layout) if result.training else None,
        fused_attention=result.model.fused_attention,
        eager_attention_peak_bytes=profile.peak_at(eager),
        export_batch=profile.context.batch, export_seq_len=profile.context.seq_len,
        unsized_values=profile.unsized_values, sized=result.activations_sized,
        unsized_inputs=tuple(result.unsized_inputs))


def _usage(usage: CoreUsage) -> section.PerCoreUsage:
    layout = usage.layout
    return section.PerCoreUsage(
        tp=layout.tp, pp=layout.pp, batch=layout.batch, seq_len=layout.seq_len,
        components=dict(usage.components), total_bytes=usage.total_bytes,
        usable_bytes=usage.usable_bytes, utilization=_ratio(usage.utilization),
        status=usage.status)


def _cell(usage: CoreUsage) -> section.FitCell:
    layout = usage.layout
    return section.FitCell(tp=layout.tp, pp=layout.pp, batch=layout.batch,
                           seq_len=layout.seq_len, total_bytes=usage.total_bytes,
                           utilization=_ratio(usage.utilization), status=usage.status)


def _target(fit: TargetFit) -> section.TargetFitRow:
    return section.TargetFitRow(
        family=fit.budget.family, instance=fit.budget.instance,
        usable_bytes_per_core=fit.budget.usable_bytes, max_cores=fit.budget.max_cores,
        status=fit.chosen.status, utilization=_ratio(fit.chosen.utilization),
        smallest_tp=fit.smallest_tp)


def _roofline(estimate: RooflineEstimate) -> section.RooflineRow:
    return section.RooflineRow(
        family=estimate.family, dtype=estimate.dtype, tp=estimate.tp,
        compute_s=_seconds(estimate.compute_s), memory_s=_seconds(estimate.memory_s),
        time_s=_seconds(estimate.time_s), bound=estimate.bound)


def _compute(result: MemoryResult) -> section.ComputeEstimate:
    compute, context, workload = result.compute, result.activations.context, result.workload
    sized = result.activations_sized  # else the FLOPs of unsized nodes would read as 0
    return section.ComputeEstimate(
        flops=compute.total_flops if sized else None,
        flops_per_token=(compute.total_flops // (context.batch * context.seq_len)
                         if context.seq_len and sized else None),
        bytes_moved_unfused=compute.bytes_moved,
        step_flops=workload.flops if sized else None, step_bytes=workload.bytes,
        arithmetic_intensity=_round(workload.intensity) if sized else None,
        by_module=compute.top_modules(TOP_MODULES) if sized else (),
        roofline=tuple(_roofline(estimate) for estimate in result.roofline) if sized else (),
        flops_by_status=dict(result.flops_by_status) if result.flops_by_status else None)


def _instructions(result: MemoryResult) -> section.InstructionCount:
    estimate = result.instructions
    return section.InstructionCount(
        total=estimate.total, per_core=estimate.per_core, limit=estimate.limit,
        risk_threshold=estimate.risk_threshold, at_risk=estimate.at_risk,
        heaviest_node=estimate.heaviest_node, confidence=estimate.confidence)
