"""The memory section becomes a heatmap, bars and tables; every figure not drawn lands in a
list of figures with its unit."""

from __future__ import annotations

import dataclasses

import pytest

from tests.analyzers.report.report_samples import (
    GIB,
    SAMPLE_MEMORY,
    SVG_MODULE,
    USABLE,
    with_flops_by_status,
    with_per_core,
)
from trnport.analyzers.report.memory_view import fit_state, layout_fit, memory_view
from trnport.analyzers.results.memory import FitCell, ModuleFlops, RooflineRow


def test_fit_grid_is_tp_rows_by_sequence_and_batch_at_the_chosen_pp():
    view = memory_view(SAMPLE_MEMORY)
    grid = view.grid
    assert grid.title == "Fit per NeuronCore at PP 1"
    assert [label for label, _ in grid.rows] == ["TP 1", "TP 2", "TP 4", "TP 8"]
    assert grid.groups == (("seq 1024", 3), ("seq 2048", 3))
    assert [label for _, label in grid.columns] == ["batch 1", "batch 4", "batch 16"] * 2
    cells = {(c.tp, c.seq_len, c.batch): c for c in SAMPLE_MEMORY.fit_grid.cells if c.pp == 1}
    seen = 0
    for (label, row) in grid.rows:
        tp = int(label.split()[1])
        for (group, column), cell in zip(grid.columns, row, strict=True):
            source = cells[(tp, int(group.split()[1]), int(column.split()[1]))]
            assert cell.state == fit_state(source.status)
            assert cell.label == f"{source.utilization * 100:.0f}%"
            seen += 1
    assert seen == len(cells)
    chosen = [c for _, row in grid.rows for c in row if c.chosen]
    assert len(chosen) == 1 and grid.rows[0][1][3].chosen  # TP 1, seq 2048, batch 1
    assert {c.state for _, row in grid.rows for c in row} == {"fits", "tight", "does-not-fit"}


def test_per_core_components_are_drawn_against_usable_hbm():
    view = memory_view(SAMPLE_MEMORY)
    components = SAMPLE_MEMORY.per_core.components
    assert [b.label for b in view.components] == [k.replace("_", " ") for k in components]
    assert view.hbm_bytes == USABLE
    assert view.hbm_label == "usable HBM per core"
    assert view.components_total == sum(components.values())
    assert sum(b.fraction for b in view.components) == pytest.approx(
        view.components_total / USABLE)
    assert view.chosen == "TP 1 · PP 1 · batch 1 · seq 2048: 16.83 GiB, 73% of usable HBM " \
                          "— fits"


def test_without_usable_hbm_components_are_drawn_without_a_line():
    memory = dataclasses.replace(
        with_per_core(SAMPLE_MEMORY, usable_bytes=0),
        core=dataclasses.replace(SAMPLE_MEMORY.core, usable_bytes_per_core=0))
    view = memory_view(memory)
    assert view.hbm_bytes is None and view.hbm_label == "HBM per core"
    assert view.hbm_share is None and view.components


def test_flops_by_module_are_a_tree_heaviest_first_with_shares_of_the_model():
    view = memory_view(SAMPLE_MEMORY)
    rows = [(b.label, b.depth) for b in view.flops]
    # children directly under their parent; siblings heaviest first
    assert rows[:2] == [("model.layers", 0), ("model.layers.0", 1)]
    assert [label for label, depth in rows if depth == 0] == [
        "model.layers", "lm_head", SVG_MODULE, "model.embed_tokens"]
    total = SAMPLE_MEMORY.compute.flops
    assert view.flops_total == total
    assert view.flops[0].share == pytest.approx(0.9347, abs=1e-3)
    assert view.flops[0].fraction == pytest.approx(30_823_067_942_912 / total)


def _modules(*rows: tuple[str, int, float]) -> tuple[ModuleFlops, ...]:
    return tuple(ModuleFlops(module=name, flops=flops, share=share, bytes_moved=0,
                             intensity=None) for name, flops, share in rows)


def test_numbered_siblings_with_equal_flops_fold_into_one_row():
    layers = [(f"model.layers.{i}", 50, 0.05) for i in range(32)]
    compute = dataclasses.replace(SAMPLE_MEMORY.compute, flops=2000, by_module=_modules(
        ("model", 1900, 0.95), ("model.layers", 1600, 0.8), *layers, ("lm_head", 100, 0.05)))
    view = memory_view(dataclasses.replace(SAMPLE_MEMORY, compute=compute))
    labels = [(b.label, b.depth, b.repeat) for b in view.flops]
    assert labels == [("model", 0, 1), ("model.layers", 1, 1), ("model.layers.*", 2, 32),
                      ("lm_head", 0, 1)]
    assert view.flops[2].value == 50


