"""CI gating over a report: --fail-on levels, baselines robust to node renames, and the
--select/--ignore view of the findings."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import pytest

from tests.analyzers.report.report_samples import hostile_report
from trnport.analyzers.report.gate import (
    evaluate_gate,
    finding_key,
    finding_key_from_json,
    select_findings,
)
from trnport.analyzers.report.json_renderer import render_json


@pytest.mark.parametrize(("fail_on", "failing"), [
    ("error", [True, True, False, False]),
    ("warning", [True, True, True, True]),
    ("info", [True, True, True, True]),
    ("none", [False, False, False, False]),
])
def test_fail_on_fails_findings_at_or_above_the_level(fail_on, failing):
    gate = evaluate_gate(hostile_report(), fail_on)
    assert list(gate.failing) == failing
    assert gate.failed == any(failing)


def test_min_coverage_fails_below_and_passes_at_the_threshold():
    report = hostile_report()
    coverage = report.summary.coverage_pct
    assert evaluate_gate(report, "none", min_coverage=coverage + 0.01).failed
    assert not evaluate_gate(report, "none", min_coverage=coverage).failed


def test_unknown_fail_on_is_refused():
    with pytest.raises(ValueError, match="fail_on"):
        evaluate_gate(hostile_report(), "fatal")


def _renamed_nodes(report):
    """The same report after a re-export: every node has a new name."""
    findings = tuple(dataclasses.replace(f, nodes=tuple(f"renamed_{n}_{i}" for i, n in
                                                        enumerate(f.nodes)))
                     for f in report.findings)
    return dataclasses.replace(report, findings=findings)


def test_baseline_from_the_json_report_matches_despite_renamed_nodes():
    before = hostile_report()
    keys = Counter(finding_key_from_json(f) for f in json.loads(render_json(before))["findings"])
    assert keys == Counter(finding_key(f) for f in before.findings)
    gate = evaluate_gate(_renamed_nodes(before), "info", baseline=keys)
    assert gate.states == ("unchanged",) * 4
    assert not gate.failed


def test_baseline_key_ignores_the_checkout_folder_but_not_the_line():
    finding = hostile_report().findings[1]
    moved = dataclasses.replace(finding, location=dataclasses.replace(
        finding.location, file="/ci/builds/7/src/spectral.py"))
    assert finding_key(moved) == finding_key(finding)
    shifted = dataclasses.replace(finding, location=dataclasses.replace(finding.location,
                                                                        line=8))
    assert finding_key(shifted) != finding_key(finding)


def test_only_new_findings_fail_and_repeats_beyond_the_baseline_count_are_new():
    report = hostile_report()
    first = report.findings[0]
    doubled = dataclasses.replace(report, findings=(first, *report.findings))
    gate = evaluate_gate(doubled, "error", baseline=Counter([finding_key(first)]))
    assert gate.states == ("unchanged", "new", "new", "new", "new")
    assert gate.failing == (False, True, True, False, False)
    assert gate.new_count == 4


def test_select_and_ignore_filter_findings_and_recompute_the_verdict():
    report = hostile_report()
    warnings_only = select_findings(report, select=["TRN2", "host-fallback"])
    assert [f.code for f in warnings_only.findings] == ["TRN202", "TRN102"]
    assert warnings_only.summary.verdict == "needs-work"
    assert warnings_only.summary.findings_by_severity == {"error": 0, "warning": 2, "info": 0}
    assert warnings_only.summary.coverage_pct == report.summary.coverage_pct
    nothing = select_findings(report, ignore=["trn1", "TRN202"])
    assert nothing.findings == () and nothing.summary.verdict == "ready"
    assert select_findings(report) is report
