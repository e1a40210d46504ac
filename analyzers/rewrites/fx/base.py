"""What an FX rewrite is, and the helpers the rewrites share.

An FX rewrite works on the graph of a ``torch.export`` ExportedProgram: ``INFO.ops`` names
the ATen overloads it matches (``targets`` are the same as torch op objects), ``check(node)``
explains a refusal in one line, and ``replace(graph, node)`` edits the graph in place and
returns the ops it added. The caller re-exports the edited program, which re-derives every
node's metadata and proves the graph still traces.

Imported only for ``.pt2`` and Python-file models: it imports torch.
"""

from __future__ import annotations

from typing import Any

import torch

from trnport.analyzers.rewrites.base import RewriteInfo

aten = torch.ops.aten
INTEGER = frozenset({torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8})


def targets_of(info: RewriteInfo) -> tuple[Any, ...]:
    """The torch op overloads named by ``info.ops`` (``aten.topk.default``)."""
    found = []
    for name in info.ops:
        namespace, packet, overload = name.split(".")
        found.append(getattr(getattr(getattr(torch.ops, namespace), packet), overload))
    return tuple(found)


def val(node: Any) -> Any:
    return node.meta.get("val") if hasattr(node, "meta") else None


def dtype_of(node: Any) -> Any:
    value = val(node)
    return getattr(value, "dtype", None)


def op_name(node: Any) -> str:
    target = node.target
    name = getattr(target, "__name__", str(target))
    if hasattr(target, "_schema"):
        return f"aten.{target._schema.name.split('::')[-1]}"
    return name


def set_val(node: Any) -> None:
    """Best-effort metadata for a new node (the re-export recomputes it anyway)."""
    from torch._guards import detect_fake_mode

    def meta(arg):
        return val(arg) if isinstance(arg, torch.fx.Node) else arg

    args = torch.fx.node.map_arg(node.args, meta)
    kwargs = torch.fx.node.map_arg(node.kwargs, meta)
    mode = detect_fake_mode([v for v in torch.utils._pytree.tree_leaves((args, kwargs))
                             if isinstance(v, torch.Tensor)])
    if mode is None:
        return
    try:
        with mode:
            node.meta["val"] = node.target(*args, **kwargs)
    except Exception:  # metadata is a convenience here; the re-export is the proof
        node.meta.pop("val", None)


def call(graph: Any, target: Any, args: tuple, kwargs: dict | None = None) -> Any:
    node = graph.call_function(target, args, kwargs or {})
    set_val(node)
    return node


def integer_problem(node: Any, inputs: list[Any]) -> str | None:
    for arg in inputs:
        dtype = dtype_of(arg)
        if dtype is None:
            return f"the element type of input '{arg}' of {op_name(node)} is unknown"
        if dtype not in INTEGER:
            return (f"input '{arg}' of {op_name(node)} is {str(dtype).replace('torch.', '')}, "
                    "not an integer tensor")
    return None
