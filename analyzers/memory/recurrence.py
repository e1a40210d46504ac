"""Loops that export unrolled: a recurrence over the sequence (a Mamba selective scan, an RWKV
time mix, an LSTM cell called per step) becomes one copy of its body per step, so the compiled
graph grows with the sequence length.

A loop shows as one source line that produced many nodes inside one module (layer
replication names each layer's copy after its own module, so repeated layers do not count).
When the loader exported a recurrent model at a short probe length
(``metadata["recurrence"]``: ``probe_seq_len`` and the ``seq_len`` asked for), the loop's
cost is scaled to the full length: the compiler would see ``seq_len / probe_seq_len`` times
as many copies.
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass

from trnport.analyzers.graph import Graph, Node

#: nodes from one source line in one module from which the line is taken for an unrolled loop
MIN_UNROLLED_NODES = 64


@dataclass(frozen=True)
class UnrolledLoop:
    """The nodes one source line unrolled into, in every module that ran it, and the factor
    by which the full sequence multiplies them (1 when exported at full length)."""

    file: str
    line: int
    nodes: tuple[Node, ...]
    modules: tuple[str, ...]
    steps_exported: int | None
    steps_full: int | None
    #: the line is inside an installed library (a Hugging Face model's own code)
    in_library: bool = False

    @property
    def scale(self) -> float:
        if self.steps_exported and self.steps_full:
            return self.steps_full / self.steps_exported
        return 1.0

    @property
    def unrolled_nodes(self) -> int:
        """Nodes of the loop at the full sequence length."""
        return round(len(self.nodes) * self.scale)


_LOCATION = operator.attrgetter("location")


def unrolled_loops(graph: Graph) -> list[UnrolledLoop]:
    """Every source line of ``graph`` (top level) that unrolled into a loop, largest first."""
    probe = graph.metadata.get("recurrence") or {}
    if graph.metadata.get("hf_model_type") and not probe:
        # a config of a non-recurrent architecture: a line repeated many times is a shared
        # layer called again (ALBERT), not a loop over the sequence
        return []
    # loaders share one location object among the nodes of a line: count nodes per object,
    # then read each object's line once
    locations = list(map(_LOCATION, graph.nodes))
    per_location = Counter(map(id, locations))
    distinct = {id(location): location for location in locations}
    line_of = {key: code_line(location) for key, location in distinct.items()}
    per_module: Counter = Counter()
    for key, count in per_location.items():
        line = line_of[key]
        if line is not None:
            per_module[(line, distinct[key].module)] += count
    looping = {line for (line, _), count in per_module.items() if count >= MIN_UNROLLED_NODES}
    if not looping:
        return []
    grouped: dict[tuple[str, int, bool], list[Node]] = {}
    for node, location in zip(graph.nodes, locations, strict=True):
        line = line_of[id(location)]
        if line in looping:
            grouped.setdefault(line, []).append(node)
    loops = [UnrolledLoop(file=file, line=line, nodes=tuple(nodes),
                          modules=tuple(dict.fromkeys(n.location.module or "" for n in nodes)),
                          steps_exported=probe.get("probe_seq_len"),
                          steps_full=probe.get("seq_len"), in_library=in_library)
             for (file, line, in_library), nodes in grouped.items()]
    return sorted(loops, key=lambda loop: -loop.unrolled_nodes)


def code_line(location) -> tuple[str, int, bool] | None:
    """The line of code that made a node: the library line when the op was made inside an
    installed library (the loop lives there), else the user's file and line."""
    if location.library:
        file, _, line = location.library.rpartition(":")
        if file and line.isdigit():
            return file, int(line), True
    if location.file and location.line:
        return location.file, location.line, False
    return None


def loop_node_names(graph: Graph) -> tuple[frozenset[str], float]:
    """The nodes of every unrolled loop and the factor the full sequence multiplies them by:
    the instruction estimate counts them that many times."""
    loops = unrolled_loops(graph)
    names = frozenset(n.name for loop in loops for n in loop.nodes)
    return names, (loops[0].scale if loops else 1.0)
