"""Host-fallback regions: where the device graph is cut, and what crosses each cut.

On both PyTorch stacks an op that runs on the host ends the device graph traced so far:
the tensors it reads are copied to the host, its results copied back, and the next device
op starts a new graph. So the model runs as one device graph per stretch of device ops
between host ops, in execution order, and each host region costs the bytes that cross it.
"""

from __future__ import annotations

from trnport.analyzers.results.model_graph import GraphEdge, GraphNode, HostRegion

HOST_STATUSES = frozenset({"cpu_fallback"})


def host_regions(nodes: tuple[GraphNode, ...],
                 edges: tuple[GraphEdge, ...]) -> tuple[tuple[HostRegion, ...], int]:
    """Connected host nodes as regions (with the bytes in and out of each), and how many
    device graphs the model is cut into."""
    host = [node.status in HOST_STATUSES for node in nodes]
    parent = list(range(len(nodes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for edge in edges:
        if host[edge.source] and host[edge.target]:
            parent[root(edge.source)] = root(edge.target)
    members: dict[int, list[int]] = {}
    for index, is_host in enumerate(host):
        if is_host:
            members.setdefault(root(index), []).append(index)
    crossing: dict[int, list[int]] = {key: [0, 0, 0] for key in members}
    seen: set[tuple[str, int, str]] = set()
    for edge in edges:
        if host[edge.source] == host[edge.target]:
            continue
        region = root(edge.target if host[edge.target] else edge.source)
        direction = "in" if host[edge.target] else "out"
        key = (direction, region, edge.value)
        if key in seen:  # one tensor read by several nodes of the region crosses once
            continue
        seen.add(key)
        tally = crossing[region]
        if edge.nbytes is None:
            tally[2] += 1
        else:
            tally[0 if direction == "in" else 1] += edge.nbytes
    regions = tuple(HostRegion(tuple(items), *crossing[key])
                    for key, items in sorted(members.items(), key=lambda kv: kv[1][0]))
    return regions, _device_runs(host)


def _device_runs(host: list[bool]) -> int:
    runs, inside = 0, False
    for is_host in host:
        if not is_host and not inside:
            runs += 1
        inside = not is_host
    return max(runs, 1) if host else 1
