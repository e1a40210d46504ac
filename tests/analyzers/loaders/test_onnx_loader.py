"""The ONNX loader on real files: models built with onnx.helper, models exported from torch
(dynamo exporter), the shipped sample, broken and hostile files.

Op counts are checked against a Counter the test computes itself from ``onnx.load``.
"""

from __future__ import annotations

import json
import os
import random
import runpy
import subprocess
import sys
import textwrap
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest

from tests.analyzers.loaders import onnx_fixtures as fx
from tests.helpers import REPO, SAMPLES
from trnport.analyzers.errors import InputError, UnsafeInputError
from trnport.analyzers.graph import Graph
from trnport.analyzers.loaders import load_model
from trnport.analyzers.loaders.onnx.loader import load
from trnport.analyzers.options import AnalysisOptions

OPTIONS = AnalysisOptions()


def load_path(path: Path, **options) -> tuple[Graph, list[str]]:
    loaded = load(path, AnalysisOptions(**options)) if options else load(path, OPTIONS)
    assert loaded.format == "onnx"
    return loaded.graph, loaded.diagnostics


def proto_op_counts(graph: onnx.GraphProto) -> Counter[str]:
    """Op counts straight from the protobuf, subgraphs included, in the IR's naming."""
    counts: Counter[str] = Counter()
    for node in graph.node:
        domain = "onnx" if node.domain in ("", "ai.onnx") else node.domain
        counts[f"{domain}::{node.op_type}"] += 1
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                counts += proto_op_counts(attribute.g)
            for sub in attribute.graphs:
                counts += proto_op_counts(sub)
    return counts


def ir_op_counts(graph: Graph) -> Counter[str]:
    return Counter(node.op for node, _ in graph.walk())


def assert_refused(path: Path, error_type: type[InputError], *fragments: str) -> InputError:
    with pytest.raises(InputError) as caught:
        load(path, OPTIONS)
    error = caught.value
    assert type(error) is error_type, (type(error), str(error))
    message = str(error)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return error


# --- what a good model turns into ------------------------------------------------------------

def test_onnx_loader_infers_shapes_and_keeps_symbolic_dims(tmp_path):
    path = fx.save(fx.mlp_model(), tmp_path / "mlp.onnx")
    graph, diagnostics = load_path(path)
    assert diagnostics == []
    assert graph.inputs == ["x"] and graph.outputs == ["y"]
    # shapes the file does not declare come from ONNX shape inference
    assert graph.values["h"].shape == ("batch", 16)
    assert graph.values["logits"].shape == ("batch", 4)
    assert graph.values["y"].dtype == "float32"
    assert graph.values["x"].is_dynamic
    assert [n.op for n in graph.nodes] == ["onnx::MatMul", "onnx::Add", "onnx::Relu",
                                           "onnx::MatMul", "onnx::Softmax"]
    assert graph.nodes[2].name == "Relu_2"  # unnamed in the file
    assert graph.nodes[4].attributes == {"axis": -1}
    assert graph.metadata["shapes"] == "inferred"


