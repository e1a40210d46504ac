"""Lint issues as report findings, for ``trnport lint-script`` (through
:mod:`trnport.analyzers.rules.lint_script`) and for Python model files analysed by
``trnport check``."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from trnport.analyzers.errors import InputError
from trnport.analyzers.lint.engine import LintIssue, lint_file
from trnport.analyzers.lint.migration import migrations, stack_migration
from trnport.analyzers.results import Finding, Location, Provenance


def findings_for_checks(path: str, issues: list[LintIssue], info, checks: tuple[str, ...],
                        stack=None) -> Iterator[Finding]:
    """One finding per issue of ``checks`` that applies on ``stack`` (a StackChoice; None is
    PyTorch/XLA), with the migration row's replacement on that stack as fix."""
    table = migrations()
    stack_id = stack.id if stack is not None else "xla"
    for issue in issues:
        if issue.check not in checks:
            continue
        if issue.key is not None:
            row = stack_migration(issue.check, issue.key)
            if stack_id not in row.stacks:
                continue
            message, fix, source = (f"{issue.message}{_applies(stack)}", row.replacement,
                                    row.source)
            label = f"torchneuron_migration {row.check} {row.api}"
        else:
            gpu_row = table[issue.check]
            if not gpu_row.applies_to(stack_id):
                continue
            fix, source = gpu_row.replacement(stack_id)
            message, label = issue.message, f"gpu_to_neuron_migration #{issue.check}"
        yield Finding(
            code=info.code, symbol=info.symbol, severity=issue.severity or info.severity,
            category=info.category, message=message, fix=fix.rstrip("."),
            ops=(), nodes=(), location=Location(file=path, line=issue.line, module=None),
            provenance=Provenance(kind="rule", source=f"{label}: {source}"),
        )


def _applies(stack) -> str:
    """Which stack, target and SDK line a migration finding is for."""
    if stack is None:
        return ""
    return (f" — for {stack.label}, the PyTorch stack of {stack.family} on Neuron SDK "
            f"{stack.profile}")


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
        yield from findings_for_checks(found[0], found[1], info, checks, context.stack)
