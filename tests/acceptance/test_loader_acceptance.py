"""Models built from public architectures, read by every loader and compared with what torch
and onnx themselves report: operator counts, parameter counts (tied weights once), sizes of
sub-byte dtypes, and one-line errors for unusable input."""

from __future__ import annotations

import collections
import json
import math
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.helpers import assert_one_line_error, run_cli
from trnport.analyzers.graph.ir import DTYPE_BYTES, Graph
from trnport.analyzers.loaders import load_model
from trnport.analyzers.memory.dtypes import DtypePolicy
from trnport.analyzers.memory.params import summarize_params
from trnport.analyzers.options import AnalysisOptions

torch = pytest.importorskip("torch")

TIED_MODEL = textwrap.dedent("""
    import torch

    class TiedLM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(100, 16)
            self.head = torch.nn.Linear(16, 100, bias=False)
            self.head.weight = self.embed.weight

        def forward(self, ids):
            return self.head(self.embed(ids))

    model = TiedLM()
    example_inputs = (torch.randint(0, 100, (2, 8)),)
""")
EMBEDDING_BAG_MODEL = textwrap.dedent("""
    import torch

    class Bag(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bag = torch.nn.EmbeddingBag(50, 8, mode="sum")
            self.out = torch.nn.Linear(8, 2)

        def forward(self, ids):
            return self.out(self.bag(ids))

    model = Bag().eval()
    example_inputs = (torch.randint(0, 50, (4, 6)),)
""")
_BOOKKEEPING = {"aten._assert_tensor_metadata.default", "aten._assert_scalar.default",
                "aten.sym_size.int", "aten.alias.default", "aten.lift_fresh_copy.default"}


