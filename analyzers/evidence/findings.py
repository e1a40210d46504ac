"""Findings built from compiler evidence: the rule's code, symbol and category, but always
severity ``error`` (the compiler really failed) and the evidence as provenance."""

from __future__ import annotations

import re

from trnport.analyzers.results import Finding, Location, Provenance

# "model.py(6): forward" (TorchScript source range) or "train.py 24" (training analyze)
_CALL_PAREN = re.compile(r"^\s*(?P<file>[^\s()][^()]*?)\((?P<line>\d+)\)(?::\s*(?P<fn>\S+))?")
_CALL_SPACE = re.compile(r"^\s*(?P<file>\S+\.py)\s+(?P<line>\d+)\s*$")


def compiler_finding(code: str, message: str, *, ops: tuple[str, ...] = (),
                     nodes: tuple[str, ...] = (), location: Location | None = None,
                     kind: str, source: str, fix: str | None = None) -> Finding:
    """A finding for ``code`` (a registered rule) that the compiler's evidence proves."""
    from trnport.analyzers.rules import find_rule

    info = find_rule(code).INFO
    return Finding(
        code=info.code, symbol=info.symbol, severity="error", category=info.category,
        message=message, fix=fix or info.fix, ops=ops, nodes=nodes,
        location=location or Location(), provenance=Provenance(kind=kind, source=source),
        confidence="high",
    )


def location_of_call(call: str | None) -> Location:
    """The user's file and line in an analyze() ``call`` string (its first frame)."""
    if not call:
        return Location()
    first = call.strip().splitlines()[0] if call.strip() else ""
    match = _CALL_PAREN.match(first) or _CALL_SPACE.match(first)
    if match is None:
        return Location()
    return Location(file=match["file"].strip(), line=int(match["line"]))
