"""Lint issues as report findings, for ``trnport lint-script`` (through
:mod:`trnport.analyzers.rules.lint_script`) and for Python model files analysed by
``trnport check``."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from trnport.analyzers.errors import InputError
from trnport.analyzers.lint.engine import LintIssue, lint_file
from trnport.analyzers.lint.migration import migrations
from trnport.analyzers.results import Finding, Location, Provenance


def findings_for_checks(path: str, issues: list[LintIssue], info, checks: tuple[str, ...]
                        ) -> Iterator[Finding]:
    """One finding per issue of ``checks``, with the migration row's replacement as fix."""
    table = migrations()
    for issue in issues:
        if issue.check not in checks:
            continue
        row = table[issue.check]
        yield Finding(
            code=info.code, symbol=info.symbol, severity=issue.severity or info.severity,
            category=info.category, message=issue.message,
            fix=row.neuron_replacement.rstrip("."),
            ops=(), nodes=(), location=Location(file=path, line=issue.line, module=None),
            provenance=Provenance(kind="rule", source=f"gpu_to_neuron_migration #{issue.check}: "
                                  f"{row.source}"),
        )


@lru_cache(maxsize=16)
def _cached_lint(path: str, mtime_ns: int) -> tuple[LintIssue, ...]:
    return tuple(lint_file(path))


def model_file_issues(context) -> tuple[str, list[LintIssue]] | None:
    """(file, issues) for the Python model file behind ``context.graph``, or None for other
    formats and for files that no longer read (the loader already ran them)."""
    source = context.graph.metadata.get("source_file")
    if not source or not str(source).endswith(".py"):
        return None
    try:
        mtime = Path(source).stat().st_mtime_ns
        return str(source), list(_cached_lint(str(source), mtime))
    except (OSError, InputError):
        return None


def model_file_findings(context, info, checks: tuple[str, ...]) -> Iterator[Finding]:
    """The ``check(context)`` of every TRN7xx rule."""
    found = model_file_issues(context)
    if found is not None:
        yield from findings_for_checks(found[0], found[1], info, checks)
