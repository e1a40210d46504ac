"""What every rewrite engine reports, and the facts of one rewrite as an engine sees them."""

from __future__ import annotations

from dataclasses import dataclass

from trnport.analyzers.kb import load_kb


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
    """One automated rewrite for one engine, from its knowledge-base entry.

    ``ops`` are what this engine matches (ONNX op types, ``*`` for every op, or ATen
    overloads); ``answers`` the catalogue rewrite ids a finding may carry that it resolves;
    ``safe`` rewrites keep the outputs up to float rounding and run under ``--all-safe``.
    """

    id: str
    title: str
    ops: tuple[str, ...]
    answers: tuple[str, ...]
    before: str
    after: str
    safe: bool
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, rewrite_id: str, engine: str) -> RewriteInfo:
        """The facts of ``rewrite_id`` for ``engine`` (``"onnx"`` or ``"fx"``)."""
        entry = load_kb().rewrite(rewrite_id)
        automation = entry.automation if entry is not None else None
        if automation is None or engine not in automation.matches:
            raise LookupError(f"the knowledge base has no {engine} automation for {rewrite_id}")
        return cls(id=rewrite_id, title=entry.title, ops=automation.matches[engine],
                   answers=automation.answers, before=automation.before,
                   after=automation.after, safe=automation.safe, notes=automation.notes)