@pytest.mark.parametrize("forked", [False, True], ids=["in-process", "forked-inference"])
def test_onnx_loader_keeps_the_constants_shape_inference_reads(tmp_path, monkeypatch, forked):
    """Big weights lose their bytes before inference, but shape-carrying constants (an int64
    Reshape target, float Resize scales) keep theirs, so the shapes they decide are known."""
    from onnx import TensorProto, helper, numpy_helper

    from trnport.analyzers.loaders.onnx import forked as onnx_forked

    monkeypatch.setattr(onnx_forked, "MIN_NODES", 0 if forked else 10**9)
    weight = np.ones((16, 16), np.float32)  # 256 floats: bytes dropped
    nodes, x = [], "x"
    for i in range(2):
        nodes += [
            helper.make_node("MatMul", [x, "w"], [f"m{i}"]),
            helper.make_node("Reshape", [f"m{i}", "square"], [f"r{i}"]),
            helper.make_node("Resize", [f"r{i}", "", "scales"], [f"up{i}"], mode="nearest"),
            helper.make_node("Reshape", [f"up{i}", "flat"], [f"f{i}"]),
            helper.make_node("Slice", [f"f{i}", "start", "stop"], [f"s{i}"]),
        ]
        x = f"s{i}"
    graph = helper.make_graph(
        nodes, "constants",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 16])], [
            helper.make_tensor_value_info(x, TensorProto.FLOAT, None)],
        initializer=[
            numpy_helper.from_array(weight, "w"),
            numpy_helper.from_array(np.array([1, 1, 8, 8], np.int64), "square"),
            numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales"),
            numpy_helper.from_array(np.array([4, 64], np.int64), "flat"),
            numpy_helper.from_array(np.array([0, 0], np.int64), "start"),
            numpy_helper.from_array(np.array([4, 16], np.int64), "stop"),
        ])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    loaded, diagnostics = load_path(fx.save(model, tmp_path / "constants.onnx"))
    assert diagnostics == []
    assert loaded.values["r1"].shape == (1, 1, 8, 8)
    assert loaded.values["up1"].shape == (1, 1, 16, 16)
    assert loaded.values["f1"].shape == (4, 64)
    assert loaded.values["s1"].shape == (4, 16)
    assert next(p for p in loaded.params if p.name == "w").shape == (16, 16)


def test_onnx_loader_uses_declared_shapes_when_the_file_has_them_all(tmp_path):
    inferred = onnx.shape_inference.infer_shapes(fx.mlp_model(), data_prop=True)
    inferred.graph.value_info[0].type.tensor_type.shape.dim[0].dim_param = "rows"
    graph, _ = load_path(fx.save(inferred, tmp_path / "declared.onnx"))
    assert graph.metadata["shapes"] == "declared"
    first = inferred.graph.value_info[0].name
    assert graph.values[first].shape[0] == "rows"  # the file's word, not re-inferred


def test_onnx_loader_records_params_and_model_metadata(tmp_path):
    model = fx.mlp_model()
    path = fx.save(model, tmp_path / "mlp.onnx")
    graph, _ = load_path(path)
    expected = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    assert {p.name for p in graph.params} == set(expected)
    for param in graph.params:
        assert param.kind == "initializer" and not param.external
        assert param.shape == expected[param.name].shape
        assert param.nbytes == expected[param.name].nbytes
    assert graph.metadata["opset"] == {"": fx.OPSET}
    assert graph.metadata["ir_version"] == model.ir_version
    assert graph.metadata["producer_name"] == "trnport-tests"
    assert graph.metadata["model_inputs"] == ["x"]


def test_onnx_loader_maps_element_types_to_torch_names(tmp_path):
    graph, _ = load_path(fx.save(fx.dtype_zoo_model(), tmp_path / "dtypes.onnx"))
    dtypes = {name: graph.values[name].dtype for name in graph.inputs}
    assert dtypes == {"f16": "float16", "bf16": "bfloat16", "f64": "float64", "i64": "int64",
                      "flag": "bool", "c64": "complex64", "f8": "float8_e4m3fn",
                      "anon": "float32"}
    first, second = graph.values["anon"].shape
    assert isinstance(first, str) and first and second == 3  # neither value nor name: a symbol


def test_onnx_loader_decodes_attributes_to_plain_python(tmp_path):
    graph, _ = load_path(fx.save(fx.attribute_model(), tmp_path / "attrs.onnx"))
    nodes = {node.name: node for node in graph.nodes}
    assert nodes["transpose"].attributes == {"perm": [1, 0]}
    assert nodes["leaky"].attributes == {"alpha": 0.25}
    assert nodes["gelu"].attributes == {"approximate": "tanh"}
    assert nodes["split"].attributes == {"axis": 0, "num_outputs": 2}
    assert nodes["const_small"].attributes["value"] == {
        "dtype": "float32", "shape": [3], "values": [1.5, -2.0, 3.25]}
    assert nodes["const_large"].attributes["value"] == {"dtype": "float16", "shape": [4, 8]}
    custom = nodes["custom"]
    assert custom.op == "com.example::FusedThing" and custom.namespace == "com.example"
    # float32 attributes read as written, not as the nearest double (9.99999974e-06)
    assert custom.attributes == {"tags": ["a", "b"], "scales": [0.5, 2.0], "eps": 1e-5}
    # a float16 mask constant keeps its exact value, which mask rules compare against
    assert nodes["const_mask"].attributes["value"]["values"] == [-65504.0]
    assert graph.metadata["opset"] == {"": fx.OPSET, "com.example": 1}
    assert graph.metadata["producer_version"] == "0.1"


