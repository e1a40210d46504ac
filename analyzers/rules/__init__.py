"""Finding rules: one module per rule, one table of codes (``registry.RULE_MODULES``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from trnport.analyzers.results import SEVERITIES, Finding
from trnport.analyzers.rules.base import RuleContext, RuleInfo
from trnport.analyzers.rules.registry import all_rules, find_rule


def run_rules(graph, coverage, kb, profile, target, options, *, memory=None,
              stack=None) -> list[Finding]:
    """Every rule's findings, most severe first, then by code and source position.

    ``memory`` is the memory assessment; without it the memory rules stay silent. ``stack``
    is the PyTorch stack chosen for the analysis (``KnowledgeBase.stack``); None resolves
    the line's default."""
    if stack is None and kb is not None and profile is not None and target is not None:
        stack = kb.stack(profile, target.family, getattr(options, "stack", None))
    context = RuleContext(graph=graph, coverage=coverage, kb=kb, profile=profile,
                          target=target, options=options, memory=memory, stack=stack)
    findings = merge_identical(finding for rule in all_rules() for finding in rule.check(context))
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.code,
                                 f.location.file or "", f.location.line or 0, f.message))
    return findings


def merge_identical(findings: Iterable[Finding]) -> list[Finding]:
    """Findings that say the same thing about the same place, as one finding holding all
    their nodes and ops (a rule that reports node by node is counted, not repeated)."""
    merged: dict[tuple, Finding] = {}
    for finding in findings:
        key = (finding.code, finding.severity, finding.message, finding.fix, finding.rewrite,
               finding.location, finding.provenance, finding.also_at)
        seen = merged.get(key)
        if seen is None:
            merged[key] = finding
            continue
        merged[key] = replace(
            seen, nodes=tuple(dict.fromkeys((*seen.nodes, *finding.nodes))),
            ops=tuple(dict.fromkeys((*seen.ops, *finding.ops))))
    return list(merged.values())


__all__ = ["RuleContext", "RuleInfo", "all_rules", "find_rule", "run_rules"]
