"""What the coverage pass returns: one verdict per node, dtype issues, and the summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from trnport.analyzers.results import STATUSES

#: statuses a node can get, best first ("unknown": the knowledge base has no entry)
NODE_STATUSES = STATUSES
_RANK = {"supported": 0, "conditional": 1, "cpu_fallback": 2, "unsupported": 3}


def worse(a: str, b: str) -> str:
    """The worse of two knowledge-base statuses (unknown is handled by the caller)."""
    return a if _RANK.get(a, 0) >= _RANK.get(b, 0) else b


def severity_for(status: str) -> str | None:
    """Severity implied by a status; None leaves the rule's default (a plain note)."""
    if status == "unsupported":
        return "error"
    if status in ("cpu_fallback", "conditional", "unknown"):
        return "warning"
    return None


# not frozen, though nothing assigns to a verdict (hashed by value all the same): a frozen
# dataclass sets each field through object.__setattr__, 1.8 µs a verdict against 0.3 µs,
# and there is one per node
@dataclass(slots=True, unsafe_hash=True)
class NodeVerdict:
    """The coverage verdict for one node.

    ``code`` is the operator-level finding code (None for plain supported). When a dtype
    problem makes the node worse than its operator entry says (complex64 before 2.32),
    ``status`` and ``reason`` follow the dtype issue, ``code`` stays the operator's and the
    matching :class:`DtypeIssue` carries its own code. ``matched`` names what decided the
    verdict: a rule id, ``entry`` (the operator's own verdict), ``dtype:<issue>``,
    ``no-entry`` or ``custom-namespace``. ``kb_key`` is the knowledge-base key used.
    """

    node: str
    op: str
    status: str
    reason: str
    code: str | None
    rewrite: str | None
    source: str
    confidence: str
    matched: str
    kb_key: str | None = None
    severity: str | None = None
    provenance: str = "rule"


@dataclass(frozen=True, slots=True)
class DtypeIssue:
    """A dtype problem on one node (TRN2xx, or TRN103 for plain FP4): ``dtype`` is the
    offending dtype, ``status`` its effect on the node."""

    node: str
    op: str
    code: str
    status: str
    reason: str
    dtype: str
    rewrite: str | None
    source: str
    confidence: str
    matched: str
    severity: str | None = None
    provenance: str = "rule"


@dataclass(frozen=True)
class CoverageResult:
    """Verdicts for every analysed node and the dtype issues found on them.

    ``counts`` maps each of :data:`NODE_STATUSES` to a node count; ``coverage_pct`` is
    ``100 * (supported + conditional) / total``, where ``total`` counts every node of the
    graph and of its subgraph bodies that the loader emitted (bookkeeping nodes such as
    ``getitem`` were already dropped by the loader), each node once, whatever its status;
    0.0 for an empty graph.
    """

    verdicts: tuple[NodeVerdict, ...]
    dtype_issues: tuple[DtypeIssue, ...]
    counts: Mapping[str, int]
    coverage_pct: float
    total: int
    profile: str
    target: str

    def verdict_for(self, node_name: str) -> NodeVerdict | None:
        for verdict in self.verdicts:
            if verdict.node == node_name:
                return verdict
        return None

    def issues_for(self, node_name: str) -> tuple[DtypeIssue, ...]:
        return tuple(issue for issue in self.dtype_issues if issue.node == node_name)
