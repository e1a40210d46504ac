"""Sizes put into a graph exported with symbolic dimensions.

``torch.export`` with dynamic dimensions gives one graph valid for every size inside its
range constraints: a dimension it could not fix is a sympy expression in the input symbols,
kept in the IR as its string (``"s43"``, ``"s43*s53"``, ``"(s53 + 1)//2"``). Putting sizes
into those strings gives the graph a static export at those sizes would give, without
exporting again (the re-analysis cache of :mod:`trnport.analyzers.loaders.cache`).

A slice that turns out to cover its whole axis is left out, as a static trace leaves it
out. Only the arithmetic sympy prints for shapes is read (``+ - * // % **``, ``Max``, ``Min``,
``Mod``, ``FloorDiv``, ``CeilToInt``...); any other expression raises :class:`NotSpecialised`,
and the caller exports at the asked sizes instead of guessing.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from trnport.analyzers.graph.ir import Graph, Node, Value, renamed_in_attributes


class NotSpecialised(ValueError):
    """An expression or value this module cannot put sizes into."""


_BINARY: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_CALLS: dict[str, Callable[..., int]] = {
    "Max": max, "Min": min, "Mod": operator.mod, "PythonMod": operator.mod,
    "FloorDiv": operator.floordiv, "floor": int, "CeilToInt": lambda x: -(-x // 1),
    "FloorToInt": lambda x: x // 1, "Abs": abs,
}


def evaluate(text: str, sizes: Mapping[str, int]) -> int:
    """The integer ``text`` (a printed sympy size expression) takes at ``sizes``."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise NotSpecialised(f"not a size expression: {text!r}") from None
    result = _evaluate(tree, sizes, text)
    if not isinstance(result, int):
        raise NotSpecialised(f"{text!r} is not a whole number at {dict(sizes)}")
    return result


def _evaluate(tree: ast.expr, sizes: Mapping[str, int], text: str) -> Any:
    if isinstance(tree, ast.Constant) and type(tree.value) is int:
        return tree.value
    if isinstance(tree, ast.Name) and tree.id in sizes:
        return sizes[tree.id]
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
        return -_evaluate(tree.operand, sizes, text)
    if isinstance(tree, ast.BinOp) and type(tree.op) in _BINARY:
        return _BINARY[type(tree.op)](_evaluate(tree.left, sizes, text),
                                      _evaluate(tree.right, sizes, text))
    if (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)
            and tree.func.id in _CALLS and not tree.keywords):
        return _CALLS[tree.func.id](*(_evaluate(arg, sizes, text) for arg in tree.args))
    raise NotSpecialised(f"cannot evaluate {text!r}")


class _Sizer:
    """Evaluates each distinct string once: a graph repeats the same few dims everywhere."""

    def __init__(self, sizes: Mapping[str, int]) -> None:
        self.sizes = dict(sizes)
        self._known: dict[str, Any] = {}
        self._plain: set[str] = set()  # strings that name no symbol (value names, dtypes)

    def dim(self, dim: int | str) -> int:
        if type(dim) is int:
            return dim
        value = self._known.get(dim)  # type: ignore[arg-type]
        if value is None:
            value = self._known[dim] = evaluate(dim, self.sizes)  # type: ignore[arg-type]
        return value

    def attribute(self, value: Any) -> Any:
        """An attribute with its size expressions evaluated; other strings (value names,
        dtypes, enum names) stay as they are."""
        if isinstance(value, str):
            known = self._known.get(value)
            if known is not None:
                return known
            if value in self._plain:
                return value
            if not self._mentions_symbol(value):
                self._plain.add(value)
                return value
            return self.dim(value)
        if isinstance(value, list):
            return [self.attribute(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self.attribute(item) for item in value)
        return value

    def _mentions_symbol(self, text: str) -> bool:
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError:
            return False
        return any(isinstance(n, ast.Name) and n.id in self.sizes for n in ast.walk(tree))


def specialise(graph: Graph, sizes: Mapping[str, int]) -> Graph:
    """A copy of ``graph`` with every symbolic dimension and size attribute evaluated at
    ``sizes`` (symbol name → size); raises :class:`NotSpecialised` for an expression it
    cannot evaluate or a symbol left without a size."""
    sizer = _Sizer(sizes)
    values = {}
    for name, value in graph.values.items():
        shape = value.shape
        if shape is not None and not all(type(d) is int for d in shape):
            value = Value(name, tuple(sizer.dim(d) for d in shape), value.dtype)
        values[name] = value
    nodes = [_node(node, sizer) for node in graph.nodes]
    metadata = dict(graph.metadata)
    metadata["dynamic_dims"] = {}
    metadata["range_constraints"] = {}
    static = replace(graph, nodes=nodes, values=values, metadata=metadata,
                     configs=None, _by_name=None)
    return _without_whole_slices(static)


def _is_whole_slice(node: Node, graph: Graph) -> bool:
    """``x[:, :n]`` where ``n`` turned out to be the whole axis: indexing at fixed sizes
    returns ``x`` itself and records no slice (torch skips a slice from 0 to the length
    with step 1), while at symbolic sizes it could not tell and recorded one."""
    if node.op != "aten.slice.Tensor" or len(node.inputs) != 1:
        return False
    attributes = node.attributes
    source = graph.values.get(node.inputs[0])
    dim = attributes.get("dim", 0)
    if source is None or source.shape is None or type(dim) is not int \
            or not -len(source.shape) <= dim < len(source.shape):
        return False
    return (attributes.get("start") in (0, None) and attributes.get("step", 1) in (1, None)
            and attributes.get("end") == source.shape[dim])


def _without_whole_slices(graph: Graph) -> Graph:
    """``graph`` with each whole-axis slice left out and its readers reading its input."""
    source: dict[str, str] = {}
    kept = []
    for node in graph.nodes:
        if source:
            node = _reading(node, source)
        if _is_whole_slice(node, graph):
            source[node.outputs[0]] = node.inputs[0]
            continue
        kept.append(node)
    if not source:
        return graph
    values = {name: value for name, value in graph.values.items() if name not in source}
    outputs = [source.get(name, name) for name in graph.outputs]
    return replace(graph, nodes=kept, values=values, outputs=outputs)


def _reading(node: Node, source: Mapping[str, str]) -> Node:
    if not any(name in source for name in node.inputs) and not any(
            isinstance(v, (str, list, tuple)) for v in node.attributes.values()):
        return node
    return replace(node, inputs=tuple(source.get(n, n) for n in node.inputs),
                   attributes=renamed_in_attributes(node.attributes, source))


#: arguments a trace at fixed sizes spells out where one at symbolic sizes leaves the
#: schema's default: ``x[:, :n]`` slices from None with a symbolic ``n`` and from 0 with a
#: number (the same slice: aten.slice's start defaults to the first element)
_SPELLED_OUT_DEFAULTS = {"aten.slice.Tensor": {"start": 0}}


def _node(node: Node, sizer: _Sizer) -> Node:
    if node.subgraphs:
        raise NotSpecialised(f"{node.name}: nodes with subgraphs are not specialised")
    attributes = node.attributes
    if any(isinstance(v, (str, list, tuple)) for v in attributes.values()):
        attributes = {key: sizer.attribute(v) for key, v in attributes.items()}
    defaults = _SPELLED_OUT_DEFAULTS.get(node.op)
    if defaults and any(key in attributes and attributes[key] is None for key in defaults):
        attributes = {key: defaults[key] if v is None and key in defaults else v
                      for key, v in attributes.items()}
    if attributes is node.attributes:
        return node
    return replace(node, attributes=attributes)
