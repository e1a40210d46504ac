"""Node names numbered in graph order, so that two exports of one model name it alike.

torch.fx names a node after its op with a counter per name (``add``, ``add_1``...), and the
counter also counts nodes the IR leaves out. An export with symbolic sizes has many of
those (``sym_size``, Python arithmetic on sizes: an ``add`` of two sizes takes a number from
the tensor ``add`` nodes), so its ``add_6`` is a static export's ``add``. Numbering again,
per name in graph order, over the nodes the IR keeps gives both the same names. Used for
models built from a Hugging Face config, which have no saved program whose names a user
could look up; graph inputs and parameters keep their names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from trnport.analyzers.graph.ir import Graph, Value, renamed_in_attributes

_COUNTED = re.compile(r"(.*)_(\d+)$")
#: a clone's name in a replicated layer stack: its template's name, the layer, and the
#: underscores that kept it unique (:mod:`.layer_replication`)
_CLONE = re.compile(r"(.+?)(__layer\d+_*)$")


def renumbered(names: Iterable[str], keep: set[str]) -> dict[str, str]:
    """Old → new for ``names`` (in order, repeats ignored) numbered per base name, the way
    torch.fx numbers a fresh graph; names in ``keep`` are neither renamed nor reused."""
    counts: dict[str, int] = {}
    mapping: dict[str, str] = {}
    for name in names:
        if name in mapping or name in keep:
            continue
        match = _COUNTED.match(name)
        base = match.group(1) if match else name
        while True:
            number = counts.get(base, 0)
            counts[base] = number + 1
            new = f"{base}_{number}" if number else base
            if new not in keep:
                break
        mapping[name] = new
    return mapping


def canonical_names(graph: Graph) -> Graph:
    """``graph`` with its nodes and their output values renamed by :func:`renumbered`
    (node origins too, among themselves); a graph with subgraphs is returned as it is.

    The clones of a replicated layer stack are not numbered: each follows its template's
    new name, as replicating the renamed template would have named it."""
    if any(node.subgraphs for node in graph.nodes):
        return graph
    produced = {out for node in graph.nodes for out in node.outputs}
    keep = {name for name in graph.values if name not in produced}
    keep.update(graph.inputs, (p.name for p in graph.params))
    replicated = "replicated_layers" in graph.metadata
    names = renumbered((name for node in graph.nodes for name in (node.name, *node.outputs)
                        if name and not (replicated and _CLONE.match(name))), keep)
    if replicated:
        _follow_templates(graph, names)
    origins = renumbered((node.origin for node in graph.nodes if node.origin), set())

    def new(name: str) -> str:
        return names.get(name, name)

    nodes = [replace(node, name=new(node.name), inputs=tuple(map(new, node.inputs)),
                     outputs=tuple(map(new, node.outputs)),
                     attributes=renamed_in_attributes(node.attributes, names),
                     origin=origins.get(node.origin) if node.origin else node.origin)
             for node in graph.nodes]
    values = {}
    for name, value in graph.values.items():
        renamed = new(name)
        values[renamed] = value if renamed == name else Value(renamed, value.shape, value.dtype)
    return replace(graph, nodes=nodes, values=values, outputs=[new(n) for n in graph.outputs],
                   configs=None, _by_name=None)


def _follow_templates(graph: Graph, names: dict[str, str]) -> None:
    """Add to ``names`` each renamed template's clones (``mm_3__layer5`` after ``mm_3``)."""
    for node in graph.nodes:
        for name in (node.name, *node.outputs):
            match = _CLONE.match(name) if name else None
            if match and match.group(1) in names:
                names[name] = names[match.group(1)] + match.group(2)
