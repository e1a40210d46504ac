"""A finding: what a rule found, where in the user's model, and where the verdict came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """The place in what the user wrote: source file and line, and the module path;
    ``library`` is the installed library's line the op was made on, when the file and line
    are the user's call into that library (see ``SourceLocation``)."""

    file: str | None = None
    line: int | None = None
    module: str | None = None
    library: str | None = None


@dataclass(frozen=True)
class Provenance:
    """Where a verdict came from: a static ``rule`` (with its source), a ``compiler-probe``
    (torch_neuronx.analyze run here), an ``xla-probe`` (the model run on torch-xla's CPU
    device here) or an ``imported`` analyze()/log result."""

    kind: str
    source: str


@dataclass(frozen=True)
class Finding:
    """One problem with a stable code (``TRN101``), its ``severity`` and ``category`` (see
    :mod:`.vocabulary`), what is wrong (``message``) and what to do (``fix``), the ops and
    graph nodes it covers, and the rewrite that answers it, if any. The same problem in
    several places is one finding: ``location`` is the first place, ``also_at`` the others."""

    code: str
    symbol: str
    severity: str
    category: str
    message: str
    fix: str
    ops: tuple[str, ...]
    nodes: tuple[str, ...]
    location: Location
    provenance: Provenance
    rewrite: str | None = None
    confidence: str | None = None
    also_at: tuple[Location, ...] = ()

    @property
    def count(self) -> int:
        return len(self.nodes)