def test_onnx_loader_keeps_if_and_loop_subgraphs(tmp_path):
    model = fx.control_flow_model()
    path = fx.save(model, tmp_path / "control.onnx")
    graph, _ = load_path(path)
    assert ir_op_counts(graph) == proto_op_counts(onnx.load(str(path)).graph)
    branch = next(n for n in graph.nodes if n.op == "onnx::If")
    assert sorted(sub.metadata["attribute"] for sub in branch.subgraphs) == [
        "else_branch", "then_branch"]
    then_graph = next(s for s in branch.subgraphs if s.metadata["attribute"] == "then_branch")
    assert [n.op for n in then_graph.nodes] == ["onnx::Mul", "onnx::Relu"]
    # the else branch holds a Loop whose body is itself kept
    else_graph = next(s for s in branch.subgraphs if s.metadata["attribute"] == "else_branch")
    inner_loop = else_graph.nodes[0]
    assert inner_loop.op == "onnx::Loop" and len(inner_loop.subgraphs) == 1
    assert inner_loop.subgraphs[0].inputs == ["inner_iter", "inner_cond_in"]
    # shape inference reached into the loop body
    assert inner_loop.subgraphs[0].values["inner_twice"].shape == (3, 4)


def test_onnx_loader_excludes_initializers_listed_as_inputs(tmp_path):
    graph, _ = load_path(fx.save(fx.old_ir_model(), tmp_path / "old.onnx"))
    assert graph.inputs == ["x"] and graph.metadata["model_inputs"] == ["x"]
    assert graph.metadata["ir_version"] == 3 and graph.metadata["opset"] == {"": 9}
    assert {p.name for p in graph.params} == {"w1", "b1", "w2"}
    assert graph.values["y"].shape == (2, 4)


def test_onnx_loader_sorts_unsorted_nodes_and_says_so(tmp_path):
    graph, diagnostics = load_path(fx.save(fx.unsorted_model(), tmp_path / "unsorted.onnx"))
    assert [n.name for n in graph.nodes] == ["first", "second"]
    assert any("topological order" in note for note in diagnostics)


def test_onnx_loader_pins_input_shapes_from_options(tmp_path):
    path = fx.save(fx.mlp_model(), tmp_path / "mlp.onnx")
    graph, _ = load_path(path, input_shapes={"x": (4, 8)})
    assert graph.values["x"].shape == (4, 8)
    assert graph.values["y"].shape == (4, 4)
    # a file that declares every shape is inferred again when the user pins an input
    sample, _ = load_path(SAMPLES / "tiny_cnn.onnx", input_shapes={"image": (4, 3, 32, 32)})
    assert sample.metadata["shapes"] == "inferred"
    assert sample.values["logits"].shape == (4, 10)
    with pytest.raises(InputError, match="rank 2"):
        load(path, AnalysisOptions(input_shapes={"x": (4, 8, 1)}))
    with pytest.raises(InputError, match="no tensor input named 'z'"):
        load(path, AnalysisOptions(input_shapes={"z": (1,)}))


def test_onnx_loader_reads_module_scopes_from_torchscript_style_names(tmp_path):
    model = fx.mlp_model()
    model.graph.node[0].name = "/layer1/layer1.0/conv1/MatMul"
    model.graph.node[1].name = "/encoder/layer.0/attention/self/query/Add"
    graph, _ = load_path(fx.save(model, tmp_path / "scoped.onnx"))
    assert graph.nodes[0].location.module == "layer1.0.conv1"
    assert graph.nodes[1].location.module == "encoder.layer.0.attention.self.query"
    assert graph.nodes[2].location.module is None


