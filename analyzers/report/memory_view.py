"""The report's memory section shaped for display: a TP × (sequence, batch) fit heatmap,
per-core component bars against usable HBM, FLOPs by module, tables of per-target figures and
every remaining figure.

Tables and the list of remaining figures walk the section's dataclasses, so a figure the
memory stage adds shows up without a change here; a figure's unit follows its field's name
(``*_bytes``, ``*flops``, ``*_s``, ``utilization``, ``share``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trnport.analyzers.report.memory_text import instance_cores
from trnport.analyzers.results.memory import FitCell, MemorySection, PerCoreUsage
from trnport.analyzers.results.units import human_bytes, human_flops, human_seconds

FIT_STATES = ("fits", "tight", "does-not-fit")
_FIT_STATES = {"fits": "fits", "tight": "tight", "does_not_fit": "does-not-fit"}
# drawn elsewhere on the page, so left out of the list of remaining figures
_DRAWN = {"fit_grid", "per_core", "components", "flops", "by_module", "assumptions",
          "targets", "roofline", "sharding"}
_MAX_FLOP_MODULES = 20


@dataclass(frozen=True)
class GridCell:
    state: str  # one of FIT_STATES or "unknown"
    label: str
    detail: str
    chosen: bool = False


@dataclass(frozen=True)
class FitGrid:
    """Rows are TP degrees; columns are (group, label) pairs — sequence length and batch."""

    title: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[str, tuple[GridCell | None, ...]], ...]

    @property
    def groups(self) -> tuple[tuple[str, int], ...]:
        """Column groups with their spans, for a two-row table header."""
        spans: list[tuple[str, int]] = []
        for group, _ in self.columns:
            if spans and spans[-1][0] == group:
                spans[-1] = (group, spans[-1][1] + 1)
            else:
                spans.append((group, 1))
        return tuple(spans)

    @property
    def panels(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """One small table per column group (sequence length), so wide grids wrap."""
        panels: dict[str, list[int]] = {}
        for index, (group, _) in enumerate(self.columns):
            panels.setdefault(group, []).append(index)
        return tuple((group, tuple(indices)) for group, indices in panels.items())


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    fraction: float  # of the scale the bars are drawn against, 0..1
    depth: int = 0  # nesting under the modules listed above it
    share: float | None = None  # of the whole model's FLOPs
    repeat: int = 1  # identical numbered siblings drawn as one row (value is each one's)


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class MemoryView:
    grid: FitGrid | None
    components: tuple[Bar, ...]
    hbm_bytes: float | None
    hbm_label: str
    components_total: float
    chosen: str
    flops: tuple[Bar, ...]
    flops_total: float | None
    flops_by_status: tuple[Bar, ...]
    hbm_share: float | None  # components total over the HBM line
    tables: tuple[Table, ...]
    notes: tuple[str, ...]
    details: tuple[tuple[str, str], ...]
    cores: str = ""  # the instance's NeuronCores as AWS counts them

    @property
    def empty(self) -> bool:
        return not (self.grid or self.components or self.flops or self.details or self.tables)


_EMPTY = MemoryView(grid=None, components=(), hbm_bytes=None, hbm_label="HBM per core",
                    components_total=0, chosen="", flops=(), flops_total=None,
                    flops_by_status=(), hbm_share=None, tables=(), notes=(), details=())


def fit_state(status: str) -> str:
    """A fit status (``does_not_fit``) as one of :data:`FIT_STATES`, or ``unknown``."""
    return _FIT_STATES.get(status, "unknown")


def fit_grid(memory: MemorySection) -> FitGrid | None:
    """The per-core fit cells at the chosen pipeline depth as a TP × (seq, batch) table."""
    cells = list(memory.fit_grid.cells)
    if not cells:
        return None
    chosen = memory.per_core
    pp = chosen.pp
    cells = [c for c in cells if c.pp == pp] or cells
    columns = sorted({(c.seq_len or 0, c.batch or 0) for c in cells})
    tps = sorted({c.tp for c in cells})
    by_key = {(c.tp, c.seq_len or 0, c.batch or 0): c for c in cells}
    rows = []
    for tp in tps:
        row = []
        for seq, batch in columns:
            cell = by_key.get((tp, seq, batch))
            row.append(None if cell is None else _grid_cell(cell, chosen))
        rows.append((f"TP {tp}", tuple(row)))
    labels = tuple((f"seq {seq}" if seq else "", f"batch {batch}" if batch else "—")
                   for seq, batch in columns)
    basis = "" if memory.activations_sized else f" ({memory.fit_basis})"
    return FitGrid(title=f"Fit per NeuronCore at PP {pp}{basis}", columns=labels,
                   rows=tuple(rows))


def _percent(fraction: float) -> str:
    """A whole percentage, with '<1%' for a share that would round to nothing."""
    return "<1%" if 0 < fraction < 0.005 else f"{fraction * 100:.0f}%"


def _grid_cell(cell: FitCell, chosen: PerCoreUsage) -> GridCell:
    state = fit_state(cell.status)
    used = cell.utilization
    total = float(cell.total_bytes)
    parts = [f"{human_bytes(total)} per core",
             f"{_percent(used)} of usable HBM" if used is not None else "", state]
    is_chosen = (cell.tp, cell.pp, cell.batch, cell.seq_len) == (
        chosen.tp, chosen.pp, chosen.batch, chosen.seq_len)
    return GridCell(state=state,
                    label=(_percent(used) if not (used == 0 and total) else "<1%")
                    if used is not None else state.replace("-", " "),
                    detail=", ".join(p for p in parts if p), chosen=is_chosen)


def layout_fit(memory: MemorySection | None) -> str | None:
    """The fit of the chosen layout as one of :data:`FIT_STATES`, or None when not known."""
    if memory is None:
        return None
    state = fit_state(memory.per_core.status)
    return None if state == "unknown" else state


def _components(memory: MemorySection) -> tuple[list[tuple[str, float]], float | None, str]:
    """Per-core components, the HBM they are measured against, and that line's label."""
    chosen = memory.per_core
    pairs = [(name.replace("_", " "), float(value))
             for name, value in chosen.components.items() if value > 0]
    usable = float(chosen.usable_bytes) or float(memory.core.usable_bytes_per_core)
    if usable:
        return pairs, usable, "usable HBM per core"
    return pairs, None, "HBM per core"


