"""What a rule is, and the shared way coverage verdicts become grouped findings.

A rule lives in its own module named for the problem it flags. The module docstring is the
rule's documentation, with the fixed headings in :data:`DOC_HEADINGS`; ``INFO`` states
code, symbol, severity, category and the default fix; ``check(context)`` yields findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from trnport.analyzers.graph import Graph, Node
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.results import Finding, Location, Provenance

DOC_HEADINGS = (
    "What it flags", "Why it fails on Neuron", "Example", "Suggested rewrite", "Source",
)


@dataclass(frozen=True)
class RuleInfo:
    code: str
    symbol: str
    severity: str
    category: str
    title: str
    fix: str


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may read; rules never load files or import frameworks."""

    graph: Graph
    coverage: Any
    kb: Any
    profile: Any
    target: Any
    options: AnalysisOptions
    memory: Any = None  # MemoryResult of trnport.analyzers.memory, when assessed
    stack: Any = None  # the StackChoice of trnport.analyzers.kb (None: PyTorch/XLA texts)

    @property
    def stack_id(self) -> str:
        """``xla`` or ``torchneuron``: the PyTorch stack the findings are for."""
        return self.stack.id if self.stack is not None else "xla"

    def stack_text(self, key: str, **values: Any) -> str:
        """The hazard text ``key`` (stacks.yaml) of this analysis's stack."""
        if self.stack is not None:
            return self.stack.spec.text(key, **values)
        return self.kb.stacks["xla"].text(key, **values)

    @property
    def nodes_by_name(self) -> dict[str, Node]:
        """Every node of the graph (subgraph bodies included) by name, built once."""
        return self.graph.nodes_by_name()

    @cached_property
    def _by_code(self) -> dict[Any, list]:
        """Verdicts, then dtype issues, by finding code (one pass for all the rules)."""
        found: dict[Any, list] = {}
        for verdict in self.coverage.verdicts:
            found.setdefault(verdict.code, []).append(verdict)
        for issue in getattr(self.coverage, "dtype_issues", ()):
            found.setdefault(issue.code, []).append(issue)
        return found

    @cached_property
    def hazard_nodes(self) -> frozenset[str]:
        """Nodes reported by a hazard rule (host read, data-dependent branch)."""
        from trnport.analyzers.hazards import claimed_nodes

        return claimed_nodes(self.graph)

    def with_code(self, code: str) -> list:
        """The verdicts and then the dtype issues carrying ``code``."""
        return self._by_code.get(code, [])


def _location(node: Node) -> Location:
    loc = node.location
    return Location(file=loc.file, line=loc.line, module=loc.module, library=loc.library)


def _display_op(node: Node, op: str) -> str:
    if node.source_op and node.source_op != op:
        return f"{op} (from {node.source_op})"
    return op


def findings_from_verdicts(context: RuleContext, info: RuleInfo, *,
                           leave_to_hazards: bool = False) -> Iterator[Finding]:
    """One finding per problem among the verdicts carrying ``info.code``: verdicts with the
    same reason, rewrite and severity are one finding, counted, with all their ops, nodes and
    places (the first place is its ``location``, the others ``also_at``).
    ``leave_to_hazards`` (the operator-coverage rules) skips the nodes a hazard rule reports
    under its more specific code (host reads, data-dependent branches)."""
    nodes = context.nodes_by_name
    groups: dict[tuple, list] = {}
    verdicts = context.with_code(info.code)
    claimed = context.hazard_nodes if verdicts and leave_to_hazards else ()
    for verdict in verdicts:
        if verdict.node in claimed:
            continue
        key = (verdict.reason, getattr(verdict, "rewrite", None),
               getattr(verdict, "severity", None), verdict.source,
               getattr(verdict, "provenance", None), getattr(verdict, "confidence", None))
        groups.setdefault(key, []).append((verdict, nodes[verdict.node]))
    for (reason, rewrite, *_), members in groups.items():
        verdict = members[0][0]
        fix = info.fix
        if rewrite and context.kb is not None:
            entry = context.kb.rewrite(rewrite)
            if entry is not None and getattr(entry, "title", None):
                fix = entry.title_for(context.stack_id)
        ops = tuple(dict.fromkeys(v.op for v, _ in members))
        first_seen: dict[str, str] = {}  # each op once, as its first node shows it
        for member, node in members:
            first_seen.setdefault(member.op, _display_op(node, member.op))
        shown = tuple(first_seen.values())
        places = tuple(dict.fromkeys(_location(n) for _, n in members))
        yield Finding(
            code=info.code, symbol=info.symbol,
            severity=getattr(verdict, "severity", None) or info.severity,
            category=info.category,
            message=f"{op_list(shown)}: {reason}",
            fix=fix,
            ops=ops, nodes=tuple(n.name for _, n in members), location=places[0],
            provenance=Provenance(kind=getattr(verdict, "provenance", None) or "rule",
                                  source=verdict.source or "trnport knowledge base"),
            rewrite=rewrite, confidence=getattr(verdict, "confidence", None),
            also_at=places[1:],
        )


_OPS_NAMED = 3


def op_list(ops: tuple[str, ...]) -> str:
    """The ops a finding covers, the first few by name: ``a, b, c and 2 more ops``."""
    if len(ops) <= _OPS_NAMED:
        return ", ".join(ops)
    more = len(ops) - _OPS_NAMED
    return f"{', '.join(ops[:_OPS_NAMED])} and {more} more op{'' if more == 1 else 's'}"