def _namespace(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<model>", "exec"), namespace)
    return namespace


def _load(path: Path, **options) -> Graph:
    return load_model(path, AnalysisOptions(trust_code=True, **options)).graph


def _weights(graph: Graph) -> int:
    return summarize_params(graph, DtypePolicy.for_graph(graph, "fp32")).parameters


def _op_counts(graph: Graph) -> dict[str, int]:
    return dict(collections.Counter(node.op for node, _ in graph.walk()))


def _torch_op_counts(program) -> dict[str, int]:
    """What torch reports at dispatch level (the exported program with the dispatcher's
    composite decompositions, as the Neuron backends receive it): call_function nodes,
    bookkeeping left out. The loaders must convert exactly these, from every format."""
    from trnport.analyzers.loaders.torch.dispatch_level import to_dispatch_level

    counts: collections.Counter = collections.Counter()
    for node in to_dispatch_level(program).graph.nodes:
        if node.op == "call_function" and isinstance(node.target, torch._ops.OpOverload):
            if str(node.target) not in _BOOKKEEPING:
                counts[str(node.target)] += 1
    return dict(counts)


def _write_model(tmp_path: Path, name: str, source: str) -> tuple[Path, Path, dict]:
    """The model as a Python file and as a saved .pt2, with its namespace."""
    py = tmp_path / f"{name}.py"
    py.write_text(source)
    namespace = _namespace(source)
    program = torch.export.export(namespace["model"], namespace["example_inputs"])
    pt2 = tmp_path / f"{name}.pt2"
    torch.export.save(program, pt2)
    namespace["program"] = program
    return py, pt2, namespace


def test_tied_weights_are_counted_once_in_pt2_and_python_files(tmp_path):
    py, pt2, namespace = _write_model(tmp_path, "tied", TIED_MODEL)
    true_count = sum(p.numel() for p in namespace["model"].parameters())
    assert true_count == 1600
    for path in (py, pt2):
        graph = _load(path)
        assert _weights(graph) == true_count, path.suffix
        assert graph.param_count == true_count, path.suffix
        assert graph.metadata["tied_parameters"] == {"head.weight": "embed.weight"}


def test_pt2_keeps_the_decomposition_torch_reports_for_trainable_weights(tmp_path):
    py, pt2, namespace = _write_model(tmp_path, "bag", EMBEDDING_BAG_MODEL)
    expected = _torch_op_counts(namespace["program"])
    assert "aten._embedding_bag.default" in expected
    assert _op_counts(_load(pt2)) == expected
    assert _op_counts(_load(py)) == expected


@pytest.mark.slow
def test_hf_tied_encoder_decoder_matches_torch_in_every_torch_format(tmp_path):
    """BART shares one embedding between encoder, decoder and LM head."""
    source = textwrap.dedent("""
        import torch, transformers
        config = transformers.BartConfig(
            vocab_size=99, d_model=32, encoder_layers=1, decoder_layers=1,
            encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64,
            decoder_ffn_dim=64, use_cache=False)
        model = transformers.BartForConditionalGeneration(config).eval()
        example_inputs = (torch.randint(0, 99, (1, 8)),)
    """)
    py, pt2, namespace = _write_model(tmp_path, "bart", source)
    true_count = sum(p.numel() for p in namespace["model"].parameters())
    expected = _torch_op_counts(namespace["program"])
    for path in (py, pt2):
        graph = _load(path)
        assert _weights(graph) == true_count, path.suffix
        assert _op_counts(graph) == expected, path.suffix


@pytest.mark.slow
def test_onnx_operator_table_matches_onnx_including_subgraphs(tmp_path):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    namespace = _namespace(textwrap.dedent("""
        import torch
        class Recurrent(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = torch.nn.LSTM(16, 32, batch_first=True)
                self.gru = torch.nn.GRU(32, 8, batch_first=True)
            def forward(self, x):
                y, _ = self.lstm(x)
                z, _ = self.gru(y)
                return z
        model = Recurrent().eval()
        example_inputs = (torch.randn(2, 5, 16),)
    """))
    path = tmp_path / "recurrent.onnx"
    torch.onnx.export(namespace["model"], namespace["example_inputs"], path, dynamo=True,
                      verbose=False)
    proto = onnx.load(path, load_external_data=False)
    expected: collections.Counter = collections.Counter()

    def walk(graph):
        for node in graph.node:
            expected[f"{node.domain or 'onnx'}::{node.op_type}"] += 1
            for attribute in node.attribute:
                for sub in ([attribute.g] if attribute.HasField("g") else []) + list(
                        attribute.graphs):
                    walk(sub)

    walk(proto.graph)
    graph = _load(path)
    assert _op_counts(graph) == dict(expected)
    initializers = sum(math.prod(t.dims) for t in proto.graph.initializer)
    assert _weights(graph) == initializers


def test_sub_byte_dtypes_have_sizes():
    for name in [str(v).removeprefix("torch.") for v in vars(torch).values()
                 if isinstance(v, torch.dtype)]:
        assert name in DTYPE_BYTES, name
    assert DTYPE_BYTES["int4"] == DTYPE_BYTES["uint4"] == 0.5
    assert DTYPE_BYTES["int2"] == DTYPE_BYTES["uint2"] == 0.25
    assert DTYPE_BYTES["int1"] == 0.125
    assert DTYPE_BYTES["float4_e2m1fn_x2"] == 1


def test_onnx_int2_and_int4_weights_are_sized_packed(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    if not hasattr(TensorProto, "INT2"):
        pytest.skip("onnx without INT2")
    zeros = [0] * (64 * 64)
    weights = [helper.make_tensor("w2", TensorProto.INT2, [64, 64], zeros),
               helper.make_tensor("w4", TensorProto.INT4, [64, 64], zeros)]
    nodes = [helper.make_node("Cast", ["w2"], ["c2"], to=TensorProto.FLOAT),
             helper.make_node("Cast", ["w4"], ["c4"], to=TensorProto.FLOAT),
             helper.make_node("Add", ["c2", "c4"], ["s"]),
             helper.make_node("MatMul", ["x", "s"], ["y"])]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 25)])
    model.ir_version = 12
    path = tmp_path / "subbyte.onnx"
    onnx.save(model, path)
    loaded = _load(path)
    assert loaded.param_count == 2 * 64 * 64
    assert loaded.param_bytes == 64 * 64 // 4 + 64 * 64 // 2


def test_symlink_loop_is_named_as_such(tmp_path):
    (tmp_path / "a.onnx").symlink_to(tmp_path / "b.onnx")
    (tmp_path / "b.onnx").symlink_to(tmp_path / "a.onnx")
    assert_one_line_error(run_cli("check", str(tmp_path / "a.onnx"), "--no-history"),
                          "a.onnx", "link")


@pytest.mark.parametrize(("config", "fragment"), [
    ({"model_type": "llama", "hidden_size": 63, "num_attention_heads": 4}, "not a multiple"),
    ({"model_type": "bert", "vocab_size": "abc"}, "expected int"),
])
def test_invalid_hf_config_says_what_is_wrong(tmp_path, config, fragment):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    assert_one_line_error(run_cli("check", str(path), "--no-history"), str(path), fragment)


def test_bad_files_give_one_line_errors(tmp_path):
    truncated = tmp_path / "truncated model ü.onnx"
    truncated.write_bytes(b"\x08\x07\x12\x04torch\x3a\xff\xff\xff")
    random_pt2 = tmp_path / "random.pt2"
    random_pt2.write_bytes(bytes(range(256)) * 8)
    not_pt2 = tmp_path / "other.pt2"
    with zipfile.ZipFile(not_pt2, "w") as archive:
        archive.writestr("hello.txt", "hi")
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    (unknown / "config.json").write_text('{"model_type": "no_such_architecture"}')
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    empty = tmp_path / "empty folder"
    empty.mkdir()
    for path in (truncated, random_pt2, not_pt2, unknown, listed, empty):
        assert_one_line_error(run_cli("check", str(path), "--no-history"), path.name)