def test_scopes_of_node_names_join_as_their_segments_do():
    """A scope's module path is built from its parent scope's; it is the path its segments
    join to, whatever mix of cumulative (``layer1/layer1.0``), plain and empty segments the
    names hold, and in whatever order the scopes are first seen."""
    from trnport.analyzers.loaders.onnx.provenance import ProvenanceReader, join_scopes

    rng = random.Random(1)
    segments = ["layer1", "layer1.0", "layer1.0.conv", "conv1", "", "a", "a.b", "a.b.c", "x.y"]
    for _ in range(500):
        reader = ProvenanceReader()
        for _ in range(20):
            scope = "/" + "/".join(rng.choice(segments) for _ in range(rng.randint(1, 7)))
            expected = join_scopes(scope.split("/")[1:])
            assert reader.from_node_name(scope + "/MatMul").module == expected, scope
    deep = "/" + "/".join(["block"] * 5000)  # no recursion limit on nesting
    assert reader.from_node_name(deep + "/Add").module == ".".join(["block"] * 5000)


def test_onnx_loader_reads_torch_exporter_metadata(tmp_path):
    model = fx.mlp_model()
    trace = ('File "/home/me/project/model.py", line 42, in forward\n    h = self.fc1(x)\n'
             '  File "/venv/lib/python3.11/site-packages/torch/nn/modules/linear.py", '
             'line 134, in forward\n    return F.linear(input, self.weight, self.bias)')
    props = {
        "pkg.torch.onnx.name_scopes": "['', 'encoder', 'encoder.fc1', 'linear']",
        "pkg.torch.onnx.class_hierarchy":
            "['my.Model', 'my.Encoder', 'torch.nn.modules.linear.Linear', 'aten.linear.default']",
        "pkg.torch.onnx.stack_trace": trace,
        "pkg.torch.onnx.fx_node": "%linear = call_function[target=torch.ops.aten.linear.default]",
    }
    for key, value in props.items():
        model.graph.node[0].metadata_props.add(key=key, value=value)
    # a higher-order op has no ATen name in its hierarchy: the FX target is used
    model.graph.node[1].metadata_props.add(
        key="pkg.torch.onnx.fx_node",
        value="%cond = call_function[target=torch.ops.higher_order.cond]")
    graph, _ = load_path(fx.save(model, tmp_path / "meta.onnx"))
    first, second = graph.nodes[0], graph.nodes[1]
    assert first.source_op == "aten.linear.default"
    assert (first.location.file, first.location.line) == ("/home/me/project/model.py", 42)
    assert first.location.module == "encoder.fc1"
    assert second.source_op == "higher_order.cond" and second.location.file is None


def test_onnx_loader_is_what_load_model_picks_for_onnx_files(tmp_path):
    path = fx.save(fx.mlp_model(), tmp_path / "mlp.onnx")
    loaded = load_model(path, OPTIONS)
    assert loaded.format == "onnx" and len(loaded.graph.nodes) == 5


def test_onnx_loader_imports_no_torch(tmp_path):
    path = fx.save(fx.control_flow_model(), tmp_path / "control.onnx")
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        import trnport.analyzers.loaders.onnx.loader as onnx_loader
        from trnport.analyzers.options import AnalysisOptions
        for model in ({str(path)!r}, {str(SAMPLES / "tiny_cnn.onnx")!r}):
            graph = onnx_loader.load(Path(model), AnalysisOptions()).graph
            assert graph.nodes
        print("torch" in sys.modules, "onnxruntime" in sys.modules)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]


# --- the shipped sample ---------------------------------------------------------------------

