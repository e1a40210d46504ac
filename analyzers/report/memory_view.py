"""The report's ``memory`` section shaped for display: a TP × (sequence, batch) fit heatmap,
per-core component bars against usable HBM, FLOPs by module, tables of per-target figures and
the remaining numbers.

The section is a free-form object in the report schema and grows with the memory analysis,
so everything here reads it defensively: keys that are missing or of an unexpected type are
skipped, never an error, and figures not drawn elsewhere land in ``details``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

FIT_STATES = ("fits", "tight", "does-not-fit")
_FIT_ALIASES = {
    "fits": "fits", "fit": "fits", "ok": "fits", "yes": "fits", "true": "fits",
    "tight": "tight", "marginal": "tight",
    "does-not-fit": "does-not-fit", "does_not_fit": "does-not-fit", "no": "does-not-fit",
    "oom": "does-not-fit", "false": "does-not-fit", "over": "does-not-fit",
}
_GRID_KEYS = ("fit_grid", "grid")
_LIST_TITLES = {"targets": "Every target family", "roofline": "Roofline estimate",
                "sharding": "Sharding constraints"}
_DRAWN = {"fit_grid", "grid", "per_core", "components", "flops", "flops_by_module",
          "by_module", "assumptions", *_LIST_TITLES}
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
        spans: list[list] = []
        for group, _ in self.columns:
            if spans and spans[-1][0] == group:
                spans[-1][1] += 1
            else:
                spans.append([group, 1])
        return tuple((group, span) for group, span in spans)

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

    @property
    def empty(self) -> bool:
        return not (self.grid or self.components or self.flops or self.details or self.tables)


def human_bytes(number: float) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(number) >= size:
            return f"{number / size:.2f} {unit}"
    return f"{int(number)} B"


def human_flops(number: float) -> str:
    for unit, size in (("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6),
                       ("kFLOP", 1e3)):
        if abs(number) >= size:
            return f"{number / size:.2f} {unit}"
    return f"{int(number)} FLOP"


def human_seconds(number: float) -> str:
    for unit, size in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(number) >= size:
            return f"{number / size:.3g} {unit}"
    if not number:
        return "0 s"
    return f"{number * 1e9:.3g} ns" if abs(number) >= 1e-9 else "<1 ns"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def fit_state(value: Any) -> str:
    """A cell's fit as one of :data:`FIT_STATES`, or ``unknown``."""
    if isinstance(value, bool):
        return "fits" if value else "does-not-fit"
    return _FIT_ALIASES.get(str(value).strip().lower().replace(" ", "-"), "unknown")


def _cell_state(cell: dict) -> str:
    for key in ("status", "fit", "verdict", "state", "fits"):
        if key in cell:
            return fit_state(cell[key])
    return "unknown"


def _utilisation(cell: dict) -> float | None:
    return next((_number(cell[k]) for k in ("utilization", "utilisation") if k in cell), None)


def _grid_cells(memory: dict) -> list[dict]:
    for key in _GRID_KEYS:
        grid = memory.get(key)
        if isinstance(grid, dict):
            grid = grid.get("cells")
        if isinstance(grid, list):
            return [cell for cell in grid if isinstance(cell, dict) and "tp" in cell]
    return []


def chosen_layout(memory: Any) -> dict:
    """The layout the user asked for (``per_core`` or ``layout``), or {}."""
    memory = _dict(memory)
    return _dict(memory.get("per_core")) or _dict(memory.get("layout"))


def fit_grid(memory: dict) -> FitGrid | None:
    """The per-core fit cells at the chosen pipeline depth as a TP × (seq, batch) table."""
    cells = _grid_cells(memory)
    if not cells:
        return None
    chosen = chosen_layout(memory)
    pp = chosen.get("pp", min((c.get("pp", 1) for c in cells), default=1))
    cells = [c for c in cells if c.get("pp", 1) == pp] or cells
    columns = sorted({(c.get("seq_len") or 0, c.get("batch") or 0) for c in cells})
    tps = sorted({c["tp"] for c in cells}, key=lambda tp: _number(tp) or 0)
    by_key = {(c["tp"], c.get("seq_len") or 0, c.get("batch") or 0): c for c in cells}
    rows = []
    for tp in tps:
        row = []
        for seq, batch in columns:
            cell = by_key.get((tp, seq, batch))
            row.append(None if cell is None else _grid_cell(cell, chosen))
        rows.append((f"TP {tp}", tuple(row)))
    labels = tuple((f"seq {seq}" if seq else "", f"batch {batch}" if batch else "—")
                   for seq, batch in columns)
    return FitGrid(title=f"Fit per NeuronCore at PP {pp}", columns=labels, rows=tuple(rows))


