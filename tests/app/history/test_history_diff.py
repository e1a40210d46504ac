"""Matching findings across sessions: same code, ops and place; moved lines still match."""

from __future__ import annotations

from tests.app.history.history_samples import finding, memory_section, report
from trnport.app.history.convert import unsaved_detail
from trnport.app.history.diff import compare, match_findings


def _stored(*findings):
    return unsaved_detail(report("/m.onnx", findings)).findings


def test_a_finding_whose_line_moved_is_still_open_not_fixed_and_new():
    fixed, new, still = match_findings(_stored(finding("TRN101", "aten.a", line=10)),
                                       _stored(finding("TRN101", "aten.a", line=25)))
    assert (fixed, new) == ((), ())
    assert [f.location_line for f in still] == [25]


def test_the_same_code_in_another_module_or_on_another_op_is_a_different_finding():
    before = _stored(finding("TRN101", "aten.a", module="Net.encoder"),
                     finding("TRN101", "aten.b"))
    after = _stored(finding("TRN101", "aten.a", module="Net.decoder"),
                    finding("TRN101", "aten.c"))
    fixed, new, still = match_findings(before, after)
    assert [(f.ops, f.location_module) for f in fixed] == [(("aten.a",), "Net.encoder"),
                                                            (("aten.b",), "Net.block")]
    assert [(f.ops, f.location_module) for f in new] == [(("aten.a",), "Net.decoder"),
                                                          (("aten.c",), "Net.block")]
    assert still == ()


def test_duplicates_are_matched_one_to_one_preferring_the_exact_line():
    before = _stored(finding("TRN101", "aten.a", line=5), finding("TRN101", "aten.a", line=9))
    after = _stored(finding("TRN101", "aten.a", line=9))
    fixed, new, still = match_findings(before, after)
    assert [f.location_line for f in fixed] == [5]
    assert new == () and [f.location_line for f in still] == [9]


def test_an_exact_match_wins_over_a_moved_one_whatever_the_order():
    before = _stored(finding("TRN101", "aten.a", line=30), finding("TRN101", "aten.a", line=7))
    after = _stored(finding("TRN101", "aten.a", line=7), finding("TRN101", "aten.a", line=31))
    fixed, new, still = match_findings(before, after)
    assert (fixed, new) == ((), ())
    assert [f.location_line for f in still] == [7, 31]


def test_identical_sessions_differ_in_nothing():
    detail = unsaved_detail(report("/m.onnx", (finding("TRN101", "aten.a"),),
                                   memory=memory_section(10)))
    diff = compare(detail, detail)
    assert (diff.fixed, diff.new, diff.changes) == ((), (), ())
    assert len(diff.still_open) == 1 and diff.coverage.delta == 0
    assert {d.field for d in diff.memory} == {
        "param_bytes", "activation_peak_bytes", "per_core_bytes", "usable_bytes_per_core",
        "utilization", "smallest_tp"}
    assert all(d.delta == 0 for d in diff.memory)
