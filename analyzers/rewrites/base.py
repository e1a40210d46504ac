"""What an ONNX rewrite is: the ops it matches, a ``check`` that explains a refusal in one
line, and a ``replace`` that returns the nodes and constants standing in for the match."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from trnport.analyzers.rewrites.catalog import automation
from trnport.analyzers.rewrites.context import GraphContext


@dataclass(frozen=True)
class Replacement:
    """Nodes removed (by name) and the nodes and initializers that replace them; the new
    nodes take the removed ones' place in topological order."""

    remove: tuple[str, ...]
    nodes: tuple[Any, ...]
    initializers: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Refusal:
    rewrite: str
    node: str
    reason: str


@dataclass(frozen=True)
class Applied:
    rewrite: str
    node: str
    removed_ops: tuple[str, ...]
    added_ops: tuple[str, ...]


@dataclass(frozen=True)
class RewriteInfo:
    """Catalogue facts of one automated rewrite.

    ``answers`` are the catalogue rewrite ids a finding may carry that this rewrite resolves
    for ``ops`` (a finding on OneHot names the generic "convert by hand" rewrite, which the
    one-hot rewrite does for the user). ``safe`` rewrites keep the outputs bit-for-bit up to
    float rounding and run under ``--all-safe``.
    """

    id: str
    title: str
    ops: tuple[str, ...]
    answers: tuple[str, ...]
    before: str
    after: str
    safe: bool = True
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, rewrite_id: str, title: str, notes: tuple[str, ...] = ()) -> RewriteInfo:
        """The info of ``rewrite_id`` with its ops and before/after code from the catalogue."""
        entry = automation(rewrite_id)
        return cls(id=rewrite_id, title=title, ops=entry.ops, answers=entry.answers,
                   before=entry.before, after=entry.after, notes=notes)


class OnnxRewrite(Protocol):
    INFO: RewriteInfo

    def check(self, context: GraphContext, node: Any) -> str | None:
        """None when ``node`` can be rewritten, else the one-line reason it cannot."""

    def replace(self, context: GraphContext, node: Any) -> Replacement:
        """The replacement for a node that passed ``check``."""