def _percent(fraction: float) -> str:
    """A whole percentage, with '<1%' for a share that would round to nothing."""
    return "<1%" if 0 < fraction < 0.005 else f"{fraction * 100:.0f}%"


def _grid_cell(cell: dict, chosen: dict) -> GridCell:
    state = _cell_state(cell)
    used = _utilisation(cell)
    total = _number(cell.get("total_bytes", cell.get("bytes_per_core")))
    parts = [f"{human_bytes(total)} per core" if total is not None else "",
             f"{_percent(used)} of usable HBM" if used is not None else "", state]
    is_chosen = bool(chosen) and all(cell.get(k) == chosen.get(k)
                                     for k in ("tp", "pp", "batch", "seq_len") if k in chosen)
    return GridCell(state=state,
                    label=(_percent(used) if not (used == 0 and total) else "<1%")
                    if used is not None else state.replace("-", " "),
                    detail=", ".join(p for p in parts if p), chosen=is_chosen)


def layout_fit(memory: Any) -> str | None:
    """The fit of the chosen layout (``per_core`` status), or None when not known."""
    chosen = chosen_layout(memory)
    state = _cell_state(chosen) if chosen else "unknown"
    return None if state == "unknown" else state


def _named_values(value: Any) -> list[tuple[str, float]]:
    """``{"name": number}`` or ``[{"module"/"name": ..., "flops"/"bytes": number}]``."""
    pairs = []
    if isinstance(value, dict):
        pairs = [(str(k), _number(v)) for k, v in value.items()]
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                name = next((item[k] for k in ("module", "name", "component") if k in item), "")
                number = next((_number(item[k]) for k in ("flops", "bytes", "value")
                               if k in item), None)
                pairs.append((str(name), number))
    return [(name, number) for name, number in pairs if number is not None and number >= 0]


def _components(memory: dict) -> tuple[list[tuple[str, float]], float | None, str]:
    """Per-core components, the HBM they are measured against, and that line's label."""
    chosen = chosen_layout(memory)
    core = _dict(memory.get("core"))
    pairs = [(name.replace("_", " "), value) for name, value in
             _named_values(chosen.get("components") or memory.get("components")) if value > 0]
    usable = _number(chosen.get("usable_bytes")) or _number(core.get("usable_bytes_per_core"))
    if usable:
        return pairs, usable, "usable HBM per core"

    return pairs, _number(memory.get("hbm_per_core_bytes")), "HBM per core"


_NUMBERED = re.compile(r"^(.*)\.(\d+)$")


def _module_entries(value: Any) -> list[tuple[str, float, float | None]]:
    """(module, flops, share) from ``by_module`` as a list of objects or a name → number map."""
    entries = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                name = next((item[k] for k in ("module", "name") if k in item), "")
                flops = next((_number(item[k]) for k in ("flops", "value") if k in item), None)
                if flops is not None and flops >= 0:
                    entries.append((str(name), flops, _number(item.get("share"))))
    else:
        entries = [(name, flops, None) for name, flops in _named_values(value)]
    return entries


def _parent(name: str, names: set[str]) -> str | None:
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        candidate = ".".join(parts[:cut])
        if candidate in names:
            return candidate
    return None


