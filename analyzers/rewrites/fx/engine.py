"""Apply FX rewrites to the graph of an exported program, in place: every node whose target
a rewrite matches is ``check``-ed, then replaced or refused with its one-line reason."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trnport.analyzers.rewrites.base import Applied, Refusal
from trnport.analyzers.rewrites.fx.base import op_name
from trnport.analyzers.rewrites.registry import implementation, implementations


def fx_rewrites() -> tuple[Any, ...]:
    """Every FX rewrite, in the order they are applied."""
    return implementations("fx")


def fx_rewrite(rewrite_id: str) -> Any:
    return implementation("fx", rewrite_id)


def apply_to_graph(graph_module: Any, rewrite_ids: Iterable[str]) -> tuple[
        tuple[Applied, ...], tuple[Refusal, ...]]:
    """Apply ``rewrite_ids`` to ``graph_module``'s graph in place (then recompile it)."""
    applied: list[Applied] = []
    refusals: list[Refusal] = []
    graph = graph_module.graph
    for rewrite_id in rewrite_ids:
        rewrite = fx_rewrite(rewrite_id)
        if rewrite is None:
            raise KeyError(rewrite_id)
        for node in [n for n in graph.nodes if n.op == "call_function"
                     and n.target in rewrite.targets]:
            name, removed = node.name, op_name(node)
            reason = rewrite.check(node)
            if reason:
                refusals.append(Refusal(rewrite_id, name, reason))
                continue
            added = rewrite.replace(graph, node)
            applied.append(Applied(rewrite_id, name, (removed,), added))
    graph.lint()
    graph_module.recompile()
    return tuple(applied), tuple(refusals)
