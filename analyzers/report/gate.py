"""CI gating over a report: which findings fail the build, which are new against a baseline,
and the ``--select``/``--ignore`` view of a report.

Renderers that CI reads (JUnit, SARIF, Markdown, HTML) take a :class:`GateOutcome` so that
what they mark as failing is exactly what decided the exit code.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from trnport.analyzers.results import SEVERITIES, Finding, Report, verdict_for

FAIL_ON_LEVELS = (*SEVERITIES, "none")
NEW, UNCHANGED = "new", "unchanged"

FindingKey = tuple[str, str, str, int, str]


def _basename(path: str | None) -> str:
    # Only the file name: a baseline written in another checkout (another absolute path)
    # must still match.
    return (path or "").replace("\\", "/").rsplit("/", 1)[-1]


def _key(code: str, ops: Iterable[str], file: str | None, line: int | None,
         module: str | None) -> FindingKey:
    return (code, ",".join(sorted(ops)), _basename(file), int(line or 0), module or "")


def finding_key(finding: Finding) -> FindingKey:
    """What identifies a finding across runs: code, ops and location (file name, line,
    module) — never node names, which change whenever a model is re-exported."""
    loc = finding.location
    return _key(finding.code, finding.ops, loc.file, loc.line, loc.module)


def finding_key_from_json(data: Mapping[str, Any]) -> FindingKey:
    """:func:`finding_key` of a finding in a ``trnport.report/1`` JSON report."""
    loc = data.get("location") or {}
    return _key(str(data.get("code", "")), [str(op) for op in data.get("ops") or ()],
                loc.get("file"), loc.get("line"), loc.get("module"))


def fingerprint(finding: Finding) -> str:
    """A short stable hash of :func:`finding_key`, for SARIF ``partialFingerprints``."""
    text = "\x1f".join(str(part) for part in finding_key(finding))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class GateOutcome:
    """The verdict of ``--fail-on``/``--min-coverage``/``--baseline`` on one report.

    ``failing[i]`` and ``states[i]`` describe ``report.findings[i]``; ``states`` is None
    without a baseline, else each entry is ``"new"`` or ``"unchanged"``.
    """

    fail_on: str
    min_coverage: float | None
    coverage_pct: float
    failing: tuple[bool, ...]
    states: tuple[str, ...] | None = None
    baseline_label: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def in_scope(self, code: str, symbol: str = "") -> bool:
        """Whether rule ``code`` ran under ``--select``/``--ignore``."""
        return ((not self.select or code_matches(code, symbol, self.select))
                and not code_matches(code, symbol, self.ignore))

    @property
    def coverage_failed(self) -> bool:
        return self.min_coverage is not None and self.coverage_pct < self.min_coverage

    @property
    def failed(self) -> bool:
        return self.coverage_failed or any(self.failing)

    @property
    def failing_count(self) -> int:
        return sum(self.failing)

    @property
    def new_count(self) -> int | None:
        return None if self.states is None else self.states.count(NEW)


def severity_fails(severity: str, fail_on: str) -> bool:
    """True when ``severity`` is ``fail_on`` or worse (``none`` fails nothing)."""
    if fail_on == "none":
        return False
    return SEVERITIES.index(severity) <= SEVERITIES.index(fail_on)


def baseline_states(findings: Iterable[Finding],
                    baseline: Counter[FindingKey]) -> tuple[str, ...]:
    """``new`` or ``unchanged`` per finding: a key seen n times in the baseline covers the
    first n findings with that key; any beyond are new."""
    remaining = Counter(baseline)
    states = []
    for finding in findings:
        key = finding_key(finding)
        if remaining[key] > 0:
            remaining[key] -= 1
            states.append(UNCHANGED)
        else:
            states.append(NEW)
    return tuple(states)


def evaluate_gate(report: Report, fail_on: str = "error", min_coverage: float | None = None,
                  baseline: Counter[FindingKey] | None = None,
                  baseline_label: str | None = None,
                  select: Iterable[str] = (), ignore: Iterable[str] = ()) -> GateOutcome:
    """Decide which findings fail the gate. With a ``baseline`` (finding keys of a previous
    report, counted), only findings that are new can fail."""
    if fail_on not in FAIL_ON_LEVELS:
        raise ValueError(f"fail_on must be one of {FAIL_ON_LEVELS}, got {fail_on!r}")
    states = baseline_states(report.findings, baseline) if baseline is not None else None
    failing = tuple(
        severity_fails(f.severity, fail_on) and (states is None or states[i] == NEW)
        for i, f in enumerate(report.findings)
    )
    return GateOutcome(fail_on=fail_on, min_coverage=min_coverage,
                       coverage_pct=report.summary.coverage_pct, failing=failing,
                       states=states, baseline_label=baseline_label,
                       select=tuple(select), ignore=tuple(ignore))


def code_matches(code: str, symbol: str, selectors: Iterable[str]) -> bool:
    """True when a selector is a prefix of ``code`` (``TRN2`` matches ``TRN201``) or
    equals ``symbol``; case does not matter."""
    for selector in selectors:
        wanted = selector.strip()
        if code.upper().startswith(wanted.upper()) or symbol == wanted.lower():
            return True
    return False


def select_findings(report: Report, select: Iterable[str] = (),
                    ignore: Iterable[str] = ()) -> Report:
    """The report keeping only findings matched by ``select`` (all when empty) and not by
    ``ignore``; the severity counts and verdict follow the kept findings."""
    select, ignore = tuple(select), tuple(ignore)
    if not select and not ignore:
        return report
    kept = tuple(
        f for f in report.findings
        if (not select or code_matches(f.code, f.symbol, select))
        and not code_matches(f.code, f.symbol, ignore)
    )
    by_severity = dict.fromkeys(SEVERITIES, 0)
    for finding in kept:
        by_severity[finding.severity] += 1
    summary = dataclasses.replace(report.summary, findings_by_severity=by_severity,
                                  verdict=verdict_for(by_severity))
    return dataclasses.replace(report, findings=kept, summary=summary)
