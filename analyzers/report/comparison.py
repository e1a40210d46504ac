"""What changes for one model if it moves to another SDK line or PyTorch stack: two reports
of the same model side by side — ops whose verdict changes (an error under
``torch_neuronx.trace`` that becomes a CPU fallback on TorchNeuron), findings that are new
and findings that are gone, and advice that no longer applies or newly does. Text and JSON
here, HTML in :mod:`.comparison_html`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from trnport.analyzers.results import STATUSES, Finding, Report
from trnport.analyzers.results.codec import finding_to_dict

SCHEMA_ID = "trnport.comparison/1"


@dataclass(frozen=True)
class Side:
    """One of the two analyses: what it was for and what it concluded."""

    profile: str
    stack: str
    stack_label: str
    family: str
    neuronx_cc: str | None
    torch_neuronx: str | None
    verdict: str
    coverage_pct: float
    findings_by_severity: dict[str, int]
    nodes_by_status: dict[str, int]

    @classmethod
    def of(cls, report: Report) -> Side:
        return cls(profile=report.kb.profile, stack=report.target.stack,
                   stack_label=report.target.stack_text, family=report.target.family,
                   neuronx_cc=report.kb.neuronx_cc, torch_neuronx=report.kb.torch_neuronx,
                   verdict=report.summary.verdict, coverage_pct=report.summary.coverage_pct,
                   findings_by_severity=dict(report.summary.findings_by_severity),
                   nodes_by_status=dict(report.summary.nodes_by_status))

    @property
    def title(self) -> str:
        return f"{self.family}, SDK {self.profile}, {self.stack_label}"


@dataclass(frozen=True)
class OpChange:
    """An op whose nodes' statuses differ: ``before``/``after`` map status → node count, with
    the reason the op's most frequent status gives on each side."""

    op: str
    before: dict[str, int]
    after: dict[str, int]
    reason_before: str
    reason_after: str


@dataclass(frozen=True)
class FindingChange:
    """The same problem (code, ops, place) on both sides with another severity or message."""

    before: Finding
    after: Finding


@dataclass(frozen=True)
class Comparison:
    """``current`` is the analysis asked for; ``other`` the one compared to (``--compare``).
    Everything reads as "moving from current to other": new findings appear in other, gone
    findings are only in current; ``advice_gone`` is current advice other does not need."""

    model: str
    current: Side
    other: Side
    op_changes: tuple[OpChange, ...]
    new_findings: tuple[Finding, ...]
    gone_findings: tuple[Finding, ...]
    changed_findings: tuple[FindingChange, ...]
    advice_gone: tuple[str, ...]
    advice_new: tuple[str, ...]

    @property
    def unchanged(self) -> bool:
        return not (self.op_changes or self.new_findings or self.gone_findings
                    or self.changed_findings or self.advice_gone or self.advice_new)


def _statuses(report: Report) -> dict[str, tuple[dict[str, int], str]]:
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    reasons: dict[str, tuple[int, str]] = {}
    for row in report.operators:
        counts[row.op][row.status] = counts[row.op].get(row.status, 0) + row.count
        if row.op not in reasons or row.count > reasons[row.op][0]:
            reasons[row.op] = (row.count, row.reason)
    return {op: (by_status, reasons[op][1]) for op, by_status in counts.items()}


def _key(finding: Finding) -> tuple[object, ...]:
    loc = finding.location
    return (finding.code, finding.ops, loc.file, loc.line, loc.module)


def _advice(report: Report) -> list[str]:
    seen = dict.fromkeys([f.fix for f in report.findings if f.fix] +
                         [r.title for r in report.rewrites])
    return list(seen)


def compare_reports(current: Report, other: Report) -> Comparison:
    """The differences between two reports of one model (see :class:`Comparison`)."""
    before, after = _statuses(current), _statuses(other)
    changes = []
    for op in sorted(set(before) | set(after)):
        counts_before, reason_before = before.get(op, ({}, ""))
        counts_after, reason_after = after.get(op, ({}, ""))
        if counts_before != counts_after:
            changes.append(OpChange(op, counts_before, counts_after, reason_before,
                                    reason_after))
    changes.sort(key=lambda c: (-_worst_shift(c), c.op))
    ours = {_key(f): f for f in current.findings}
    theirs = {_key(f): f for f in other.findings}
    changed = tuple(FindingChange(ours[k], theirs[k]) for k in ours if k in theirs
                    and (ours[k].severity, ours[k].message) != (theirs[k].severity,
                                                                theirs[k].message))
    advice_now, advice_then = _advice(current), _advice(other)
    return Comparison(
        model=current.model.path, current=Side.of(current), other=Side.of(other),
        op_changes=tuple(changes),
        new_findings=tuple(f for k, f in theirs.items() if k not in ours),
        gone_findings=tuple(f for k, f in ours.items() if k not in theirs),
        changed_findings=changed,
        advice_gone=tuple(a for a in advice_now if a not in advice_then),
        advice_new=tuple(a for a in advice_then if a not in advice_now),
    )


