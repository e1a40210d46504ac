"""Finding rules: one module per rule, one table of codes (``registry.RULE_MODULES``)."""

from __future__ import annotations

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
    findings = [finding for rule in all_rules() for finding in rule.check(context)]
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.code,
                                 f.location.file or "", f.location.line or 0, f.message))
    return findings


__all__ = ["RuleContext", "RuleInfo", "all_rules", "find_rule", "run_rules"]
