"""Decompose a program even when one of its ops cannot be traced further.

Decomposition retraces the program with fake tensors. An op with no kernel for them
(``to_sparse`` on a program read from a ``.pt2``: ``aten._to_sparse`` has no meta kernel)
stops the retrace, and with it the whole analysis. That is a finding about one node, so the
node that fails is found by running the graph op by op on the same fake inputs, replaced by
an opaque stand-in (one registered op, ``trnport_opaque::node``, whose fake kernel returns a
dense tensor of the node's recorded shape and dtype), and decomposition is tried again. After
conversion each stand-in takes back the op it replaced, and the graph's metadata lists it
for the rule that reports it (TRN107).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from trnport.analyzers.errors import InputError
from trnport.analyzers.graph import Graph
from trnport.analyzers.loaders.base import first_line

STAND_IN = "trnport_opaque.node.default"
#: More failing nodes than this and the program is not worth patching node by node.
MAX_OPAQUE_NODES = 8
_LIBRARY: list[Any] = []  # the library defining the stand-in, kept alive for the process


def decompose_tolerantly(ep: Any, decompose: Callable[[Any], Any],
                         failure: Callable[[BaseException], InputError]) -> tuple[Any, list]:
    """``decompose(ep)``; when it fails, the failing nodes become opaque stand-ins (at most
    :data:`MAX_OPAQUE_NODES`) and it is retried. Returns the decomposed program and the
    stand-ins ``{"node", "op", "reason"}``; raises ``failure(error)`` when no node can be
    blamed."""
    replaced: list[dict[str, str]] = []
    while True:
        try:
            return decompose(ep), replaced
        except Exception as exc:
            if len(replaced) >= MAX_OPAQUE_NODES:
                raise failure(exc) from exc
            culprit = _node_in_traceback(ep, exc) or _failing_node(ep)
            if culprit is None or not _replace(ep, culprit):
                raise failure(exc) from exc
            replaced.append({"node": culprit.name, "op": str(culprit.target),
                             "reason": first_line(exc)})


def restore_opaque_nodes(graph: Graph, replaced: list[dict[str, str]]) -> None:
    """Give each stand-in of ``graph`` back the op it replaced; record them in metadata."""
    if not replaced:
        return
    reasons = {item["op"]: item["reason"] for item in replaced}
    restored = []
    for index, node in enumerate(graph.nodes):
        if node.op == STAND_IN:
            op = str(node.attributes.get("op"))
            attributes = {k: v for k, v in node.attributes.items()
                          if k not in ("op", "size", "dtype")}
            graph.nodes[index] = dataclasses.replace(node, op=op, attributes=attributes,
                                                     source_op=None)
            restored.append({"node": node.name, "op": op, "reason": reasons.get(op, "")})
    graph.metadata["undecomposable"] = restored


def _node_in_traceback(ep: Any, error: BaseException) -> Any:
    """The innermost node of ``ep`` that the retrace was running when ``error`` was raised
    (the interpreter's ``run_node`` frame holds it)."""
    import torch

    own = {node.name: node for node in ep.graph_module.graph.nodes}  # the retrace runs a copy
    found = None
    tb = error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "run_node":
            node = frame.f_locals.get("n")
            if isinstance(node, torch.fx.Node) and node.name in own:
                found = own[node.name]
        tb = tb.tb_next
    return found if _replaceable(found, torch) else None


def _failing_node(ep: Any) -> Any:
    """The first node that raises when the graph runs on its placeholders' fake values."""
    import torch
    from torch._guards import detect_fake_mode

    module = ep.graph_module
    values = [node.meta.get("val") for node in module.graph.nodes if node.op == "placeholder"]
    fake_mode = detect_fake_mode([v for v in values if isinstance(v, torch.Tensor)])
    if fake_mode is None:
        return None

    class Locate(torch.fx.Interpreter):
        failed: Any = None

        def run_node(self, node: Any) -> Any:
            try:
                return super().run_node(node)
            except Exception:
                Locate.failed = node
                raise

    try:
        with fake_mode:
            Locate(module).run(*values)
    except Exception:  # the failure is what is being looked for
        return Locate.failed if _replaceable(Locate.failed, torch) else None
    return None


def _replaceable(node: Any, torch: Any) -> bool:
    return node is not None and node.op == "call_function" and \
        isinstance(node.target, torch._ops.OpOverload) and \
        hasattr(node.meta.get("val"), "fake_mode")


def _replace(ep: Any, node: Any) -> bool:
    """Put a stand-in call in ``node``'s place (False when it cannot stand in)."""
    import torch

    stand_in = _stand_in_op(torch)
    val = node.meta["val"]
    inputs = [a for a in node.all_input_nodes if isinstance(a.meta.get("val"), torch.Tensor)]
    graph = ep.graph_module.graph
    with graph.inserting_before(node):
        new = graph.call_function(stand_in, (inputs, str(node.target), list(val.shape),
                                             val.dtype))
    new.meta = {key: value for key, value in node.meta.items() if key != "val"}
    with val.fake_mode:  # a dense result of the recorded shape, in the program's fake mode
        new.meta["val"] = torch.empty(val.shape, dtype=val.dtype, device=val.device)
    node.replace_all_uses_with(new)
    graph.erase_node(node)
    new.name = node.name
    ep.graph_module.recompile()
    return True


def _stand_in_op(torch: Any) -> Any:
    if not _LIBRARY:
        library = torch.library.Library("trnport_opaque", "FRAGMENT")
        library.define("node(Tensor[] inputs, str op, SymInt[] size, ScalarType dtype) -> Tensor")

        def fake(inputs: list, op: str, size: list, dtype: Any) -> Any:
            device = inputs[0].device if inputs else torch.device("cpu")
            return torch.empty(size, dtype=dtype, device=device)

        torch.library.register_fake("trnport_opaque::node", fake, lib=library)
        _LIBRARY.append(library)
    return torch.ops.trnport_opaque.node.default
