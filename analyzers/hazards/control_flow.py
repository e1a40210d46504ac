"""Branches and loops decided by tensor values: ``torch.cond`` / ``while_loop`` in exported
programs, ONNX ``If`` / ``Loop`` whose condition or trip count is computed from data, and
Python branches on tensor values that export had to specialise (the draft-export guards the
loader records). Conditions that are constant at compile time are not hazards."""

from __future__ import annotations

from dataclasses import dataclass

from trnport.analyzers.coverage.static_values import static_value_names
from trnport.analyzers.graph import Graph, Node
from trnport.analyzers.hazards.host_sync import host_reads

TORCH_BRANCH_OPS = {"higher_order.cond": "torch.cond", "higher_order.while_loop": "while_loop"}
ONNX_BRANCH_OPS = {"onnx::If": "If", "onnx::Loop": "Loop"}


@dataclass(frozen=True)
class DataDependentBranch:
    """``kind`` is ``cond``/``while_loop`` (exported higher-order ops), ``onnx-if``/``onnx-loop``,
    or ``python-branch`` (a guard export specialised, frozen to ``guard["result"]``)."""

    node: Node
    kind: str
    what: str
    guard: dict | None = None


def data_dependent_branches(graph: Graph) -> list[DataDependentBranch]:
    found: list[DataDependentBranch] = []
    _walk(graph, frozenset(), found)
    for read in host_reads(graph):
        if read.guard is not None:
            found.append(DataDependentBranch(read.node, "python-branch",
                                             read.guard.get("code") or "a Python branch",
                                             read.guard))
    return found


def _walk(graph: Graph, outer: frozenset[str], found: list[DataDependentBranch]) -> None:
    static = static_value_names(graph, outer) if _has_onnx_branch(graph) else outer
    for node in graph.nodes:
        if node.op in TORCH_BRANCH_OPS:
            found.append(DataDependentBranch(node, node.op.split(".", 1)[1],
                                             TORCH_BRANCH_OPS[node.op]))
        elif node.op == "onnx::If":
            condition = node.inputs[0] if node.inputs else ""
            if condition and condition not in static:
                found.append(DataDependentBranch(node, "onnx-if", "If"))
        elif node.op == "onnx::Loop":
            bounds = [name for name in node.inputs[:2] if name]
            if not bounds or any(name not in static for name in bounds) \
                    or not _body_keeps_condition(node, static):
                found.append(DataDependentBranch(node, "onnx-loop", "Loop"))
        for body in node.subgraphs:
            _walk(body, static, found)


def _has_onnx_branch(graph: Graph) -> bool:
    return any(node.op in ONNX_BRANCH_OPS for node in graph.nodes)


def _body_keeps_condition(loop: Node, static: frozenset[str]) -> bool:
    """True when the Loop body's condition output is fixed: a constant, or the incoming
    condition passed straight through (the form exporters write for counted loops)."""
    if not loop.subgraphs:
        return True
    body = loop.subgraphs[0]
    if not body.outputs:
        return True
    cond_out = body.outputs[0]
    cond_in = body.inputs[1] if len(body.inputs) > 1 else None
    if cond_out == cond_in or cond_out in static_value_names(body, static):
        return True
    for node in body.nodes:
        if cond_out in node.outputs and node.op == "onnx::Identity":
            return bool(node.inputs) and node.inputs[0] == cond_in
    return False


def claimed_nodes(graph: Graph) -> frozenset[str]:
    """Names of the nodes a hazard rule reports (host reads: TRN303, data-dependent branches:
    TRN304). The operator-coverage rules leave these to the more specific hazard finding; the
    coverage status of the node (``cpu_fallback``, ``unsupported``) is unchanged."""
    names = {read.node.name for read in host_reads(graph)}
    names.update(branch.node.name for branch in data_dependent_branches(graph))
    return frozenset(names)