def test_tiny_cnn_sample_is_a_small_dynamic_batch_classifier():
    path = SAMPLES / "tiny_cnn.onnx"
    assert path.stat().st_size < 200 * 1024
    assert not list(SAMPLES.glob("tiny_cnn.onnx.data"))  # weights are inline
    graph, diagnostics = load_path(path)
    assert diagnostics == []
    assert ir_op_counts(graph) == proto_op_counts(onnx.load(str(path)).graph)
    ops = {node.op for node in graph.nodes}
    assert {"onnx::Conv", "onnx::Relu", "onnx::MaxPool", "onnx::Gemm", "onnx::Resize",
            "onnx::TopK", "onnx::Gather"} <= ops
    assert "onnx::BatchNormalization" not in ops  # folded into the convs by the exporter
    image = graph.values[graph.inputs[0]]
    assert image.shape[0] == "batch" and image.shape[1:] == (3, 32, 32)
    assert graph.values["classes"].dtype == "int64"
    assert graph.values["classes"].shape == ("batch", 3)
    assert graph.metadata["shapes"] == "declared"  # the exporter wrote every value's type
    ranges = graph.metadata["graph_metadata"]["pkg.torch.export.ExportedProgram.range_constraints"]
    assert "VR[1, 1024]" in ranges  # the batch Dim's bounds, as torch.export recorded them
    assert graph.metadata["producer_name"] == "pytorch"
    head = next(node for node in graph.nodes if node.op == "onnx::Gemm")
    assert head.location.module == "head" and head.source_op == "aten.linear.default"
    assert head.location.file == "resources/samples/make_tiny_cnn_onnx.py"


@pytest.mark.slow
def test_tiny_cnn_sample_regenerates_identically(tmp_path):
    # run_path leaves no __pycache__ among the packaged samples
    script = runpy.run_path(str(SAMPLES / "make_tiny_cnn_onnx.py"), run_name="tiny_cnn_script")
    fresh = onnx.load(str(script["main"](tmp_path / "tiny_cnn.onnx")))
    shipped = onnx.load(str(SAMPLES / "tiny_cnn.onnx"))
    assert [(n.op_type, n.name, list(n.input)) for n in fresh.graph.node] == \
        [(n.op_type, n.name, list(n.input)) for n in shipped.graph.node]
    for mine, theirs in zip(fresh.graph.initializer, shipped.graph.initializer, strict=True):
        np.testing.assert_array_equal(onnx.numpy_helper.to_array(mine),
                                      onnx.numpy_helper.to_array(theirs))


# --- models exported from torch with the dynamo exporter -------------------------------------

@pytest.mark.slow
def test_onnx_loader_on_dynamo_exported_cnn_counts_ops_and_locates_them(tmp_path):
    torch = pytest.importorskip("torch")

    class SmallCNN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = torch.nn.Sequential(
                torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                torch.nn.MaxPool2d(2))
            self.classifier = torch.nn.Linear(4, 5)

        def forward(self, x):
            pooled = self.features(x).mean(dim=(2, 3))
            return self.classifier(pooled)

    torch.manual_seed(0)
    path = tmp_path / "cnn.onnx"
    torch.onnx.export(SmallCNN().eval(), (torch.randn(2, 3, 12, 12),), str(path), dynamo=True,
                      dynamic_shapes={"x": {0: torch.export.Dim("batch")}})
    graph, _ = load_path(path)
    assert ir_op_counts(graph) == proto_op_counts(onnx.load(str(path)).graph)
    assert graph.values[graph.inputs[0]].shape[0] == "batch"
    assert graph.metadata["producer_name"] == "pytorch"
    for node in graph.nodes:
        assert node.source_op and node.source_op.startswith("aten."), node
        assert node.location.file == __file__, node.location
        assert node.location.line and node.location.line > 0
    modules = {node.location.module for node in graph.nodes}
    assert {"features.2", "features.3", "classifier"} <= modules


@pytest.mark.slow
def test_onnx_loader_on_dynamo_exported_tiny_bert(tmp_path):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    config = transformers.BertConfig(
        vocab_size=64, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=32)
    torch.manual_seed(0)
    model = transformers.BertModel(config).eval()
    path = tmp_path / "bert.onnx"
    torch.onnx.export(model, (torch.randint(0, 64, (1, 8)),), str(path), dynamo=True)
    graph, _ = load_path(path)
    assert ir_op_counts(graph) == proto_op_counts(onnx.load(str(path)).graph)
    assert graph.param_count == sum(
        int(np.prod(t.dims)) for t in onnx.load(str(path), load_external_data=False)
        .graph.initializer)
    query = [n for n in graph.nodes if n.location.module == "encoder.layer.0.attention.self.query"]
    assert query and all(n.location.file.endswith("modeling_bert.py") for n in query)
    assert {n.op for n in query} <= {"onnx::MatMul", "onnx::Add", "onnx::Gemm"}


