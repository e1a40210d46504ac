"""Nodes that hit a known issue of the analysed SDK line: a wrong result or compiler failure
that the Neuron release notes document as fixed in a later release (``known_issues.yaml``).

An issue names its ops (ATen packets or overloads, ONNX ``onnx::Type``) and optionally a
condition in the operator-rule vocabulary (dtypes, attributes, ranks, mode); it applies only
when the profile's SDK line is inside the issue's ``affected`` range.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from trnport.analyzers.coverage.conditions import Context, Facts, compile_condition
from trnport.analyzers.graph import Graph, Node
from trnport.analyzers.memory.ops import op_packet


@dataclass(frozen=True)
class KnownIssueHit:
    """One node of the graph that triggers ``issue`` (a kb ``KnownIssue``)."""

    node: Node
    issue: object


def known_issue_hits(graph: Graph, kb, profile, target, mode: str) -> Iterator[KnownIssueHit]:
    """Every (node, issue) pair where the node's op and facts match an issue that affects
    ``profile``'s SDK line, in graph order."""
    issues = [issue for issue in kb.known_issues if issue.affects(profile.version)]
    if not issues:
        return
    ctx = Context(sdk=profile.version, family=target.family, generation=target.neuroncore,
                  mode=mode)
    compiled = [(issue, compile_condition(issue.when, kb.dtype_families) if issue.when else None)
                for issue in issues]
    for node, owner in graph.walk():
        packet = op_packet(node.op)
        for issue, predicate in compiled:
            if node.op not in issue.ops and packet not in issue.ops:
                continue
            if predicate is None or predicate(_facts(node, owner, packet), ctx):
                yield KnownIssueHit(node, issue)


def _facts(node: Node, graph: Graph, packet: str) -> Facts:
    values = graph.values
    ins = [values.get(name) if name else None for name in node.inputs]
    outs = [values.get(name) if name else None for name in node.outputs]
    return Facts(
        op_packet=packet, aten=(),
        in_dtypes=tuple(v.dtype if v else None for v in ins),
        out_dtypes=tuple(v.dtype if v else None for v in outs),
        attrs=node.attributes,
        in_shapes=tuple(v.shape if v else None for v in ins),
        in_static=(), num_inputs=sum(1 for name in node.inputs if name), opset=None,
    )
