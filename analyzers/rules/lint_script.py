"""``trnport lint-script``: every porting-code finding of a training script, made by the
TRN7xx rules (those declaring ``LINT_CHECKS``) from the lint issues of the file."""

from __future__ import annotations

from pathlib import Path

from trnport.analyzers.lint.engine import lint_file
from trnport.analyzers.lint.findings import findings_for_checks
from trnport.analyzers.results import Finding
from trnport.analyzers.rules.registry import all_rules


def lint_rules() -> list:
    """Rule modules that read lint issues (those declaring ``LINT_CHECKS``)."""
    return [m for m in all_rules() if getattr(m, "LINT_CHECKS", None)]


def lint_findings(path: str | Path, stack=None) -> list[Finding]:
    """Every porting-code finding for the script at ``path`` on ``stack`` (a StackChoice of
    the knowledge base; None: PyTorch/XLA), InputError when unreadable."""
    issues = lint_file(path)
    found = [f for rule in lint_rules()
             for f in findings_for_checks(str(path), issues, rule.INFO, rule.LINT_CHECKS,
                                          stack)]
    return sorted(found, key=lambda f: (f.location.line or 0, f.code))
