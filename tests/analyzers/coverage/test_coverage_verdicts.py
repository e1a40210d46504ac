"""Coverage verdicts on real exported PyTorch graphs, real ONNX files and hand-built graphs:
conditions evaluated on node data, profile- and target-dependent dtype issues, unknown and
custom operators, summary counts."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

from trnport.analyzers.coverage import NODE_STATUSES, assess_coverage
from trnport.analyzers.graph import Graph, Node, Value
from trnport.analyzers.kb import load_kb
from trnport.analyzers.loaders.onnx import loader as onnx_loader
from trnport.analyzers.loaders.torch.fx_graph import graph_from_exported_program
from trnport.analyzers.options import AnalysisOptions


# the XLA-derived verdicts of the knowledge base, on the last line where trn2 defaults to
# PyTorch/XLA (TorchNeuron's view of them: tests/analyzers/coverage/test_stack_verdicts.py)
def _assess(graph: Graph, target: str = "trn2", sdk: str | None = "2.32",
            mode: str = "inference"):
    kb = load_kb()
    options = AnalysisOptions(target=target, sdk=sdk, mode=mode)
    return assess_coverage(graph, kb, kb.profile(sdk), kb.target(target), options)


def _export(module: torch.nn.Module, *args) -> Graph:
    return graph_from_exported_program(torch.export.export(module, args, strict=False), "m")


def _by_op(result, op: str):
    return [v for v in result.verdicts if v.op == op]


class _Lambda(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


def test_integer_topk_is_unsupported_configuration_and_float_topk_is_supported():
    graph = _export(
        _Lambda(lambda x, i: (torch.topk(x, 2).values, torch.topk(i, 2).values)),
        torch.randn(3, 8),
        torch.randint(0, 9, (3, 8)),
    )
    verdicts = {v.node: v for v in _by_op(_assess(graph), "aten.topk.default")}
    assert len(verdicts) == 2
    float_v = next(v for v in verdicts.values() if v.code is None)
    int_v = next(v for v in verdicts.values() if v.code is not None)
    assert float_v.status == "supported"
    assert (int_v.status, int_v.code, int_v.rewrite) == (
        "unsupported",
        "TRN103",
        "RW-topk-int-to-float",
    )
    assert "EVRF013" in int_v.reason and "EVRF013" in int_v.source


@pytest.mark.parametrize(
    "reduce, include_self, expected",
    [
        ("mean", True, "cpu_fallback"),
        ("sum", False, "cpu_fallback"),
        ("sum", True, "supported"),
        ("amax", True, "supported"),
    ],
)
def test_scatter_reduce_modes(reduce, include_self, expected):
    index = torch.zeros(4, 2, dtype=torch.long)
    graph = _export(
        _Lambda(lambda x: x.scatter_reduce(1, index, x[:, :2], reduce, include_self=include_self)),
        torch.randn(4, 6),
    )
    (verdict,) = _by_op(_assess(graph), "aten.scatter_reduce.two")
    assert verdict.status == expected
    assert verdict.code == ("TRN102" if expected == "cpu_fallback" else None)


def test_addmm_with_beta_falls_back_but_linear_does_not():
    graph = _export(
        _Lambda(lambda c, a: torch.addmm(c, a, a.T, beta=0.5)), torch.randn(4, 4), torch.randn(4, 3)
    )
    (scaled,) = _by_op(_assess(graph), "aten.addmm.default")
    assert (scaled.status, scaled.code, scaled.matched) == (
        "cpu_fallback",
        "TRN102",
        "addmm-scaled",
    )
    linear = _export(torch.nn.Linear(3, 5), torch.randn(2, 3))
    (plain,) = _by_op(_assess(linear), "aten.addmm.default")
    assert plain.status == "supported" and plain.code is None


def test_complex_mul_is_unsupported_before_2_32_and_conditional_from_2_32():
    def rotate(x):
        z = torch.view_as_complex(x.reshape(2, 4, 2))
        return torch.view_as_real(z * z)

    graph = _export(_Lambda(rotate), torch.randn(2, 8))
    old = _assess(graph, sdk="2.31")
    new = _assess(graph, sdk="2.32")
    (old_mul,) = _by_op(old, "aten.mul.Tensor")
    (new_mul,) = _by_op(new, "aten.mul.Tensor")
    assert old_mul.status == "unsupported" and new_mul.status == "conditional"
    old_issue = [i for i in old.issues_for(old_mul.node) if i.code == "TRN203"]
    new_issue = [i for i in new.issues_for(new_mul.node) if i.code == "TRN203"]
    assert old_issue[0].severity == "error" and new_issue[0].status == "conditional"
    assert old.counts["unsupported"] > new.counts["unsupported"]


def test_fp64_gets_trn201_and_int64_on_trn1_is_supported_with_trn202():
    graph = _export(_Lambda(lambda x, n: (x.double() * 2, n + 1)), torch.randn(3), torch.arange(3))
    result = _assess(graph, target="trn1")
    double_nodes = [
        v for v in result.verdicts if any(i.code == "TRN201" for i in result.issues_for(v.node))
    ]
    assert double_nodes and all(v.status == "conditional" for v in double_nodes)
    (add,) = [v for v in _by_op(result, "aten.add.Tensor")]
    assert add.status == "supported"
    assert [i.code for i in result.issues_for(add.node)] == ["TRN202"]
    assert "always" in result.issues_for(add.node)[0].reason  # NeuronCore-v2 has no native int64


def test_float8_e4m3fn_is_rejected_on_trn2_but_not_on_trn3():
    graph = _export(_Lambda(lambda x: x.to(torch.float8_e4m3fn).to(torch.float32)), torch.randn(4))
    trn2 = _assess(graph, target="trn2")
    trn3 = _assess(graph, target="trn3")
    assert {i.code for i in trn2.dtype_issues} == {"TRN204"}
    assert all(i.severity == "error" for i in trn2.dtype_issues)
    assert not [i for i in trn3.dtype_issues if i.code == "TRN204"]


def test_nonzero_is_unsupported_for_inference_and_host_fallback_for_training():
    graph = _export(_Lambda(lambda x: torch.nonzero(x > 0)), torch.randn(4))
    (inference,) = _by_op(_assess(graph), "aten.nonzero.default")
    (training,) = _by_op(_assess(graph, mode="training"), "aten.nonzero.default")
    assert (inference.status, inference.code) == ("unsupported", "TRN301")
    # lazy XLA runs it on the host: a documented host fallback, reported as one
    assert (training.status, training.code) == ("cpu_fallback", "TRN102")


def test_cumprod_int64_falls_back_to_cpu_and_float_cumprod_does_not():
    graph = _export(
        _Lambda(lambda n, x: (torch.cumprod(n, 0), torch.cumprod(x, 0))),
        torch.arange(1, 5),
        torch.randn(4),
    )
    result = _assess(graph)
    matched = {v.matched: v.status for v in _by_op(result, "aten.cumprod.default")}
    assert matched == {"cumprod-int64": "cpu_fallback", "entry": "supported"}


def test_torchscript_norm_with_p0_falls_back_to_cpu():
    # torch.export decomposes norm into linalg_vector_norm; TorchScript keeps aten::norm
    values = {n: Value(n, (4,), "float32") for n in ("x", "count", "length")}
    graph = Graph(
        name="ts",
        nodes=[
            Node("count", "aten.norm", ("x",), ("count",), {"p": 0}),
            Node("length", "aten.norm", ("x",), ("length",), {"p": 2.0}),
        ],
        values=values,
    )
    verdicts = {v.node: v for v in _assess(graph).verdicts}
    assert (verdicts["count"].status, verdicts["count"].matched) == ("cpu_fallback", "norm-p0")
    assert verdicts["length"].status == "supported"


def test_unknown_and_custom_ops_are_never_silently_supported():
    graph = Graph(
        name="hand",
        nodes=[
            Node("a", "aten.some_future_op.default", ("x",), ("y",)),
            Node("b", "mylib.fused_gelu.default", ("y",), ("z",)),
            Node("c", "com.microsoft::FusedMatMul", ("z", "z"), ("w",)),
            Node("d", "aten.relu.default", ("w",), ("v",)),
        ],
        values={n: Value(n, (2, 2), "float32") for n in "xyzwv"},
        inputs=["x"],
        outputs=["v"],
    )
    result = _assess(graph)
    codes = {v.node: (v.status, v.code) for v in result.verdicts}
    assert codes == {
        "a": ("unknown", "TRN105"),
        "b": ("unknown", "TRN106"),
        # a vendor-domain ONNX op has no onnx2torch converter: the model cannot reach Neuron
        "c": ("unsupported", "TRN106"),
        "d": ("supported", None),
    }
    assert result.counts["unknown"] == 2
    assert result.coverage_pct == pytest.approx(25.0)
    assert sum(result.counts[s] for s in NODE_STATUSES) == result.total == 4


def test_custom_torch_library_op_in_an_exported_graph_is_a_custom_op():
    @torch.library.custom_op("trnport_cov_test::double_it", mutates_args=())
    def double_it(x: torch.Tensor) -> torch.Tensor:
        return x * 2

    @double_it.register_fake
    def _(x):
        return torch.empty_like(x)

    graph = _export(_Lambda(lambda x: double_it(x).relu()), torch.randn(3))
    (custom,) = [v for v in _assess(graph).verdicts if v.op.startswith("trnport_cov_test.")]
    assert (custom.status, custom.code) == ("unknown", "TRN106")


# ---- ONNX -------------------------------------------------------------------------------


def _onnx_file(tmp_path: Path, nodes, inputs, outputs, inits=(), opset=17, name="m") -> Path:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)],
    )
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    return path


def _load_onnx(path: Path) -> Graph:
    return onnx_loader.load(path, AnalysisOptions()).graph


def test_onnx_topk_on_integers_and_dilated_maxpool(tmp_path):
    import numpy as np

    path = _onnx_file(
        tmp_path,
        [
            helper.make_node("TopK", ["ids", "k"], ["vals", "idx"], name="topk_int"),
            helper.make_node("TopK", ["scores", "k"], ["svals", "sidx"], name="topk_float"),
            helper.make_node(
                "MaxPool",
                ["img"],
                ["pooled"],
                kernel_shape=[2, 2],
                dilations=[2, 2],
                name="pool_dilated",
            ),
            helper.make_node("MaxPool", ["img"], ["pooled2"], kernel_shape=[2, 2], name="pool"),
        ],
        [
            helper.make_tensor_value_info("ids", TensorProto.INT32, [2, 8]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, [2, 8]),
            helper.make_tensor_value_info("img", TensorProto.FLOAT, [1, 3, 8, 8]),
        ],
        [
            helper.make_tensor_value_info(n, TensorProto.UNDEFINED, None)
            for n in ("vals", "svals", "pooled", "pooled2")
        ],
        inits=[numpy_helper.from_array(np.array([2], dtype=np.int64), "k")],
    )
    result = _assess(_load_onnx(path))
    verdicts = {v.node: v for v in result.verdicts}
    assert (verdicts["topk_int"].status, verdicts["topk_int"].code) == ("unsupported", "TRN103")
    assert verdicts["topk_float"].status == "supported"
    assert (verdicts["pool_dilated"].status, verdicts["pool_dilated"].code) == (
        "cpu_fallback",
        "TRN102",
    )
    assert verdicts["pool"].status == "supported"


def test_onnx_reshape_static_vs_runtime_shape_and_custom_domain(tmp_path):
    import numpy as np

    path = _onnx_file(
        tmp_path,
        [
            helper.make_node("Reshape", ["x", "shape_const"], ["r1"], name="reshape_const"),
            helper.make_node("Shape", ["x"], ["x_shape"], name="shape"),
            helper.make_node("Reshape", ["x", "x_shape"], ["r2"], name="reshape_static_shape"),
            helper.make_node("Cast", ["n"], ["n_float"], to=TensorProto.FLOAT, name="cast_runtime"),
            helper.make_node(
                "Cast", ["n_float"], ["n_int"], to=TensorProto.INT64, name="cast_back"
            ),
            helper.make_node("Reshape", ["x", "n_int"], ["r3"], name="reshape_runtime"),
            helper.make_node(
                "FusedMatMul", ["x", "x"], ["fm"], domain="com.microsoft", name="vendor"
            ),
        ],
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6]),
            helper.make_tensor_value_info("n", TensorProto.INT64, [2]),
        ],
        [
            helper.make_tensor_value_info(n, TensorProto.UNDEFINED, None)
            for n in ("r1", "r2", "r3", "fm")
        ],
        inits=[numpy_helper.from_array(np.array([3, 4], dtype=np.int64), "shape_const")],
    )
    verdicts = {v.node: v for v in _assess(_load_onnx(path)).verdicts}
    assert verdicts["reshape_const"].status == "supported"
    assert verdicts["reshape_static_shape"].status == "supported"
    assert (verdicts["reshape_runtime"].status, verdicts["reshape_runtime"].code) == (
        "unsupported",
        "TRN301",
    )
    assert (verdicts["vendor"].status, verdicts["vendor"].code) == ("unsupported", "TRN106")


def test_onnx_opset_beyond_onnx2torch_converters_is_flagged(tmp_path):
    def build(opset):
        return _onnx_file(
            tmp_path,
            [helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT16, name="cast")],
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [2])],
            opset=opset,
            name=f"cast{opset}",
        )

    (old,) = _assess(_load_onnx(build(17))).verdicts
    (new,) = _assess(_load_onnx(build(21))).verdicts
    assert old.status == "supported"
    assert (new.status, new.code, new.rewrite) == (
        "unsupported",
        "TRN101",
        "RW-onnx-opset-downgrade",
    )


def test_onnx_if_subgraph_nodes_are_assessed_too(tmp_path):
    branch = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["b_out"], name="inner_relu")],
        "b",
        [],
        [helper.make_tensor_value_info("b_out", TensorProto.FLOAT, [2])],
    )
    path = _onnx_file(
        tmp_path,
        [
            helper.make_node(
                "If", ["cond"], ["out"], then_branch=branch, else_branch=branch, name="if"
            ),
        ],
        [
            helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [2]),
        ],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2])],
    )
    graph = _load_onnx(path)
    result = _assess(graph)
    assert result.total == sum(1 for _ in graph.walk()) == 3
    assert {v.op: v.status for v in result.verdicts} == {
        "onnx::If": "unsupported",
        "onnx::Relu": "supported",
    }


# ---- whole models and speed -----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("family", ["llama", "bert"])
def test_tiny_transformer_blocks_have_no_unsupported_or_unknown_nodes(family):
    transformers = pytest.importorskip("transformers")
    common = dict(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=4,
        max_position_embeddings=32,
    )
    if family == "llama":
        model = transformers.LlamaModel(transformers.LlamaConfig(num_key_value_heads=2, **common))
        kwargs = {"use_cache": False}
    else:
        model = transformers.BertModel(transformers.BertConfig(**common))
        kwargs = {}
    program = torch.export.export(
        model.eval(), (torch.randint(0, 64, (1, 8)),), kwargs, strict=False
    )
    graph = graph_from_exported_program(program, family)
    for target in ("trn1", "inf2", "trn2"):
        result = _assess(graph, target=target)
        assert result.total == len(graph.nodes) > 50
        bad = [(v.op, v.status) for v in result.verdicts if v.status in ("unsupported", "unknown")]
        assert not bad, (target, bad)
        assert not [i for i in result.dtype_issues if i.severity == "error"]


def test_fifty_thousand_nodes_all_get_a_verdict():
    """Its speed is measured in benchmarks/bench_engine.py, against a floor."""
    block = _export(
        torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.GELU(), torch.nn.LayerNorm(8)),
        torch.randn(2, 8),
    )
    nodes, values = [], dict(block.values)
    copies = 50_000 // len(block.nodes) + 1
    for copy in range(copies):
        for node in block.nodes:
            nodes.append(
                Node(f"{node.name}_{copy}", node.op, node.inputs, node.outputs, node.attributes)
            )
    graph = Graph(name="big", nodes=nodes[:50_000], values=values)
    result = _assess(graph, target="trn1")
    assert result.total == 50_000
    assert sum(result.counts.values()) == 50_000
    assert {v.op for v in result.verdicts} == {node.op for node in block.nodes}
    assert result.counts["unknown"] == 0
