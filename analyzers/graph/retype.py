"""A graph exported with its model built in one floating dtype, as an export with the model
built in another gives it.

A Hugging Face model built in bfloat16 upcasts on purpose where precision matters (RMSNorm,
softmax, rotary angles): those casts are ``aten._to_copy`` nodes to float32 and back. Built
in float32, the same code traces without them, since a cast to the dtype a tensor already
has returns the tensor itself and records nothing. Everything else differs only in names of
dtypes and in the mask fill value the code takes from ``torch.finfo(dtype).min``. So the
float32 graph is the bfloat16 one with the model dtype renamed, that constant replaced, and
each cast that became one to its own dtype left out (its readers read its input).

The other way round (float32 to bfloat16) cannot be done: which float32 values were upcasts
is no longer visible. Whether a model's code branches on its dtype is not visible either, so
callers use this only for what has been checked equal to an export (see
:mod:`trnport.analyzers.loaders.hf.loader`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from trnport.analyzers.graph.ir import Graph, Node, Value, renamed_in_attributes

#: ``torch.finfo(dtype).min`` of the floating dtypes a model is built in (the fill value of
#: causal and padding masks in transformers)
FLOAT_MIN = {
    "float32": -3.4028234663852886e+38,
    "bfloat16": -3.3895313892515355e+38,
    "float16": -65504.0,
}
_CAST = "aten._to_copy.default"
#: the attributes of a cast that only restates where the tensor is
_PLACEMENT = frozenset({"dtype", "device", "layout", "pin_memory"})


class NotRetyped(ValueError):
    """A graph this module cannot give in another dtype."""


def retype(graph: Graph, source: str, target: str) -> Graph:
    """``graph``, exported from a model built in ``source`` (a torch dtype name such as
    ``"bfloat16"``), as the same export of the model built in ``target`` gives it."""
    if source not in FLOAT_MIN or target not in FLOAT_MIN or source == target:
        raise NotRetyped(f"no retyping from {source} to {target}")
    if any(node.subgraphs for node in graph.nodes):
        raise NotRetyped("nodes with subgraphs are not retyped")
    constants = {source: target, FLOAT_MIN[source]: FLOAT_MIN[target]}
    values = {name: Value(name, value.shape, target) if value.dtype == source else value
              for name, value in graph.values.items()}
    params = [replace(param, dtype=target) if param.dtype == source else param
              for param in graph.params]
    nodes: list[Node] = []
    source_of: dict[str, str] = {}  # output of a cast left out → the value it cast
    changed_in_place = _changed_in_place(graph)
    for node in graph.nodes:
        cast = (*node.inputs[:1], *node.outputs[:1])
        if source_of:
            node = replace(node, inputs=tuple(source_of.get(n, n) for n in node.inputs),
                           attributes=renamed_in_attributes(node.attributes, source_of))
        node = _with_constants(node, constants)
        if _is_identity_cast(node, values):
            if not changed_in_place.isdisjoint((*cast, node.inputs[0])):
                # a cast that returns its input aliases it: a change in place of either
                # shows in both, and the export replays views of the changed tensor where
                # they are read (Qwen3-MoE's router weights, divided in place, come out in
                # another order)
                raise NotRetyped(f"{node.name} casts a tensor changed in place")
            source_of[node.outputs[0]] = node.inputs[0]
            continue
        nodes.append(node)
    for name in source_of:
        del values[name]
    outputs = [source_of.get(name, name) for name in graph.outputs]
    return replace(graph, nodes=nodes, values=values, params=params, outputs=outputs,
                   configs=None, _by_name=None)


def _with_constants(node: Node, constants: Mapping[Any, Any]) -> Node:
    attributes = node.attributes
    if not any(_replaced(v, constants) is not v for v in attributes.values()):
        return node
    return replace(node, attributes={k: _replaced(v, constants) for k, v in attributes.items()})


def _replaced(value: Any, constants: Mapping[Any, Any]) -> Any:
    kind = type(value)
    if kind is str or kind is float:
        return constants.get(value, value)
    if kind is list or kind is tuple:
        items = [_replaced(item, constants) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if kind is list else tuple(items)
    return value


def _changed_in_place(graph: Graph) -> set[str]:
    """Values an in-place op (``div_``, functionalized into ``div``) reads as the tensor it
    changes, or writes as its new content."""
    names: set[str] = set()
    for node in graph.nodes:
        source = node.source_op or ""
        parts = source.split(".")
        if len(parts) >= 2 and parts[1].endswith("_") and not parts[1].endswith("__"):
            names.update(node.inputs[:1])
            names.update(node.outputs)
    return names


def _is_identity_cast(node: Node, values: Mapping[str, Value]) -> bool:
    """A cast of a tensor to the dtype (and place) it already has."""
    if node.op != _CAST or len(node.inputs) != 1 or len(node.outputs) != 1:
        return False
    if not set(node.attributes) <= _PLACEMENT:
        return False
    before, after = values.get(node.inputs[0]), values.get(node.outputs[0])
    return (before is not None and after is not None and before.dtype == after.dtype
            and before.shape == after.shape)

