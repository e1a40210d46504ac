"""Per-NeuronCore fit: the 7B figures against a trn1 core, the grid, smallest TP, largest batch."""

from __future__ import annotations

import dataclasses

from tests.analyzers.memory.memory_fixtures import GIB, TRN1_CORE, TRN2_CORE, llama7b_graph
from trnport.analyzers.memory.assessment import estimate_memory
from trnport.analyzers.memory.fit import (
    DOES_NOT_FIT,
    FITS,
    TIGHT,
    TIGHT_FRACTION,
    Layout,
    nearby_values,
    pp_values,
    tp_values,
)
from trnport.analyzers.memory.hardware import MB
from trnport.analyzers.memory.section import memory_section
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.report.memory_text import render_memory


def test_usable_hbm_subtracts_microcode_per_physical_core_and_a_scratchpad_page():
    assert TRN1_CORE.usable_bytes == 16 * GIB - 96 * 1000**2 - 512 * 1000**2
    # a trn2 logical core at LNC=2 spans two physical cores: two microcode images
    assert TRN2_CORE.reserved_bytes == 2 * 96 * MB + 512 * MB


def test_llama7b_in_fp32_cannot_fit_one_16_gib_trn1_core():
    result = estimate_memory(llama7b_graph(), AnalysisOptions(target="trn1", tp=1, dtype="fp32"),
                             TRN1_CORE)
    weights = result.chosen.components["weights"]
    assert round(weights / GIB, 1) == 25.1
    assert weights > TRN1_CORE.hbm_bytes
    assert result.chosen.status == DOES_NOT_FIT
    assert result.smallest_tp == 2
    assert result.largest_batch[1] == 0


def test_llama7b_in_bf16_fits_one_trn1_core_at_a_short_context():
    result = estimate_memory(llama7b_graph(), AnalysisOptions(target="trn1", tp=1, dtype="bf16"),
                             TRN1_CORE)
    usage = result.chosen
    # 12.55 GiB of weights + the 128-token KV cache: 2·32·128·32·128·2 B = 64 MiB
    assert usage.components["kv_cache"] == 64 * 1024**2
    assert usage.total_bytes == usage.components["weights"] + usage.components["kv_cache"] + \
        usage.components["buffers"] + usage.components["activations"]
    assert usage.status == FITS and result.smallest_tp == 1


def test_a_long_context_makes_the_same_model_tight_then_not_fit():
    graph = llama7b_graph()
    options = AnalysisOptions(target="trn1", tp=1, dtype="bf16", seq_len=4096)
    result = estimate_memory(graph, options, TRN1_CORE)
    # 12.55 GiB weights + 2 GiB KV cache at 4096 tokens = 14.55 GiB of 15.43 usable
    assert result.chosen.components["kv_cache"] == 2 * GIB
    assert result.chosen.status == TIGHT
    assert TIGHT_FRACTION < result.chosen.utilization <= 1
    bigger = estimate_memory(graph, dataclasses.replace(options, batch=2), TRN1_CORE)
    assert bigger.chosen.status == DOES_NOT_FIT


def test_grid_covers_every_tp_pp_batch_and_length_and_tp_halves_the_weights():
    result = estimate_memory(llama7b_graph(), AnalysisOptions(target="trn1", tp=1, dtype="bf16",
                                                              batch=4, seq_len=1024),
                             TRN1_CORE)
    axes = result.axes
    assert axes["tp"] == (1, 2, 4, 8, 16, 32)
    assert axes["batch"] == (1, 2, 4, 8, 16)
    assert axes["seq_len"] == (256, 512, 1024, 2048, 4096)  # capped at the 4096 positions
    assert 1 in axes["pp"] and 2 in axes["pp"]
    assert len(result.grid) == len(axes["tp"]) * len(axes["pp"]) * len(axes["batch"]) * \
        len(axes["seq_len"])
    cells = {(c.layout.tp, c.layout.pp, c.layout.batch, c.layout.seq_len): c
             for c in result.grid}
    one, two = cells[(1, 1, 4, 1024)], cells[(2, 1, 4, 1024)]
    assert two.components["weights"] == one.components["weights"] // 2
    assert two.components["kv_cache"] == one.components["kv_cache"] // 2
    assert cells[(1, 2, 4, 1024)].components["weights"] == one.components["weights"] // 2


def test_largest_batch_per_tp_is_the_boundary_of_the_grid():
    result = estimate_memory(llama7b_graph(), AnalysisOptions(target="trn1", tp=1, dtype="bf16",
                                                              seq_len=2048), TRN1_CORE)
    model = result.model
    previous = -1
    for tp, batch in result.largest_batch.items():
        assert batch >= previous
        previous = batch
        if batch:
            assert model.usage(Layout(tp, 1, batch, 2048)).fits
        assert not model.usage(Layout(tp, 1, batch + 1, 2048)).fits


def test_training_adds_gradients_optimizer_state_and_master_weights():
    graph = llama7b_graph()
    options = AnalysisOptions(target="trn2", dtype="bf16", mode="training", tp=8)
    result = estimate_memory(graph, options, TRN2_CORE)
    parts = result.chosen.components
    params = 6_738_415_616
    assert parts["weights"] == -(-2 * params // 8)
    assert parts["gradients"] == -(-2 * params // 8)
    assert parts["optimizer"] == -(-8 * params // 8)
    assert parts["master_weights"] == -(-4 * params // 8)
    assert "kv_cache" not in parts
    sharded = estimate_memory(graph, dataclasses.replace(options, zero1=True, dp=4), TRN2_CORE)
    assert sharded.chosen.components["optimizer"] == -(-8 * params // 32)


def test_report_section_has_the_grid_and_the_recommendation():
    result = estimate_memory(llama7b_graph(), AnalysisOptions(target="trn1", tp=1, dtype="fp32"),
                             TRN1_CORE, other_budgets=[TRN2_CORE])
    section = memory_section(result)
    assert section.smallest_tp == 2
    assert section.per_core.status == DOES_NOT_FIT
    assert section.fit_grid.tight_threshold == TIGHT_FRACTION
    assert {c.status for c in section.fit_grid.cells} <= {FITS, TIGHT, DOES_NOT_FIT}
    assert len(section.fit_grid.cells) == len(result.grid)
    assert [t.family for t in section.targets] == ["trn1", "trn2"]
    assert section.targets[1].smallest_tp == 2  # 25.1 GiB > 24 GiB per trn2 core
    assert section.parameters.parameters == 6_738_415_616
    assert section.largest_batch_per_tp == dict(result.largest_batch)


def test_text_grid_marks_fit_tight_and_overflow():
    result = estimate_memory(llama7b_graph(), AnalysisOptions(target="trn1", tp=1, dtype="fp32"),
                             TRN1_CORE)
    text = "\n".join(render_memory(memory_section(result)))
    assert "smallest TP that fits: 2" in text
    assert "DOES NOT FIT" in text
    header = next(line for line in text.splitlines() if "tp 32" in line)
    assert header.split()[1:3] == ["tp", "1"]


def test_axis_values_around_the_users_choice():
    assert tp_values(24, 1) == [1, 2, 4, 8, 16, 24]  # inf2.48xlarge has 24 cores
    assert tp_values(32, 3) == [1, 2, 3, 4, 8, 16, 32]
    assert nearby_values(1) == [1, 2, 4, 8, 16]
    assert nearby_values(8) == [2, 4, 8, 16, 32]
    assert nearby_values(512, limit=1024) == [128, 256, 512, 1024]
    assert pp_values(1, 2) == [1, 2]
