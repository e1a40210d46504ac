"""Reads of a tensor value into Python on the host (``Tensor.item()``, ``bool(t)``,
``int(t)``, a Python ``if`` on a tensor): each forces a device-to-host copy, cuts a lazy
XLA graph, and under ``torch_neuronx.trace`` becomes a constant frozen at trace time."""

from __future__ import annotations

from dataclasses import dataclass

from trnport.analyzers.graph import Graph, Node
from trnport.analyzers.hazards.common import HOST_READ_OPS


@dataclass(frozen=True)
class HostRead:
    """A host read; ``guard`` is the data-dependent Python condition export saw there (the
    expression and the value the example inputs gave), or None for a plain scalar use."""

    node: Node
    guard: dict | None = None


def host_reads(graph: Graph) -> list[HostRead]:
    """Every host-read node, paired with the data-dependent guard recorded on its line."""
    guards = {g.get("line"): g for g in graph.metadata.get("data_dependent_guards") or ()}
    reads = []
    for node, _ in graph.walk():
        if node.op in HOST_READ_OPS:
            reads.append(HostRead(node, guards.get(node.location.line)))
    return reads
