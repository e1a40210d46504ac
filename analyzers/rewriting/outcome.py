"""What rewriting a model file produced: each rewrite's fate, the rewritten model, and the
findings the rewrites cleared and introduced."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trnport.analyzers.rewrites.base import Applied, Refusal
from trnport.analyzers.rewrites.verify import Verification


@dataclass(frozen=True)
class Step:
    """One rewrite's fate: ``verified`` (kept), ``refused`` (verification failed, dropped)
    or ``no-match`` (nothing in the model passed its check)."""

    rewrite: str
    status: str
    applied: tuple[Applied, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    verification: Verification | None = None


@dataclass(frozen=True)
class RewriteOutcome:
    model: Any
    steps: tuple[Step, ...]
    cleared: tuple[Any, ...] = ()
    introduced: tuple[Any, ...] = ()
    report_before: Any = None
    report_after: Any = None
    extra: dict = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(step.status == "verified" for step in self.steps)

    @property
    def refused(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.status == "refused")


def with_reports(outcome: RewriteOutcome, before: Any, after: Any) -> RewriteOutcome:
    """``outcome`` with the reports before and after, and the findings that differ."""
    old, new = _finding_pairs(before), _finding_pairs(after)
    return RewriteOutcome(
        outcome.model, outcome.steps,
        cleared=tuple(f for f in before.findings if not _pairs(f) & new),
        introduced=tuple(f for f in after.findings if _pairs(f) - old),
        report_before=before, report_after=after,
    )


def _pairs(finding: Any) -> set[tuple]:
    """What a finding says, node by node: one problem in several places is one finding,
    and a rewrite may clear some of its places and keep the others."""
    if not finding.nodes:
        return {(finding.code, finding.ops, finding.message)}
    return {(finding.code, node) for node in finding.nodes}


def _finding_pairs(report: Any) -> set[tuple]:
    return {pair for finding in report.findings for pair in _pairs(finding)}
