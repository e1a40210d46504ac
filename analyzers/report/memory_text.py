"""The memory section as a few lines of plain text: the chosen layout, a TP × batch grid at
the chosen PP stages and sequence length, and the compute estimate."""

from __future__ import annotations

from trnport.analyzers.results.memory import CoreSpec, MemorySection, PerCoreUsage
from trnport.analyzers.results.units import (
    GIB,
    MIB,
    fixed_seconds,
    human_bytes,
    neuron_cores,
    tera_flops,
)

MARKS = {"fits": "+", "tight": "~", "does_not_fit": "x"}
_MAX_TP_COLUMNS = 8


def _bytes(number: float) -> str:
    return human_bytes(number, largest="GiB")


def render_memory(memory: MemorySection | None) -> list[str]:
    """Text lines for the memory section of a report (none when there is no section)."""
    if memory is None:
        return []
    core, chosen = memory.core, memory.per_core
    seq = f", seq {chosen.seq_len}" if chosen.seq_len else ""
    sized = memory.activations_sized
    verdict = chosen.status.replace('_', ' ').upper() if sized or chosen.status != "fits" \
        else memory.fit_basis
    lines = [
        f"MEMORY per NeuronCore ({core.family}: {_bytes(core.usable_bytes_per_core)}"
        f" usable of {_bytes(core.hbm_bytes_per_core)}; {memory.dtype} "
        f"{memory.mode}; pp {chosen.pp}{seq}):",
        f"  {instance_cores(core)}",
        f"  tp {chosen.tp}, batch {chosen.batch}: {_bytes(chosen.total_bytes)}"
        f" = {_percent(chosen.utilization)} -> {verdict}",
    ]
    parts = " · ".join(f"{name} {_bytes(size)}" for name, size in chosen.components.items() if size)
    if parts:
        lines.append(f"    {parts}")
    if not sized:
        names = memory.activations.unsized_inputs
        lines.append(f"  {memory.fit_basis}: {'inputs' if len(names) > 1 else 'input'} "
                     f"{', '.join(names)} {'keep' if len(names) > 1 else 'keeps'} symbolic "
                     "dims; pin them with --input-shape (or --batch/--seq-len)")
    lines += _grid_lines(memory, chosen)
    lines.append(f"  ({MARKS['fits']} fits, {MARKS['tight']} tight above "
                 f"{memory.fit_grid.tight_threshold:.0%} of usable HBM, "
                 f"{MARKS['does_not_fit']} does not fit"
                 f"{'' if sized else '; ' + memory.fit_basis})")
    limit = memory.batch_search_limit
    largest = ", ".join(f"tp {tp}: {batch}{'+' if batch == limit else ''}"
                        for tp, batch in memory.largest_batch_per_tp.items())
    fitting = memory.smallest_tp if memory.smallest_tp else f"none up to {core.max_cores}"
    lines.append(f"  smallest TP that fits{'' if sized else ' the weights'}: {fitting}")
    if largest and sized:
        lines.append(f"  largest batch per TP: {largest}")
    lines += _compute_lines(memory)
    return lines


def instance_cores(core: CoreSpec) -> str:
    """The NeuronCores of the memory section's instance, as AWS counts them."""
    return neuron_cores(core.instance or core.family, core.max_cores, core.lnc,
                        core.physical_cores)


def _percent(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.0%}"


def _grid_lines(memory: MemorySection, chosen: PerCoreUsage) -> list[str]:
    cells = [c for c in memory.fit_grid.cells
             if c.pp == chosen.pp and c.seq_len == chosen.seq_len]
    tps = sorted({c.tp for c in cells})[:_MAX_TP_COLUMNS]
    batches = sorted({c.batch for c in cells})
    if not tps or not batches:
        return []
    by_key = {(c.tp, c.batch): c for c in cells}
    largest = max(c.total_bytes for c in cells)
    unit, size = ("GiB", GIB) if largest >= GIB else ("MiB", MIB)
    lines = [f"  {unit}/core " + "".join(f"{'tp ' + str(tp):>9}" for tp in tps)]
    for batch in batches:
        row = f"  batch {batch:<3}"
        for tp in tps:
            cell = by_key.get((tp, batch))
            text = f"{cell.total_bytes / size:.1f} {MARKS[cell.status]}" if cell else "-"
            row += f"{text:>9}"
        lines.append(row)
    return lines


def _compute_lines(memory: MemorySection) -> list[str]:
    compute = memory.compute
    if not memory.activations_sized:
        return ["  compute: not sized (activations not sized)"]
    if not compute.flops or compute.step_flops is None:
        return []
    intensity = compute.arithmetic_intensity
    line = (f"  compute: {tera_flops(compute.step_flops)} per "
            f"{'step' if memory.mode == 'training' else 'forward pass'}"
            f"{f', {intensity} FLOP/byte' if intensity else ''}")
    lines = [line]
    for row in compute.roofline:
        if row.family == memory.core.family and row.dtype == memory.compute_dtype:
            lines.append(f"  roofline {row.family} {row.dtype} tp {row.tp}: "
                         f"{fixed_seconds(row.time_s)} ({row.bound or 'unknown'}-bound)")
            break
    return lines
