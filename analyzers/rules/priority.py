"""What to fix first: the findings turned into at most five actions, ranked by impact.

The order is the porting order: what stops the compile (errors), then what moves the most
compute or time to the host (fallbacks, host syncs, data-dependent branches, ops whose fate
is unknown), then what silently loses precision (dtype narrowing, numerics), then the rest
(performance, memory hints, porting code). Inside a rank, more FLOPs, then more nodes, come
first. Findings that share a code and a fix are one action: the same fix done once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from trnport.analyzers.results import (
    IMPACTS,
    SEVERITIES,
    Finding,
    FixAction,
    RewriteSuggestion,
)
from trnport.analyzers.rules.base import op_list

FIX_FIRST_LIMIT = 5
_HOST_CATEGORIES = ("cpu_fallback", "control_flow", "unsupported_op")
_LOSSY_CATEGORIES = ("dtype", "numerical")


def impact_of(finding: Finding) -> str:
    """The impact class of ``finding`` (one of :data:`IMPACTS`)."""
    if finding.severity == "error":
        return "blocks-compile"
    if finding.category in _HOST_CATEGORIES:
        return "host-time"
    if finding.category in _LOSSY_CATEGORIES:
        return "lossy-numerics"
    return "performance"


def fix_first(findings: Iterable[Finding], node_flops: Mapping[str, int],
              rewrites: Iterable[RewriteSuggestion] = (),
              limit: int = FIX_FIRST_LIMIT) -> tuple[FixAction, ...]:
    """The first ``limit`` actions for ``findings``; ``node_flops`` weighs them by the
    compute they hold, ``rewrites`` (the report's) name the rewrite that does the fix."""
    groups: dict[tuple, list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.code, finding.fix, finding.rewrite), []).append(finding)
    by_id = {suggestion.id: suggestion for suggestion in rewrites}
    ranked = []
    for members in groups.values():
        first = min(members, key=lambda f: SEVERITIES.index(f.severity))
        nodes = tuple(dict.fromkeys(node for f in members for node in f.nodes))
        flops = sum(node_flops.get(node, 0) for node in nodes)
        impact = impact_of(first)
        key = (IMPACTS.index(impact), SEVERITIES.index(first.severity), -flops,
               -max(len(nodes), len(members)), first.code)
        ranked.append((key, first, members, nodes, flops, impact))
    ranked.sort(key=lambda item: item[0])
    return tuple(
        FixAction(rank=rank, impact=impact, code=first.code, severity=first.severity,
                  action=_action_line(first, members, nodes, by_id.get(first.rewrite or "")),
                  count=max(len(nodes), len(members)), nodes=nodes, flops=flops,
                  rewrite=first.rewrite, location=first.location)
        for rank, (_, first, members, nodes, flops, impact)
        in enumerate(ranked[:limit], start=1))


def _action_line(first: Finding, members: list[Finding], nodes: tuple[str, ...],
                 rewrite: RewriteSuggestion | None) -> str:
    """``fix — CODE symbol on 3 nodes (op, op)[; rewrite RW…: command]`` on one line."""
    named = op_list(tuple(dict.fromkeys(op for f in members for op in f.ops)))
    count = len(nodes)
    where = f" on {count} node{'' if count == 1 else 's'}" if count else ""
    line = f"{first.fix.rstrip('.')} — {first.code} {first.symbol}{where}"
    if named:
        line += f" ({named})"
    if first.rewrite and first.rewrite not in first.fix:
        line += f"; rewrite {first.rewrite}"
        if rewrite is not None and rewrite.apply:
            line += f": {rewrite.apply}"
    return " ".join(line.split())