_NUMBERED = re.compile(r"^(.*)\.(\d+)$")


def _parent(name: str, names: set[str]) -> str | None:
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        candidate = ".".join(parts[:cut])
        if candidate in names:
            return candidate
    return None


def _module_tree(entries: Sequence[tuple[str, float, float | None]], total: float | None,
                 limit: int) -> tuple[Bar, ...]:
    """Modules in tree order (children under their parent, heaviest first), numbered
    siblings with equal FLOPs (``layers.0`` … ``layers.31``) folded into one row."""
    flops = {name: value for name, value, _ in entries}
    shares = {name: share for name, _, share in entries}
    names = set(flops)
    children: dict[str | None, list[str]] = {}
    for name in flops:
        children.setdefault(_parent(name, names), []).append(name)
    scale = total or max(flops.values(), default=0.0) or 1.0
    rows: list[Bar] = []

    def share_of(name: str) -> float | None:
        # from the total when known (the engine's share is rounded), else the engine's
        return flops[name] / total if total else shares.get(name)

    def visit(parent: str | None, depth: int) -> None:
        kids = sorted(children.get(parent, []), key=lambda n: (-flops[n], _natural(n)))
        folded: dict[str, list[str]] = {}
        for kid in kids:
            match = _NUMBERED.match(kid)
            if match:
                folded.setdefault(match.group(1), []).append(kid)
        shown: set[str] = set()
        for kid in kids:
            if kid in shown or len(rows) >= limit:
                continue
            match = _NUMBERED.match(kid)
            siblings = folded.get(match.group(1), []) if match else []
            if match and len(siblings) >= 3 and len({flops[n] for n in siblings}) == 1:
                ordered = sorted(siblings, key=_natural)
                shown.update(ordered)
                first = ordered[0]
                rows.append(Bar(label=f"{match.group(1)}.*", value=flops[first],
                                fraction=min(flops[first] / scale, 1.0), depth=depth,
                                share=share_of(first),
                                repeat=len(ordered)))
                continue
            shown.add(kid)
            rows.append(Bar(label=kid, value=flops[kid], fraction=min(flops[kid] / scale, 1.0),
                            depth=depth, share=share_of(kid)))
            visit(kid, depth + 1)

    visit(None, 0)
    return tuple(rows)


