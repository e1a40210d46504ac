"""Separate what blocks only the onnx2torch converter from what blocks Neuron.

`torch.onnx.export(..., dynamo=True)` writes opset 18 and later, and onnx2torch converts
several ops only in older schema versions; it also lacks some attribute values (`Reshape`
with `allowzero=1`). Those errors are about the converter, not the Neuron compiler, and the
automated rewrites answer them. One can hide another: the opset rule of a node is the one
that fires, so a `Reshape allowzero=1` shows its own error only once the model is at the
lower opset. The plan therefore judges the graph again at the opset the downgrade will reach
and collects every automated rewrite needed along the way; ``trnport rewrite --all-safe``
applies them all, each one verified.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from trnport.analyzers.results import ConverterFix, Finding, RewriteSuggestion
from trnport.analyzers.rewrites.catalog import automation_for

DOWNGRADE = "RW-onnx-opset-downgrade"
#: The catalogue rewrites a finding names when the converter, not Neuron, is what fails:
#: the op is converted only at an older opset, or onnx2torch has no converter for it.
CONVERTER_REWRITES = frozenset({DOWNGRADE, "RW-onnx-op-in-pytorch"})


def plan_converter_fix(findings: Iterable[Finding], graph: Any, kb: Any, profile: Any,
                       target: Any, options: Any, model_path: str,
                       stack: Any = None) -> ConverterFix | None:
    """The converter-only part of an ONNX model's errors and the rewrite chain that answers
    it; None when no error is answered by an automated rewrite."""
    errors = [f for f in findings if f.severity == "error"]
    answered = {_key(f): rid for f in errors if (rid := _converter_rewrite(f))}
    if not answered:
        return None
    chain = set(answered.values())
    by_hand = {_key(f) for f in errors if f.rewrite in CONVERTER_REWRITES} - set(answered)
    blocking = {_key(f) for f in errors if f.rewrite not in CONVERTER_REWRITES}
    if DOWNGRADE in chain:
        for finding in _errors_at_downgraded_opset(graph, kb, profile, target, options, stack):
            rewrite_id = _converter_rewrite(finding)
            if rewrite_id:
                chain.add(rewrite_id)
            elif _key(finding) in answered:
                continue
            elif finding.rewrite in CONVERTER_REWRITES:
                by_hand.add(_key(finding))
            else:
                blocking.add(_key(finding))
    from trnport.analyzers.rewrites.registry import APPLY_ORDER

    stem = Path(model_path).with_suffix("")
    return ConverterFix(
        command=f"trnport rewrite {model_path} --all-safe -o {stem}.rewritten.onnx",
        chain=tuple(rid for rid in APPLY_ORDER if rid in chain),
        converter_errors=len(answered), neuron_errors=len(blocking), by_hand_errors=len(by_hand),
    )


def _key(finding: Finding) -> tuple:
    return (finding.code, finding.nodes or finding.ops, finding.location.line)


def _converter_rewrite(finding: Finding) -> str | None:
    """The automated rewrite run by ``--all-safe`` that answers ``finding``, when the
    finding is a converter failure (None for everything else)."""
    if finding.rewrite not in CONVERTER_REWRITES:
        return None
    for op in finding.ops:
        automation = automation_for(finding.rewrite, op)
        if automation is not None and automation.safe:
            return automation.id
    return None


def _errors_at_downgraded_opset(graph: Any, kb: Any, profile: Any, target: Any,
                                options: Any, stack: Any) -> list[Finding]:
    """The error findings of ``graph`` judged at the opset the downgrade lowers it to
    (none when no opset below converts every op)."""
    from trnport.analyzers.coverage import assess_coverage
    from trnport.analyzers.rewrites.onnx.opset_choice import target_opset
    from trnport.analyzers.rules import run_rules

    opsets = dict(graph.metadata.get("opset") or {})
    current = opsets.get("", opsets.get("ai.onnx"))
    if current is None:
        return []
    op_types = {node.op.split("::", 1)[1] for node, _ in graph.walk()
                if node.op.startswith("onnx::")}
    lower = target_opset(op_types, int(current))
    if lower is None:
        return []
    opsets[""] = lower
    opsets.pop("ai.onnx", None)
    lowered = dataclasses.replace(graph, metadata={**graph.metadata, "opset": opsets})
    coverage = assess_coverage(lowered, kb, profile, target, options)
    findings = run_rules(lowered, coverage, kb, profile, target, options, stack=stack)
    return [f for f in findings if f.severity == "error"]


def with_chain(suggestions: tuple[RewriteSuggestion, ...], fix: ConverterFix | None, kb: Any,
               stack: str = "xla") -> tuple[RewriteSuggestion, ...]:
    """The report's rewrite suggestions with the converter chain in them: each member is
    applied by the chain's command (one alone can leave the model blocked), and a member no
    current finding names (hidden behind an opset error) is suggested after the others.
    A chain of one rewrite leaves the suggestions as they are."""
    if fix is None or not fix.fixable or len(fix.chain) < 2:
        return suggestions  # a single rewrite's own --apply command is the whole fix
    from trnport.analyzers.rewrites.catalog import automation

    chain = set(fix.chain)
    updated = [dataclasses.replace(s, apply=fix.command) if s.id in chain else s
               for s in suggestions]
    named = {s.id for s in suggestions}
    for rewrite_id in fix.chain:
        if rewrite_id in named:
            continue
        entry, auto = kb.rewrite(rewrite_id), automation(rewrite_id)
        updated.append(RewriteSuggestion(
            id=rewrite_id, title=entry.title_for(stack) if entry else rewrite_id,
            source=entry.source if entry else "", automated=True, findings_cleared=0,
            codes="", nodes=(), nodes_on_device=0, flops_on_device=0,
            host_round_trips_removed=0, apply=fix.command,
            before=auto.before if auto else None, after=auto.after if auto else None,
            rank=len(updated) + 1))
    return tuple(updated)