def test_flops_by_status_and_share_of_hbm():
    view = memory_view(with_flops_by_status(SAMPLE_MEMORY, {"supported": 90,
                                                            "cpu_fallback": 10}))
    assert [(b.label, b.fraction) for b in view.flops_by_status] == [
        ("supported", 0.9), ("cpu_fallback", 0.1)]
    assert view.hbm_share == pytest.approx(view.components_total / USABLE)


def test_roofline_times_carry_a_readable_unit():
    rows = (RooflineRow(family="trn2", dtype="bf16", tp=1, compute_s=0.0305,
                        memory_s=5.25e-05, time_s=2.44e-08, bound="compute"),
            RooflineRow(family="trn1", dtype="bf16", tp=1, compute_s=1.5, memory_s=0.0,
                        time_s=7.07e-13, bound=None))
    compute = dataclasses.replace(SAMPLE_MEMORY.compute, roofline=rows)
    tables = {t.title: t for t in memory_view(
        dataclasses.replace(SAMPLE_MEMORY, compute=compute)).tables}
    table = tables["Roofline estimate"]
    assert table.headers == ("family", "dtype", "tp", "compute", "memory", "time", "bound")
    assert [row[3:] for row in table.rows] == [("30.5 ms", "52.5 µs", "24.4 ns", "compute"),
                                               ("1.5 s", "0 s", "<1 ns", "—")]


def test_targets_roofline_and_sharding_become_tables_with_units():
    tables = {t.title: t for t in memory_view(SAMPLE_MEMORY).tables}
    assert list(tables) == ["Every target family", "Roofline estimate", "Sharding constraints"]
    targets = tables["Every target family"]
    assert targets.headers[:4] == ("family", "instance", "usable bytes per core", "max cores")
    assert targets.rows[1][targets.headers.index("status")] == "does not fit"
    assert targets.rows[1][targets.headers.index("utilization")] == "112.0%"
    assert targets.rows[0][2] == "23.00 GiB"
    roofline = tables["Roofline estimate"]
    assert roofline.rows[0][roofline.headers.index("time")] == "198 ms"


def test_remaining_figures_land_in_details_with_units():
    details = dict(memory_view(SAMPLE_MEMORY).details)
    assert details["parameters.parameter_bytes"] == "14.96 GiB"
    assert details["kv_cache.bytes"] == "256.00 MiB"
    assert details["instructions.at_risk"] == "yes"
    assert details["compute.arithmetic_intensity"] == "706.59"
    assert details["largest_batch_per_tp.8"] == "128"
    assert details["training_state"] == "—"
    assert not any(key.startswith(("fit_grid", "per_core", "targets")) for key in details)
    assert "compute.by_module" not in details and "core.tflops_per_core" not in details


def test_a_report_without_memory_analysis_has_an_empty_view():
    view = memory_view(None)
    assert view.empty and view.grid is None and view.components == () and view.flops == ()
    assert view.tables == () and view.hbm_share is None
    assert layout_fit(None) is None


def test_fit_states_and_the_chosen_layout():
    assert [fit_state(v) for v in ("fits", "does_not_fit", "tight", "??")] == [
        "fits", "does-not-fit", "tight", "unknown"]
    assert layout_fit(SAMPLE_MEMORY) == "fits"
    assert layout_fit(with_per_core(SAMPLE_MEMORY, status="does_not_fit")) == "does-not-fit"


def test_a_share_that_rounds_to_nothing_reads_less_than_one_percent():
    def cell(tp: int, batch: int, total: int, used: float) -> FitCell:
        return FitCell(tp=tp, pp=1, batch=batch, seq_len=None, total_bytes=total,
                       utilization=used, status="fits")

    memory = dataclasses.replace(
        with_per_core(SAMPLE_MEMORY, batch=1, seq_len=None, total_bytes=180_000,
                      utilization=0.0),
        fit_grid=dataclasses.replace(SAMPLE_MEMORY.fit_grid, cells=(
            cell(1, 1, 180_000, 0.0), cell(1, 2, 0, 0.0), cell(2, 1, 9 * GIB, 0.004))))
    view = memory_view(memory)
    labels = [[cell.label if cell else None for cell in cells] for _, cells in view.grid.rows]
    assert labels == [["<1%", "0%"], ["<1%", None]]
    assert "<1% of usable HBM" in view.chosen