@pytest.mark.slow
def test_onnx_loader_keeps_the_if_of_an_exported_torch_cond(tmp_path):
    torch = pytest.importorskip("torch")

    class Branchy(torch.nn.Module):
        def forward(self, x):
            return torch.cond(x.sum() > 0, lambda t: t.sin() * 2, lambda t: t.cos(), (x,))

    path = tmp_path / "cond.onnx"
    torch.onnx.export(Branchy().eval(), (torch.randn(3, 4),), str(path), dynamo=True)
    graph, _ = load_path(path)
    counts = ir_op_counts(graph)
    assert counts == proto_op_counts(onnx.load(str(path)).graph)
    branch = next(n for n in graph.nodes if n.op == "onnx::If")
    assert len(branch.subgraphs) == 2 and counts["onnx::Sin"] == 1 and counts["onnx::Cos"] == 1


# --- external data ----------------------------------------------------------------------------

def _external_model(folder: Path, location: str = "w.bin") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return fx.save_with_external_data(fx.weights_model(), folder / "model.onnx", location)


def test_onnx_loader_sizes_external_weights_from_dims(tmp_path):
    path = _external_model(tmp_path)
    arrays = {t.name: onnx.numpy_helper.to_array(t) for t in fx.weights_model().graph.initializer}
    graph, diagnostics = load_path(path)
    assert diagnostics == []
    assert {p.name: p.nbytes for p in graph.params} == {n: a.nbytes for n, a in arrays.items()}
    assert all(p.external for p in graph.params)
    assert graph.param_bytes == (tmp_path / "w.bin").stat().st_size


