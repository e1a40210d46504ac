"""Node configurations: what shares a number, and that sharing per configuration changes no
verdict, finding or figure of a report."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.analyzers.loaders.hf_configs import tiny_config, write_config
from tests.helpers import REPO
from trnport.analyzers.api import analyze
from trnport.analyzers.graph import Graph, Node, Value
from trnport.analyzers.graph.configs import NodeConfigs, node_configs
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.results.codec import report_to_dict


def _graph(nodes: list[Node], values: dict[str, Value]) -> Graph:
    return Graph(name="g", nodes=nodes, values=values, inputs=["x"])


def _values(**types) -> dict[str, Value]:
    return {name: Value(name, shape, dtype) for name, (shape, dtype) in types.items()}


def test_equal_op_attributes_and_types_share_a_number():
    values = _values(x=((2, 8), "float32"), a=((2, 8), "float32"), b=((2, 8), "float32"),
                     c=((2, 8), "float32"), h=((2, 8), "float16"))
    graph = _graph([
        Node("n0", "onnx::Relu", ("x",), ("a",)),
        Node("n1", "onnx::Relu", ("a",), ("b",)),              # same types: shared
        Node("n2", "onnx::Relu", ("b",), ("h",)),              # output dtype differs
        Node("n3", "onnx::Sigmoid", ("b",), ("c",)),           # op differs
    ], values)
    assert node_configs(graph).index == (0, 0, 1, 2)
    assert node_configs(graph).count == 3


def test_attributes_are_compared_by_value_and_type():
    values = _values(x=((4,), "float32"), y=((4,), "float32"))
    nodes = [Node(f"n{i}", "onnx::LeakyRelu", ("x",), ("y",), attributes)
             for i, attributes in enumerate([
                 {"alpha": 1}, {"alpha": 1}, {"alpha": 1.0}, {"alpha": True},
                 {"alpha": [1, 2]}, {"alpha": (1, 2)}, {"alpha": {"k": 1}}, {"alpha": {"k": 1}},
                 {"alpha": np.zeros(2)}, {"alpha": np.zeros(2)},
             ])]
    index = node_configs(_graph(nodes, values)).index
    assert index[0] == index[1]
    assert index[6] == index[7]
    # 1, 1.0 and True are equal in Python but different attributes; an array compares to
    # nothing, not even an equal array
    assert len({index[i] for i in (0, 2, 3, 4, 5, 6, 8, 9)}) == 8


def test_omitted_inputs_missing_values_and_subgraphs_are_told_apart():
    values = _values(x=((4,), "float32"), y=((4,), "float32"))
    body = Graph(name="body")
    graph = _graph([
        Node("n0", "onnx::Clip", ("x", ""), ("y",)),
        Node("n1", "onnx::Clip", ("x", "unknown"), ("y",)),
        Node("n2", "onnx::Clip", ("x",), ("y",)),
        Node("n3", "onnx::If", ("x",), ("y",), subgraphs=(body,)),
        Node("n4", "onnx::If", ("x",), ("y",), subgraphs=(body,)),
    ], values)
    assert len(set(node_configs(graph).index)) == 5


def test_numbering_is_redone_when_the_graph_changes():
    values = _values(x=((4,), "float32"), y=((4,), "float32"), z=((4,), "float16"))
    graph = _graph([Node("n0", "onnx::Relu", ("x",), ("y",))], values)
    first = node_configs(graph)
    assert node_configs(graph) is first
    graph.nodes.append(Node("n1", "onnx::Relu", ("y",), ("z",)))   # training appends
    assert node_configs(graph).index == (0, 1)
    graph.nodes = [Node("n2", "onnx::Relu", ("x",), ("z",))]         # a pass replaces
    assert node_configs(graph).index == (0,)
    graph.values = {**graph.values, "z": Value("z", (4,), "float32")}
    assert isinstance(node_configs(graph), NodeConfigs)
    assert node_configs(graph).index == (0,) and node_configs(graph).fits(graph)


def _encoder_stack(path, layers: int = 4) -> str:
    """Identical layers (MatMul, Add, Gelu as erf, Reshape by an int64 constant, a Cast,
    LayerNorm decomposed) with their own weights: the repeated configurations of a real
    exported encoder, then Dropouts with and without a seed and a Gemm that transposes."""
    rng = np.random.default_rng(0)
    nodes, weights = [], []
    hidden = 8
    previous = "x"
    for layer in range(layers):
        w = f"w{layer}"
        weights.append(numpy_helper.from_array(
            rng.standard_normal((hidden, hidden)).astype(np.float32), w))
        weights.append(numpy_helper.from_array(np.array([2, 4, hidden], np.int64), f"s{layer}"))
        names = [f"l{layer}_{i}" for i in range(8)]
        nodes += [
            helper.make_node("MatMul", [previous, w], [names[0]], name=f"/l{layer}/mm"),
            helper.make_node("Add", [names[0], previous], [names[1]], name=f"/l{layer}/add"),
            helper.make_node("Erf", [names[1]], [names[2]], name=f"/l{layer}/erf"),
            helper.make_node("Mul", [names[1], names[2]], [names[3]], name=f"/l{layer}/mul"),
            helper.make_node("Reshape", [names[3], f"s{layer}"], [names[4]],
                             name=f"/l{layer}/reshape"),
            helper.make_node("Cast", [names[4]], [names[5]], to=TensorProto.FLOAT16,
                             name=f"/l{layer}/cast"),
            helper.make_node("Cast", [names[5]], [names[6]], to=TensorProto.FLOAT,
                             name=f"/l{layer}/cast_back"),
            helper.make_node("Reshape", [names[6], "flat"], [names[7]],
                             name=f"/l{layer}/flatten"),
        ]
        previous = names[7]
    weights.append(numpy_helper.from_array(np.array([8, hidden], np.int64), "flat"))
    weights.append(numpy_helper.from_array(
        rng.standard_normal((hidden, hidden)).astype(np.float32), "g"))
    # equal types, one with a seed onnx2torch cannot convert: only the attribute tells them
    nodes += [helper.make_node("Dropout", [previous], ["d0"], name="/drop0"),
              helper.make_node("Dropout", ["d0"], ["d1"], seed=3, name="/drop1"),
              helper.make_node("Dropout", ["d1"], ["d2"], name="/drop2")]
    nodes.append(helper.make_node("Gemm", ["d2", "g"], ["out"], transA=1, name="/head"))
    graph = helper.make_graph(
        nodes, "stack", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8, hidden])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [hidden, hidden])],
        initializer=weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return str(path)


def _every_node_its_own(graph: Graph) -> NodeConfigs:
    return NodeConfigs(tuple(range(len(graph.nodes))), len(graph.nodes), graph.nodes,
                       graph.values, len(graph.values))


@pytest.mark.parametrize("model, options", [
    ("encoder-stack", AnalysisOptions(target="trn1")),
    ("encoder-stack", AnalysisOptions(target="trn2")),  # TorchNeuron's table maps verdicts
    ("resources/samples/tiny_cnn.onnx", AnalysisOptions(target="inf2")),
    ("resources/samples/mlp_model.py", AnalysisOptions(trust_code=True)),
    ("resources/samples/mlp_model.py", AnalysisOptions(trust_code=True, mode="training")),
    ("tests/golden/models/sort_and_cumsum.pt2", AnalysisOptions(target="trn2")),
    ("llama", AnalysisOptions(target="trn1", seq_len=32)),
])
def test_sharing_per_configuration_changes_nothing_in_the_report(model, options, tmp_path,
                                                                   monkeypatch):
    """The report with verdicts, FLOPs and instruction counts shared per configuration is
    the report with every node judged and sized on its own."""
    from trnport.analyzers.coverage import assess
    from trnport.analyzers.memory import flops, instructions

    if model == "encoder-stack":
        path = _encoder_stack(tmp_path / "stack.onnx")
    elif model == "llama":
        path = str(write_config(tmp_path / "llama", tiny_config("llama")))
    else:
        path = str(REPO / model)
    shared = report_to_dict(analyze(path, options))
    for module in (assess, flops, instructions):
        monkeypatch.setattr(module, "node_configs", _every_node_its_own)
    alone = report_to_dict(analyze(path, options))
    assert shared == alone
    if model == "encoder-stack":  # the layers did share: the check compared something
        from trnport.analyzers.loaders import load_model

        graph = load_model(path, options).graph
        assert node_configs(graph).count < len(graph.nodes) / 2