def _module_tree(entries: list[tuple[str, float, float | None]], total: float | None,
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
            if len(siblings) >= 3 and len({flops[n] for n in siblings}) == 1:
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


def _natural(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def _flops(memory: dict) -> tuple[tuple[Bar, ...], float | None, tuple[Bar, ...]]:
    compute = _dict(memory.get("compute")) or _dict(memory.get("flops"))
    by_module = compute.get("by_module") or memory.get("flops_by_module")
    total = _number(compute.get("flops")) or _number(compute.get("total"))
    bars = _module_tree(_module_entries(by_module), total, _MAX_FLOP_MODULES)
    by_status = [(name, value) for name, value in _named_values(compute.get("flops_by_status"))
                 if value > 0]
    status_total = sum(value for _, value in by_status)
    statuses = tuple(Bar(label=name, value=value, fraction=value / status_total)
                     for name, value in by_status)
    return bars, total, statuses


def _format(key: str, value: Any) -> str | None:
    """A scalar with its unit, from its key's suffix; None for what is not a scalar."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    number = _number(value)
    if number is not None:
        if key.endswith("bytes") or key.endswith("bytes_per_core") or key == "bytes":
            return human_bytes(number)
        if key.endswith("flops"):
            return human_flops(number)
        if key in ("utilization", "utilisation", "share"):
            return f"{number * 100:.1f}%"
        if key.endswith("_s"):
            return human_seconds(number)
        return f"{value:,}" if isinstance(value, int) else f"{value:g}"
    if isinstance(value, str):
        return value.replace("_", " ") if key in ("status", "bound") else value
    if isinstance(value, list) and all(isinstance(v, int | float | str) for v in value):
        return ", ".join(str(v) for v in value)
    return None


def _table(title: str, items: Any) -> Table | None:
    rows = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    if not rows:
        return None
    headers = [key for key in rows[0] if _format(key, rows[0][key]) is not None]
    return Table(title=title,
                 headers=tuple(h.removesuffix("_s").replace("_", " ") for h in headers),
                 rows=tuple(tuple(_format(h, row.get(h)) or "—" for h in headers)
                            for row in rows))


def _tables(memory: dict) -> tuple[Table, ...]:
    compute = _dict(memory.get("compute"))
    found = (_table(title, memory.get(key, compute.get(key)))
             for key, title in _LIST_TITLES.items())
    return tuple(table for table in found if table is not None)


def _details(memory: dict) -> tuple[tuple[str, str], ...]:
    rows = []
    for key, value in memory.items():
        if key in _DRAWN:
            continue
        if isinstance(value, dict):
            for sub_key, sub_value in value.items():
                text = _format(sub_key, sub_value) if sub_key not in _DRAWN else None
                if text is not None:
                    rows.append((f"{key}.{sub_key}", text))
            continue
        text = _format(key, value)
        if text is not None:
            rows.append((key, text))
    return tuple(rows)


def _bars(pairs: list[tuple[str, float]], scale: float) -> tuple[Bar, ...]:
    scale = scale or 1.0
    return tuple(Bar(label=name, value=value, fraction=min(value / scale, 1.0))
                 for name, value in pairs)


def _chosen_text(memory: dict) -> str:
    """``TP 1 · batch 1 · seq 2048: 15.71 GiB, 67% of usable HBM — fits`` (or '')."""
    chosen = chosen_layout(memory)
    if not chosen:
        return ""
    layout = " · ".join(f"{label} {chosen[key]}" for key, label in
                        (("tp", "TP"), ("pp", "PP"), ("batch", "batch"), ("seq_len", "seq"))
                        if chosen.get(key))
    total, used = _number(chosen.get("total_bytes")), _utilisation(chosen)
    figures = ", ".join(part for part in (
        human_bytes(total) if total is not None else "",
        (f"{_percent(used) if used or not total else '<1%'} of usable HBM"
         if used is not None else "")) if part)
    state = layout_fit(memory)
    return f"{layout}: {figures}" + (f" — {state.replace('-', ' ')}" if state else "")


def memory_view(memory: Any) -> MemoryView:
    """What of ``memory`` can be drawn, and a table of the rest."""
    memory = _dict(memory)
    components, hbm, hbm_label = _components(memory)
    total = sum(value for _, value in components)
    flop_bars, flops_total, flops_by_status = _flops(memory)
    notes = memory.get("assumptions")
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
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (),
        details=_details(memory),
    )
