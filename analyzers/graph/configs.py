"""Each node's configuration — op, attributes, input and output types — numbered once.

Big models repeat a few configurations thousands of times (a 100k-node encoder stack has
27), and what a pass derives from a node's op, attributes and value types alone is the
same for every node of one configuration. :func:`node_configs` numbers the configurations
of a graph's nodes once; a pass then computes per configuration (adding whatever per-value
facts it also reads, such as which inputs are weights) and shares the answer.

Names and source locations are not part of a configuration: a pass must not read them
when it shares results this way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trnport.analyzers.graph.ir import Graph

#: the type number of an omitted optional input or output (""); a name the graph has no
#: value for has None
OMITTED = -1


@dataclass(frozen=True, slots=True)
class NodeConfigs:
    """``index[i]`` is the configuration number of ``graph.nodes[i]``; numbers count up
    from 0 in order of first appearance, so ``count`` is one more than the largest."""

    index: tuple[int, ...]
    count: int
    #: what was numbered: the node list and value table, and how many values it held
    nodes: list
    values: dict
    value_count: int

    def fits(self, graph: Graph) -> bool:
        """True while ``graph`` holds the very node list and value table numbered, unchanged
        in length (a pass replacing either, or training appending to them, renumbers)."""
        return self.nodes is graph.nodes and len(self.index) == len(graph.nodes) \
            and self.values is graph.values and self.value_count == len(graph.values)


def node_configs(graph: Graph) -> NodeConfigs:
    """The configuration numbers of ``graph``'s nodes (its own nodes, not subgraph bodies).

    Computed once and kept on the graph; computed again when the node list was replaced or
    grew (training appends the backward pass). A node with subgraphs gets a number of its
    own, since what its bodies hold is not in the key."""
    known = graph.configs
    if known is not None and known.fits(graph):
        return known
    type_of = _type_numbers(graph).get
    attribute_keys: dict[int, Any] = {}
    numbers: dict[tuple, int] = {}
    index: list[int] = []
    for node in graph.nodes:
        attributes = node.attributes
        if not attributes:
            attribute_key: Any = ()
        else:
            attribute_key = attribute_keys.get(id(attributes))
            if attribute_key is None:
                attribute_key = attribute_keys[id(attributes)] = _frozen(attributes)
        if node.subgraphs:
            attribute_key = ("subgraphs", id(node))
        inputs = node.inputs  # one flat key: the input count keeps inputs and outputs apart
        key = (node.op, attribute_key, len(inputs), *map(type_of, inputs),
               *map(type_of, node.outputs))
        number = numbers.get(key)
        if number is None:
            number = numbers[key] = len(numbers)
        index.append(number)
    configs = NodeConfigs(tuple(index), len(numbers), graph.nodes, graph.values,
                          len(graph.values))
    graph.configs = configs
    return configs


def _type_numbers(graph: Graph) -> dict[str, int]:
    """Value name to a number shared by values of equal shape and dtype."""
    numbers: dict[tuple, int] = {}
    of_name: dict[str, int] = {"": OMITTED}
    for name, value in graph.values.items():
        key = (value.shape, value.dtype)
        number = numbers.get(key)
        if number is None:
            number = numbers[key] = len(numbers)
        of_name[name] = number
    return of_name


class _Unshareable:
    """Stands for an attribute value that cannot be compared: equal only to itself."""

    __slots__ = ()


def _frozen(value: Any) -> Any:
    """A hashable form of an attribute value that keeps types apart (``1``, ``1.0`` and
    ``True`` compare equal in Python but are different attributes)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, *map(_frozen, value))
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return (type(value).__name__, value)
    try:
        hash(value)
    except TypeError:
        return _Unshareable()
    return (type(value).__qualname__, value)