def _natural(name: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def _flops(memory: MemorySection) -> tuple[tuple[Bar, ...], float | None, tuple[Bar, ...]]:
    compute = memory.compute
    total = float(compute.flops or 0) or None
    entries = [(row.module, float(row.flops), float(row.share)) for row in compute.by_module
               if row.flops >= 0]
    bars = _module_tree(entries, total, _MAX_FLOP_MODULES)
    by_status = [(name, float(value)) for name, value in (compute.flops_by_status or {}).items()
                 if value > 0]
    status_total = sum(value for _, value in by_status)
    statuses = tuple(Bar(label=name, value=value, fraction=value / status_total)
                     for name, value in by_status)
    return bars, total, statuses


def _format(name: str, value: Any) -> str | None:
    """A scalar with its unit, from its field's name; None for what is not a scalar."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        number = float(value)
        if name.endswith("bytes") or name.endswith("bytes_per_core") or name == "bytes":
            return human_bytes(number)
        if name.endswith("flops"):
            return human_flops(number)
        if name in ("utilization", "share"):
            return f"{number * 100:.1f}%"
        if name.endswith("_s"):
            return human_seconds(number)
        return f"{value:,}" if isinstance(value, int) else f"{value:g}"
    if isinstance(value, str):
        return value.replace("_", " ") if name in ("status", "bound") else value
    if isinstance(value, list | tuple) and all(isinstance(v, int | float | str) for v in value):
        return ", ".join(str(v) for v in value)
    return None


def _fields(item: Any) -> list[tuple[str, Any]]:
    return [(field.name, getattr(item, field.name)) for field in dataclasses.fields(item)]


def _table(title: str, items: Sequence[Any]) -> Table | None:
    """One row per item, one column per field the first item has a scalar for."""
    if not items:
        return None
    headers = [name for name, value in _fields(items[0]) if _format(name, value) is not None]
    return Table(title=title,
                 headers=tuple(h.removesuffix("_s").replace("_", " ") for h in headers),
                 rows=tuple(tuple(_format(h, getattr(item, h)) or "—" for h in headers)
                            for item in items))


def _tables(memory: MemorySection) -> tuple[Table, ...]:
    found = (_table("Every target family", memory.targets),
             _table("Roofline estimate", memory.compute.roofline),
             _table("Sharding constraints", memory.sharding))
    return tuple(table for table in found if table is not None)


def _details(memory: MemorySection) -> tuple[tuple[str, str], ...]:
    """Every figure not drawn elsewhere, one level into each part, as (path, text)."""
    rows = []
    for name, value in _fields(memory):
        if name in _DRAWN:
            continue
        if dataclasses.is_dataclass(value) or isinstance(value, Mapping):
            parts = _fields(value) if dataclasses.is_dataclass(value) else [
                (str(key), item) for key, item in value.items()]
            for sub_name, sub_value in parts:
                text = _format(sub_name, sub_value) if sub_name not in _DRAWN else None
                if text is not None:
                    rows.append((f"{name}.{sub_name}", text))
            continue
        text = _format(name, value)
        if text is not None:
            rows.append((name, text))
    return tuple(rows)


def _bars(pairs: list[tuple[str, float]], scale: float) -> tuple[Bar, ...]:
    scale = scale or 1.0
    return tuple(Bar(label=name, value=value, fraction=min(value / scale, 1.0))
                 for name, value in pairs)


def _chosen_text(memory: MemorySection) -> str:
    """``TP 1 · batch 1 · seq 2048: 15.71 GiB, 67% of usable HBM — fits``."""
    chosen = memory.per_core
    layout = " · ".join(f"{label} {value}" for value, label in
                        ((chosen.tp, "TP"), (chosen.pp, "PP"), (chosen.batch, "batch"),
                         (chosen.seq_len, "seq")) if value)
    total, used = float(chosen.total_bytes), chosen.utilization
    figures = ", ".join(part for part in (
        human_bytes(total),
        (f"{_percent(used) if used or not total else '<1%'} of usable HBM"
         if used is not None else "")) if part)
    state = layout_fit(memory)
    chosen_by = (" (the smallest layout that fits, chosen by the analysis)"
                 if memory.layout.source == "auto" and chosen.tp * chosen.pp > 1 else "")
    if not memory.activations_sized and state != "does-not-fit":
        return f"{layout}{chosen_by}: {figures} — {memory.fit_basis}"
    return (f"{layout}{chosen_by}: {figures}"
            + (f" — {state.replace('-', ' ')}" if state else ""))


def memory_view(memory: MemorySection | None) -> MemoryView:
    """What of ``memory`` can be drawn, and a table of the rest."""
    if memory is None:
        return _EMPTY
    components, hbm, hbm_label = _components(memory)
    total = sum(value for _, value in components)
    flop_bars, flops_total, flops_by_status = _flops(memory)
    return MemoryView(
        grid=fit_grid(memory),
        components=_bars(components, max(total, hbm or 0.0)),
        hbm_bytes=hbm,
        hbm_label=hbm_label,
        components_total=total,
        chosen=_chosen_text(memory),
        flops=flop_bars,
        flops_total=flops_total,
        flops_by_status=flops_by_status,
        hbm_share=total / hbm if hbm and components else None,
        tables=_tables(memory),
        notes=tuple(memory.assumptions),
        details=_details(memory),
        cores=instance_cores(memory.core),
    )
