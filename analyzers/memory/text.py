"""The memory section as a few lines of plain text: the chosen layout, a TP × batch grid at the
chosen PP stages and sequence length, and the compute estimate. Works on the JSON dict, so a
renderer holding only a report can call it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MARKS = {"fits": "+", "tight": "~", "does_not_fit": "x"}
GIB = 1024**3
_MAX_TP_COLUMNS = 8


def human_bytes(number: float) -> str:
    for unit, size in (("GiB", GIB), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(number) >= size:
            return f"{number / size:.2f} {unit}"
    return f"{int(number)} B"


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} us"


def render_memory(memory: Mapping[str, Any]) -> list[str]:
    """Text lines for the ``memory`` section of a report (empty when there is none)."""
    if not memory or "per_core" not in memory:
        return []
    core, chosen = memory["core"], memory["per_core"]
    seq = f", seq {chosen['seq_len']}" if chosen.get("seq_len") else ""
    lines = [
        f"MEMORY per NeuronCore ({core['family']}: {human_bytes(core['usable_bytes_per_core'])}"
        f" usable of {human_bytes(core['hbm_bytes_per_core'])}; {memory['dtype']} "
        f"{memory['mode']}; pp {chosen['pp']}{seq}):",
        f"  tp {chosen['tp']}, batch {chosen['batch']}: {human_bytes(chosen['total_bytes'])}"
        f" = {_percent(chosen['utilization'])} -> {chosen['status'].replace('_', ' ').upper()}",
        "    " + " · ".join(f"{name} {human_bytes(size)}"
                           for name, size in chosen["components"].items() if size),
    ]
    lines += _grid_lines(memory, chosen)
    lines.append(f"  ({MARKS['fits']} fits, {MARKS['tight']} tight above "
                 f"{memory['fit_grid']['tight_threshold']:.0%} of usable HBM, "
                 f"{MARKS['does_not_fit']} does not fit)")
    smallest = memory.get("smallest_tp")
    limit = memory.get("batch_search_limit")
    largest = ", ".join(f"tp {tp}: {batch}{'+' if batch == limit else ''}"
                        for tp, batch in memory.get("largest_batch_per_tp", {}).items())
    fitting = smallest if smallest else f"none up to {core['max_cores']}"
    lines.append(f"  smallest TP that fits: {fitting}")
    if largest:
        lines.append(f"  largest batch per TP: {largest}")
    lines += _compute_lines(memory)
    return lines


def _percent(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.0%}"


def _grid_lines(memory: Mapping[str, Any], chosen: Mapping[str, Any]) -> list[str]:
    cells = [c for c in memory["fit_grid"]["cells"]
             if c["pp"] == chosen["pp"] and c["seq_len"] == chosen["seq_len"]]
    tps = sorted({c["tp"] for c in cells})[:_MAX_TP_COLUMNS]
    batches = sorted({c["batch"] for c in cells})
    if not tps or not batches:
        return []
    by_key = {(c["tp"], c["batch"]): c for c in cells}
    largest = max(c["total_bytes"] for c in cells)
    unit, size = ("GiB", GIB) if largest >= GIB else ("MiB", 2**20)
    lines = [f"  {unit}/core " + "".join(f"{'tp ' + str(tp):>9}" for tp in tps)]
    for batch in batches:
        row = f"  batch {batch:<3}"
        for tp in tps:
            cell = by_key.get((tp, batch))
            text = f"{cell['total_bytes'] / size:.1f} {MARKS[cell['status']]}" if cell else "-"
            row += f"{text:>9}"
        lines.append(row)
    return lines


def _compute_lines(memory: Mapping[str, Any]) -> list[str]:
    compute = memory.get("compute") or {}
    if not compute.get("flops"):
        return []
    intensity = compute.get("arithmetic_intensity")
    line = (f"  compute: {compute['step_flops'] / 1e12:.3g} TFLOP per "
            f"{'step' if memory['mode'] == 'training' else 'forward pass'}"
            f"{f', {intensity} FLOP/byte' if intensity else ''}")
    lines = [line]
    for row in compute.get("roofline", []):
        if row["family"] == memory["core"]["family"] and row["dtype"] == memory["compute_dtype"]:
            lines.append(f"  roofline {row['family']} {row['dtype']} tp {row['tp']}: "
                         f"{_seconds(row['time_s'])} ({row['bound'] or 'unknown'}-bound)")
            break
    return lines
