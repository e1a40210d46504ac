"""Per-core budgets read from the shipped knowledge base, and the engine-facing
``assess_memory`` on top of them."""

from __future__ import annotations

import pytest

from tests.analyzers.memory.memory_fixtures import GIB, llama7b_graph
from trnport.analyzers.kb import load_kb
from trnport.analyzers.memory import assess_memory
from trnport.analyzers.memory.hardware import (
    budget_from_target,
    compute_dtype_for,
)
from trnport.analyzers.options import AnalysisOptions

MB = 1000**2


@pytest.fixture(scope="module")
def kb():
    return load_kb()


def test_trn1_core_has_16_gib_less_microcode_and_a_scratchpad_page(kb):
    budget = budget_from_target(kb.target("trn1"))
    assert budget.hbm_bytes == 16 * GIB
    assert budget.usable_bytes == 16 * GIB - 96 * MB - 512 * MB
    assert budget.bandwidth == pytest.approx(820e9 / 2)
    assert budget.tflops["bf16"] == pytest.approx(190 / 2)
    assert budget.tflops["fp32"] == pytest.approx(47.5 / 2)


def test_trn2_logical_core_spans_two_physical_cores(kb):
    budget = budget_from_target(kb.target("trn2"))
    assert (budget.lnc, budget.hbm_bytes) == (2, 24 * GIB)
    assert budget.reserved_bytes == 2 * 96 * MB + 512 * MB
    single = budget_from_target(kb.target("trn2", lnc=1))
    assert (single.lnc, single.hbm_bytes, single.reserved_bytes) == (1, 12 * GIB,
                                                                     96 * MB + 512 * MB)


def test_tp_is_tried_up_to_the_logical_cores_of_the_instance_as_aws_counts_them(kb):
    assert budget_from_target(kb.target("trn1")).max_cores == 32
    assert budget_from_target(kb.target("inf2")).max_cores == 24
    assert budget_from_target(kb.target("inf2", "inf2.xlarge")).max_cores == 2
    trn2 = budget_from_target(kb.target("trn2"))  # trn2.48xlarge, not the UltraServer
    assert (trn2.instance, trn2.max_cores, trn2.physical_cores, trn2.lnc) == (
        "trn2.48xlarge", 64, 128, 2)


def test_fp32_matmuls_are_costed_in_bf16_only_where_the_profile_auto_casts(kb):
    current, older = kb.profile("2.32"), kb.profile("2.26")
    assert current.compiler_defaults["auto_cast"] == "none"
    assert compute_dtype_for("fp32", current) == "fp32"
    assert older.compiler_defaults["auto_cast"] == "matmult"
    assert compute_dtype_for("fp32", older) == "bf16"
    assert compute_dtype_for("bf16", older) == "bf16"


def test_assess_memory_fits_llama7b_per_family(kb):
    options = AnalysisOptions(target="trn1", dtype="fp32")
    result = assess_memory(llama7b_graph(), kb, kb.profile(None), kb.target("trn1"), options)
    assert result.smallest_tp == 2 and result.budget.max_cores == 32
    smallest = {fit.budget.family: fit.smallest_tp for fit in result.targets}
    assert smallest == {"trn1": 2, "trn1n": 2, "inf2": 2, "trn2": 2, "trn3": 1}
    chosen = assess_memory(llama7b_graph(), kb, kb.profile(None),
                           kb.target("inf2", "inf2.xlarge"),
                           AnalysisOptions(target="inf2", instance="inf2.xlarge", dtype="fp32"))
    assert chosen.axes["tp"] == (1, 2)
