"""The report's ``rewrites``: one suggestion per rewrite the findings name, with what it
gains (nodes and FLOPs moved onto the device, host round trips removed, findings cleared),
ordered by that gain."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from trnport.analyzers.results import Finding, RewriteSuggestion
from trnport.analyzers.rewrites.catalog import automation, automation_for
from trnport.analyzers.rewrites.source_diff import source_diff

# formats with automated rewrites: ONNX graphs, and the exported program of .pt2 / .py models
_AUTOMATED_FORMATS = frozenset({"onnx", "pt2", "python"})
_OFF_DEVICE = frozenset({"unsupported", "cpu_fallback", "unknown"})


def suggest_rewrites(findings: Iterable[Finding],
                     statuses: Mapping[str, tuple[str, str | None]],
                     node_flops: Mapping[str, int], kb: Any, model_format: str,
                     model_path: str = "", stack: str = "xla") -> tuple[RewriteSuggestion, ...]:
    """Suggestions for ``findings``; ``statuses`` maps node → (coverage status, the rewrite
    its verdict names). A node counts as moved onto the device only for the rewrite that
    answers the verdict keeping it off the device. Titles are those for ``stack``."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        if not finding.rewrite:
            continue
        rewrite_id = finding.rewrite
        if model_format == "onnx":
            auto = next((a for a in (automation_for(finding.rewrite, op) for op in finding.ops)
                         if a), None)
            rewrite_id = auto.id if auto else rewrite_id
        groups.setdefault(rewrite_id, []).append(finding)
    suggestions = [_suggestion(rid, items, statuses, node_flops, kb, model_format, model_path,
                               stack) for rid, items in groups.items()]
    suggestions.sort(key=lambda s: (-s.nodes_on_device, -s.flops_on_device,
                                    -s.host_round_trips_removed, -s.findings_cleared, s.id))
    return tuple(dataclasses.replace(suggestion, rank=rank)
                 for rank, suggestion in enumerate(suggestions, 1))


def _suggestion(rewrite_id: str, findings: list[Finding],
                statuses: Mapping[str, tuple[str, str | None]], node_flops: Mapping[str, int],
                kb: Any, model_format: str, model_path: str,
                stack: str = "xla") -> RewriteSuggestion:
    entry = kb.rewrite(rewrite_id) if kb is not None else None
    auto = automation(rewrite_id)
    nodes = sorted({node for f in findings for node in f.nodes})
    answers = set(auto.answers) if auto else {rewrite_id}
    moved = [n for n in nodes if n in statuses and statuses[n][0] in _OFF_DEVICE
             and statuses[n][1] in answers | {rewrite_id}]
    fallbacks = [n for n in moved if statuses[n][0] == "cpu_fallback"]
    automated = model_format in _AUTOMATED_FORMATS and auto is not None
    apply = None
    if automated and model_format == "onnx":
        apply = f"trnport rewrite {model_path or 'MODEL.onnx'} --apply {rewrite_id}"
    elif automated:
        stem = model_path.rsplit(".", 1)[0] if model_path else "MODEL"
        apply = (f"trnport rewrite {model_path or 'MODEL.pt2'} --trust-code "
                 f"--apply {rewrite_id} -o {stem}.rewritten.pt2")
    diff = None
    if model_format == "python":
        diffs = [d for d in (source_diff(rewrite_id, f.location.file, f.location.line)
                             for f in findings) if d]
        diff = "\n".join(dict.fromkeys(diffs)) if diffs else None
    return RewriteSuggestion(
        id=rewrite_id,
        title=entry.title_for(stack) if entry else rewrite_id,
        source=entry.source if entry else "",
        automated=automated,
        findings_cleared=len(findings),
        codes=", ".join(sorted({f.code for f in findings})),
        nodes=tuple(nodes),
        nodes_on_device=len(moved),
        flops_on_device=int(sum(node_flops.get(n, 0) for n in moved)),
        host_round_trips_removed=len(fallbacks),
        apply=apply,
        before=auto.before if auto is not None else None,
        after=auto.after if auto is not None else None,
        diff=diff,
        diff_label="suggestion (not verified)" if diff else None,
    )
