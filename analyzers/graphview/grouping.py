"""Groups for the graph views: the module hierarchy, with long lists of parts split into
runs so that no box opens onto more than :data:`MAX_PARTS` boxes.

A PyTorch node's module is its ``nn_module_stack`` path; an ONNX node's is read from its
name scopes (``/encoder/layer.3/attention/MatMul`` → ``encoder.layer.3.attention``). A model
without either (an ONNX file with plain node names) is split into runs of nodes in execution
order, so that even a flat 30,000-node graph opens on a few dozen boxes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: the most boxes one level shows before its parts are split into runs
MAX_PARTS = 24


@dataclass
class _Draft:
    path: str
    label: str
    parent: int
    children: list[int] = field(default_factory=list)
    nodes: list[int] = field(default_factory=list)
    first: int = 1 << 62  # execution position of the earliest node under the group


def group_nodes(modules: list[str | None]) -> tuple[list[_Draft], list[int]]:
    """Groups for nodes whose module paths are ``modules`` (in execution order), and the
    innermost group of each node. ``drafts[0]`` is the model."""
    drafts = [_Draft("", "model", -1)]
    by_path = {"": 0}

    def group_for(path: str) -> int:
        found = by_path.get(path)
        if found is not None:
            return found
        parent_path, _, label = path.rpartition(".")
        parent = group_for(parent_path)
        drafts.append(_Draft(path, label, parent))
        index = by_path[path] = len(drafts) - 1
        drafts[parent].children.append(index)
        return index

    owner = []
    for position, module in enumerate(modules):
        group = group_for(module or "")
        drafts[group].nodes.append(position)
        owner.append(group)
        chain = group
        while chain >= 0 and drafts[chain].first > position:
            drafts[chain].first = position
            chain = drafts[chain].parent
    for index in range(len(drafts)):
        _split_long(drafts, index, owner)
    return drafts, owner


def _split_long(drafts: list[_Draft], index: int, owner: list[int]) -> None:
    """Replace the parts of a group that has too many by runs of at most MAX_PARTS, nested
    as deep as needed; a run keeps its parts' execution order."""
    draft = drafts[index]
    parts = sorted([("g", c, drafts[c].first) for c in draft.children] +
                   [("n", n, n) for n in draft.nodes], key=lambda part: part[2])
    if len(parts) <= MAX_PARTS:
        return
    while len(parts) > MAX_PARTS:
        runs = [parts[start:start + MAX_PARTS] for start in range(0, len(parts), MAX_PARTS)]
        parts = []
        for run in runs:
            if len(run) == 1:
                parts.append(run[0])
                continue
            drafts.append(_Draft(draft.path, _run_label(drafts, run), index))
            run_index = len(drafts) - 1
            for kind, item, _ in run:
                if kind == "g":
                    drafts[run_index].children.append(item)
                    drafts[item].parent = run_index
                else:
                    drafts[run_index].nodes.append(item)
                    owner[item] = run_index
            drafts[run_index].first = run[0][2]
            parts.append(("g", run_index, run[0][2]))
    draft.children = [item for kind, item, _ in parts if kind == "g"]
    draft.nodes = [item for kind, item, _ in parts if kind == "n"]
    for child in draft.children:
        drafts[child].parent = index


def _run_label(drafts: list[_Draft], run) -> str:
    def name(part) -> str:
        kind, item, _ = part
        return drafts[item].label if kind == "g" else f"op {item + 1}"

    return f"{name(run[0])} … {name(run[-1])}"
