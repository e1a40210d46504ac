"""The graph section of a report: plain frozen data, compact enough for a 50,000-node model.

Nodes, edges and groups refer to each other by index. ``groups[0]`` is the model itself; a
group is a module path (``encoder.layer.3``) or, where one module has more parts than a
reader can take in at once, a run of its parts in execution order (``ops 1–32``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: statuses from worst to best, for colouring a collapsed group by what is worst inside it
STATUS_SEVERITY = ("unsupported", "cpu_fallback", "unknown", "conditional", "supported")
_RANK = {status: rank for rank, status in enumerate(STATUS_SEVERITY)}


def worst_status(statuses: Iterable[str]) -> str:
    """The worst of ``statuses`` (``supported`` for none)."""
    return min(statuses, key=lambda s: _RANK.get(s, 0), default="supported")


@dataclass(frozen=True, slots=True)
class GraphNode:
    """One operator node: ``group`` is the innermost group holding it, ``codes`` the finding
    codes that name it."""

    name: str
    op: str
    status: str
    group: int
    codes: tuple[str, ...] = ()
    reason: str = ""
    file: str | None = None
    line: int | None = None
    module: str | None = None
    origin: str | None = None  # its name in the saved program, when decomposition renamed it


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """A tensor from ``source`` to ``target`` (node indices); ``nbytes`` None when a
    dimension is symbolic or the dtype unknown."""

    source: int
    target: int
    value: str
    shape: str
    dtype: str
    nbytes: int | None = None


@dataclass(frozen=True, slots=True)
class GraphGroup:
    """A module (or a run of parts of one): ``parent`` is -1 for the model itself;
    ``status`` is the worst status of any node under it, ``size`` how many nodes it holds."""

    path: str
    label: str
    parent: int
    children: tuple[int, ...]
    nodes: tuple[int, ...]
    status: str
    size: int
    codes: tuple[str, ...] = ()
    first: int = 0  # execution position of its earliest node, to keep views in order


@dataclass(frozen=True, slots=True)
class HostRegion:
    """Connected nodes that run on the host CPU: the bytes that cross into the region from
    device nodes and back out to them (``unsized``: crossings whose size is symbolic)."""

    nodes: tuple[int, ...]
    bytes_in: int
    bytes_out: int
    unsized: int = 0


@dataclass(frozen=True)
class ModelGraph:
    """``device_graphs``: how many graphs the device would run, the model being cut at each
    host region (1 when nothing falls back)."""

    name: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    groups: tuple[GraphGroup, ...]
    regions: tuple[HostRegion, ...] = ()
    device_graphs: int = 1

    def node_index(self) -> dict[str, int]:
        return {node.name: index for index, node in enumerate(self.nodes)}

    def ancestors(self, group: int) -> list[int]:
        """``group`` and the groups above it, innermost first (root last)."""
        chain = []
        while group >= 0:
            chain.append(group)
            group = self.groups[group].parent
        return chain

    def group_of_path(self, path: str) -> int | None:
        """The group of a module path (the innermost that is not a run of parts)."""
        for index, group in enumerate(self.groups):
            if group.path == path:
                return index
        return None