def test_onnx_loader_never_reads_external_data(tmp_path):
    path = _external_model(tmp_path)
    weights = tmp_path / "w.bin"
    expected = load_path(path)[0].params
    # Garbage of the same size loads identically: the bytes are not looked at.
    weights.write_bytes(os.urandom(weights.stat().st_size))
    assert load_path(path)[0].params == expected
    # A FIFO blocks any reader forever, and an audit hook sees every open() from Python.
    weights.unlink()
    os.mkfifo(weights)
    code = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        opened = []
        sys.addaudithook(lambda event, args: opened.append(str(args[0]))
                         if event == "open" and args else None)
        from trnport.analyzers.loaders.onnx.loader import load
        from trnport.analyzers.options import AnalysisOptions
        graph = load(Path({str(path)!r}), AnalysisOptions()).graph
        print(json.dumps({{"opened": opened, "params": len(graph.params)}}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["params"] == len(expected)
    assert str(path) in result["opened"]  # the hook works...
    assert not [p for p in result["opened"] if p.endswith("w.bin")]  # ...and saw no weights


def test_onnx_loader_reports_a_truncated_external_file_without_failing(tmp_path):
    path = _external_model(tmp_path)
    (tmp_path / "w.bin").write_bytes(b"")
    graph, diagnostics = load_path(path)
    assert len(graph.params) == 3
    assert len(diagnostics) == 1 and "w.bin" in diagnostics[0] and "truncated" in diagnostics[0]


def test_onnx_loader_accepts_external_data_in_a_subfolder_and_inner_symlink(tmp_path):
    (tmp_path / "weights").mkdir()
    path = _external_model(tmp_path, "weights/w.bin")
    assert load_path(path)[0].params
    (tmp_path / "weights" / "w.bin").rename(tmp_path / "real.bin")
    (tmp_path / "weights" / "w.bin").symlink_to(tmp_path / "real.bin")
    assert load_path(path)[0].params


def test_onnx_loader_refuses_external_data_escaping_with_dotdot(tmp_path):
    path = _external_model(tmp_path / "model")
    (tmp_path / "model" / "w.bin").rename(tmp_path / "evil.bin")  # it exists, out of bounds
    fx.set_external_location(path, "../evil.bin")
    assert_refused(path, UnsafeInputError, "'../evil.bin'", "escapes the model's folder")
    fx.set_external_location(path, "sub/../../evil.bin")
    assert_refused(path, UnsafeInputError, "escapes the model's folder")


def test_onnx_loader_refuses_absolute_external_data_location(tmp_path):
    path = _external_model(tmp_path)
    target = (tmp_path / "w.bin").resolve()
    fx.set_external_location(path, str(target))
    assert_refused(path, UnsafeInputError, "absolute path")
    fx.set_external_location(path, "C:\\weights\\w.bin")
    assert_refused(path, UnsafeInputError, "absolute path")


def test_onnx_loader_refuses_symlinked_external_data_leaving_the_folder(tmp_path):
    path = _external_model(tmp_path / "model")
    outside = tmp_path / "outside.bin"
    (tmp_path / "model" / "w.bin").rename(outside)
    (tmp_path / "model" / "w.bin").symlink_to(outside)
    assert_refused(path, UnsafeInputError, "escapes the model's folder")


def test_onnx_loader_refuses_escaping_external_tensor_in_a_constant(tmp_path):
    model = fx.attribute_model()
    tensor = model.graph.node[1].attribute[0].t
    tensor.ClearField("raw_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "../../etc/passwd"
    path = fx.save(model, tmp_path / "const.onnx")
    assert_refused(path, UnsafeInputError, "escapes the model's folder")


def test_onnx_loader_reports_missing_external_data_file(tmp_path):
    path = _external_model(tmp_path, "weights.bin")
    (tmp_path / "weights.bin").unlink()
    assert_refused(path, InputError, "external data file 'weights.bin' not found next to model")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux /proc")
def test_onnx_loader_reads_a_huge_external_data_model_in_little_memory(tmp_path):
    total = int(2.5 * 2**30)
    path = fx.huge_external_model(tmp_path / "huge.onnx", total)
    # VmHWM is this process's own peak RSS; ru_maxrss would include the parent's
    # peak, which Linux carries across fork and exec.
    code = textwrap.dedent(f"""
        import json, re
        from pathlib import Path
        from trnport.analyzers.loaders.onnx.loader import load
        from trnport.analyzers.options import AnalysisOptions
        graph = load(Path({str(path)!r}), AnalysisOptions()).graph
        status = Path("/proc/self/status").read_text()
        peak_kib = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
        print(json.dumps({{"param_bytes": graph.param_bytes, "peak_kib": peak_kib}}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["param_bytes"] >= total
    assert result["peak_kib"] * 1024 < 300 * 10**6, result


# --- broken and hostile files -----------------------------------------------------------------

def test_onnx_loader_refuses_an_empty_file(tmp_path):
    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    assert_refused(path, InputError, "empty")


def test_onnx_loader_refuses_a_truncated_model(tmp_path):
    whole = (SAMPLES / "tiny_cnn.onnx").read_bytes()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(whole[: len(whole) // 2])
    assert_refused(path, InputError, "not a valid ONNX model")


def test_onnx_loader_refuses_random_bytes(tmp_path):
    path = tmp_path / "noise.onnx"
    path.write_bytes(random.Random(1234).randbytes(4096))
    assert_refused(path, InputError, "not a valid ONNX model")


def test_onnx_loader_refuses_a_png_renamed_onnx(tmp_path):
    path = tmp_path / "picture.onnx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert_refused(path, InputError, "not a valid ONNX model", "PNG")


def test_onnx_loader_refuses_a_zip_archive_renamed_onnx(tmp_path):
    path = tmp_path / "program.onnx"
    with zipfile.ZipFile(path, "w") as archive:  # the layout of a .pt2 file
        archive.writestr("program/version", "1")
        archive.writestr("program/models/model.json", "{}")
    assert_refused(path, InputError, "not a valid ONNX model", "zip archive")


def test_onnx_loader_refuses_a_model_with_an_empty_graph(tmp_path):
    path = fx.save(fx.empty_graph_model(), tmp_path / "empty_graph.onnx")
    assert_refused(path, InputError, "graph is empty")


def test_onnx_loader_refuses_a_graph_with_a_cycle(tmp_path):
    path = fx.save(fx.cyclic_model(), tmp_path / "cycle.onnx")
    assert_refused(path, InputError, "cycle")


def test_onnx_loader_refuses_a_dangling_node_input(tmp_path):
    path = fx.save(fx.dangling_input_model(), tmp_path / "dangling.onnx")
    assert_refused(path, InputError, "'ghost'", "no node, graph input or initializer")


def test_onnx_loader_refuses_a_value_produced_twice(tmp_path):
    path = fx.save(fx.duplicate_output_model(), tmp_path / "twice.onnx")
    assert_refused(path, InputError, "'y'", "more than once")


@pytest.mark.parametrize("dims", [[-3, 4], [2**21, 2**20, 2]], ids=["negative", "2**41"])
def test_onnx_loader_refuses_absurd_input_dims(tmp_path, dims):
    path = fx.save(fx.absurd_dim_model(dims), tmp_path / "absurd.onnx")
    assert_refused(path, InputError, "'x'")


def test_onnx_loader_refuses_an_absurd_initializer_shape(tmp_path):
    path = fx.save(fx.absurd_initializer_model(), tmp_path / "absurd_init.onnx")
    assert_refused(path, InputError, "'w'", "absurd shape")


def test_onnx_loader_keeps_going_when_shape_inference_fails(tmp_path):
    model = fx.inconsistent_types_model()
    with pytest.raises(onnx.shape_inference.InferenceError):  # the premise of this test
        onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    graph, diagnostics = load_path(fx.save(model, tmp_path / "inconsistent.onnx"))
    assert [n.name for n in graph.nodes] == ["relu", "neg"]
    assert len(diagnostics) == 1 and diagnostics[0].startswith("shape inference failed (")
    assert "\n" not in diagnostics[0]
    assert graph.values["r"].shape is None  # nothing inferred
    assert graph.metadata["shapes"] == "declared"
    assert graph.values["y"].dtype == "float32"  # what the file declares is kept


# --- size ---------------------------------------------------------------------------------
# (the loader's speed is measured in benchmarks/bench_onnx.py, against onnx.load + inference)

@pytest.mark.slow
def test_onnx_loader_keeps_every_node_of_twenty_thousand(tmp_path):
    path = fx.save(fx.many_nodes_model(1000), tmp_path / "many.onnx")
    graph, _ = load_path(path)
    assert len(graph.nodes) == 20_000
    assert len({node.name for node in graph.nodes}) == 20_000


def test_big_inline_weights_lose_their_elements_in_either_layout():
    """Before shape inference, a big weight keeps its name, dims and dtype but none of its
    elements, whether they sit in ``raw_data`` or in a typed field; small integer tensors
    (shape inference may read them) and external tensors are left alone."""
    from onnx import TensorProto, helper, numpy_helper

    from trnport.analyzers.loaders.onnx.loader import _drop_inline_weights

    raw = numpy_helper.from_array(np.ones((16, 16), np.float32), "raw")
    typed = helper.make_tensor("typed", TensorProto.FLOAT, [100], [0.5] * 100)
    longs = helper.make_tensor("longs", TensorProto.INT64, [5000], list(range(5000)))
    small = numpy_helper.from_array(np.array([1, 1, 8, 8], np.int64), "small")
    bias = numpy_helper.from_array(np.ones(16, np.float32), "bias")
    external = TensorProto(name="external", data_type=TensorProto.FLOAT, dims=[1000],
                           data_location=TensorProto.EXTERNAL)
    external.external_data.add(key="location", value="weights.bin")
    graph = helper.make_graph([], "g", [], [], [raw, typed, longs, small, bias, external])
    kept = {t.name: t.SerializeToString() for t in graph.initializer}

    assert _drop_inline_weights(graph) == 3
    tensors = {t.name: t for t in graph.initializer}
    for name, dims in (("raw", [16, 16]), ("typed", [100]), ("longs", [5000])):
        tensor = tensors[name]
        assert list(tensor.dims) == dims
        assert not (tensor.raw_data or tensor.float_data or tensor.int64_data)
    for name in ("small", "bias", "external"):
        assert tensors[name].SerializeToString() == kept[name]
