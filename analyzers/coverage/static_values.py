"""Which values of a graph are known before it runs (constants, weights, static shapes).

Used by ``input_static`` conditions: onnx2torch reads shape-like ONNX inputs (Reshape's
shape, Slice's bounds, TopK's k) on the host, which only works on Neuron when the value is
fixed. A value is static when it is an initializer/parameter, a Constant's output, the
Shape/Size of a value whose shape is fully static, or the output of a deterministic node
whose inputs are all static.
"""

from __future__ import annotations

from trnport.analyzers.graph import Graph

# ops whose output is not a function of their inputs alone
_NONDETERMINISTIC = frozenset(
    {
        "onnx::RandomNormal",
        "onnx::RandomNormalLike",
        "onnx::RandomUniform",
        "onnx::RandomUniformLike",
        "onnx::Multinomial",
        "onnx::Bernoulli",
        "onnx::Dropout",
    }
)
_SHAPE_OPS = frozenset({"onnx::Shape", "onnx::Size"})
_CONSTANT_OPS = frozenset({"onnx::Constant"})


def static_value_names(graph: Graph, outer: frozenset[str] = frozenset()) -> frozenset[str]:
    """Names of the values of ``graph`` (and ``outer`` scope) that are fixed at compile time."""
    static = set(outer)
    static.update(param.name for param in graph.params)
    static.update(graph.metadata.get("param_inputs", {}))
    outer_has_omitted = "" in static
    static.add("")  # an omitted optional input or output, while the walk runs
    for node in graph.nodes:
        op = node.op
        if op in _CONSTANT_OPS:
            static.update(node.outputs)
        elif op in _SHAPE_OPS:
            source = graph.values.get(node.inputs[0]) if node.inputs else None
            if source is not None and not source.is_dynamic:
                static.update(node.outputs)
        elif node.inputs and static.issuperset(node.inputs) and \
                op not in _NONDETERMINISTIC and not node.subgraphs:
            static.update(node.outputs)
    if not outer_has_omitted:
        static.discard("")
    return frozenset(static)
