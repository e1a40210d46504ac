"""A rewrite suggestion: one catalogued rewrite the findings name, and what applying it
gains."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class RewriteSuggestion:
    """``id`` and ``title`` come from the rewrite catalog; ``codes`` lists the finding codes
    it answers (comma-separated, sorted) and ``nodes`` the graph nodes of those findings.
    The gains: ``nodes_on_device`` (nodes it moves off the host or out of "unsupported"),
    their ``flops_on_device``, ``host_round_trips_removed`` (host-fallback nodes among them)
    and ``findings_cleared``. ``apply`` is the command that applies an ``automated``
    rewrite; ``before``/``after`` the catalog's example code; ``diff`` a suggested change
    to the user's source (labelled by ``diff_label``). ``rank`` 1 gains most."""

    id: str
    title: str
    source: str
    automated: bool
    findings_cleared: int
    codes: str
    nodes: tuple[str, ...]
    nodes_on_device: int
    flops_on_device: int
    host_round_trips_removed: int
    apply: str | None = None
    before: str | None = None
    after: str | None = None
    diff: str | None = None
    diff_label: str | None = None
    rank: int = 0
