"""What an ONNX rewrite is: the ops it matches (``INFO.ops``), a ``check`` that explains a
refusal in one line, and a ``replace`` that returns the nodes and constants standing in for
the match; plus the helpers several rewrites share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from onnx import helper

from trnport.analyzers.rewrites.base import RewriteInfo
from trnport.analyzers.rewrites.onnx.context import INTEGER_TYPES, GraphContext, type_name


@dataclass(frozen=True)
class Replacement:
    """Nodes removed (by name) and the nodes and initializers that replace them; the new
    nodes take the removed ones' place in topological order."""

    remove: tuple[str, ...]
    nodes: tuple[Any, ...]
    initializers: tuple[Any, ...] = ()


class OnnxRewrite(Protocol):
    INFO: RewriteInfo

    def check(self, context: GraphContext, node: Any) -> str | None:
        """None when ``node`` can be rewritten, else the one-line reason it cannot."""

    def replace(self, context: GraphContext, node: Any) -> Replacement:
        """The replacement for a node that passed ``check``."""


def integer_problem(context: GraphContext, node: Any, names: list[str]) -> str | None:
    """Why the inputs ``names`` of ``node`` are not all integer tensors, or None."""
    for name in names:
        elem = context.elem_type(name)
        if elem is None:
            return f"the element type of input '{name}' of {node.op_type} is unknown"
        if elem not in INTEGER_TYPES:
            return f"input '{name}' of {node.op_type} is {type_name(elem)}, not an integer tensor"
    return None


def cast(context: GraphContext, source: str, to: int, stem: str) -> tuple[Any, str]:
    """A Cast node of ``source`` to element type ``to``, and the name of its output."""
    out = context.fresh(stem)
    return helper.make_node("Cast", [source], [out], name=context.fresh(f"{stem}_cast"),
                            to=to), out