def _worst_shift(change: OpChange) -> int:
    """How far the op's worst status moves (bigger first in the listing)."""
    def worst(counts: dict[str, int]) -> int:
        return max((STATUSES.index(s) for s in counts), default=0)
    return abs(worst(change.after) - worst(change.before))


def status_text(counts: dict[str, int]) -> str:
    """``unsupported x1`` or ``supported x3, cpu_fallback x1``; ``absent`` for none."""
    if not counts:
        return "absent"
    return ", ".join(f"{status} x{count}" for status, count in
                     sorted(counts.items(), key=lambda item: STATUSES.index(item[0])))


def render_comparison_text(comparison: Comparison) -> str:
    """The comparison for a terminal or a CI log."""
    c, o = comparison.current, comparison.other
    lines = [f"trnport comparison: {comparison.model}",
             f"  current: {c.title}: {c.verdict}, coverage {c.coverage_pct:.1f}%",
             f"  other:   {o.title}: {o.verdict}, coverage {o.coverage_pct:.1f}%"]
    if comparison.unchanged:
        return "\n".join([*lines, "", "no differences in verdicts, findings or advice"]) + "\n"
    if comparison.op_changes:
        lines += ["", f"OPERATOR VERDICTS THAT CHANGE ({len(comparison.op_changes)}):"]
        for change in comparison.op_changes:
            lines.append(f"  {change.op}: {status_text(change.before)} -> "
                         f"{status_text(change.after)}")
            if change.reason_after and change.reason_after != change.reason_before:
                lines.append(f"      now: {change.reason_after}")
    for title, findings in (("NEW FINDINGS", comparison.new_findings),
                            ("FINDINGS GONE", comparison.gone_findings)):
        if findings:
            lines += ["", f"{title} ({len(findings)}):"]
            lines += [f"  {f.code} {f.severity} x{f.count}: {f.message}" for f in findings]
    if comparison.changed_findings:
        lines += ["", f"FINDINGS THAT CHANGE ({len(comparison.changed_findings)}):"]
        for item in comparison.changed_findings:
            lines.append(f"  {item.before.code} {item.before.severity} -> {item.after.severity}:"
                         f" {item.after.message}")
    for title, advice in (("ADVICE THAT NO LONGER APPLIES", comparison.advice_gone),
                          ("NEW ADVICE", comparison.advice_new)):
        if advice:
            lines += ["", f"{title} ({len(advice)}):"] + [f"  - {a}" for a in advice]
    return "\n".join(lines) + "\n"


def comparison_to_dict(comparison: Comparison) -> dict[str, object]:
    """The comparison as JSON-ready data (schema ``trnport.comparison/1``)."""
    def side(s: Side) -> dict[str, object]:
        return {"family": s.family, "profile": s.profile, "stack": s.stack,
                "stack_label": s.stack_label, "neuronx_cc": s.neuronx_cc,
                "torch_neuronx": s.torch_neuronx, "verdict": s.verdict,
                "coverage_pct": s.coverage_pct, "findings_by_severity": s.findings_by_severity,
                "nodes_by_status": s.nodes_by_status}
    return {
        "schema": SCHEMA_ID, "model": comparison.model,
        "current": side(comparison.current), "other": side(comparison.other),
        "operators": [{"op": c.op, "before": c.before, "after": c.after,
                       "reason_before": c.reason_before, "reason_after": c.reason_after}
                      for c in comparison.op_changes],
        "findings": {
            "new": [finding_to_dict(f) for f in comparison.new_findings],
            "gone": [finding_to_dict(f) for f in comparison.gone_findings],
            "changed": [{"before": finding_to_dict(i.before), "after": finding_to_dict(i.after)}
                        for i in comparison.changed_findings],
        },
        "advice": {"no_longer_applies": list(comparison.advice_gone),
                   "new": list(comparison.advice_new)},
    }


def render_comparison_json(comparison: Comparison) -> str:
    return json.dumps(comparison_to_dict(comparison), indent=2, ensure_ascii=False) + "\n"
