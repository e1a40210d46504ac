"""The FX graph conversion: ExportedProgram → Graph, checked against torch's own FX graphs."""

from __future__ import annotations

import operator
from collections import Counter
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.export import Dim

from tests.analyzers.loaders import torch_fixtures as fx
from trnport.analyzers.errors import InputError
from trnport.analyzers.loaders.torch.dispatch_level import to_dispatch_level
from trnport.analyzers.loaders.torch.fx_graph import export_program, graph_from_exported_program

FIXTURE_FILE = str(Path(fx.__file__).resolve())


@pytest.fixture(scope="module")
def cnn_program():
    return export_program(fx.SmallCNN().eval(), fx.cnn_inputs())


@pytest.fixture(scope="module")
def cnn_graph(cnn_program):
    return graph_from_exported_program(cnn_program, "cnn")


@pytest.fixture(scope="module")
def attention_program():
    seq = Dim("seq", min=2, max=63)
    return export_program(fx.TinyAttention().eval(), fx.attention_inputs(),
                          dynamic_shapes=({1: seq},))


@pytest.fixture(scope="module")
def attention_graph(attention_program):
    return graph_from_exported_program(attention_program, "attention")


def test_cnn_ops_equal_torch_dispatch_level_ops(cnn_program, cnn_graph):
    assert Counter(n.op for n in cnn_graph.nodes) == fx.dispatch_level_counter(cnn_program)


def test_attention_ops_equal_torch_dispatch_level_ops(attention_program, attention_graph):
    expected = fx.dispatch_level_counter(attention_program)
    assert Counter(n.op for n in attention_graph.nodes) == expected
    assert "aten.topk.default" in expected and "aten.masked_fill.Scalar" in expected


def test_composite_ops_are_decomposed_but_core_aten_tables_are_not(attention_graph):
    ops = {n.op for n in attention_graph.nodes}
    # linear / layer_norm / softmax have CompositeImplicitAutograd kernels: decomposed
    assert not ops & {"aten.linear.default", "aten.layer_norm.default", "aten.softmax.int"}
    # masked_fill has a kernel of its own: the backend receives it, not core ATen's where
    assert "aten.masked_fill.Scalar" in ops and "aten.where.self" not in ops


def test_bookkeeping_nodes_are_not_emitted(attention_graph):
    ops = {n.op for n in attention_graph.nodes}
    assert not ops & fx.EXPORT_BOOKKEEPING
    assert not any("getitem" in op or op.startswith("_operator") for op in ops)


def test_conv_location_is_the_fixture_line_that_calls_it(cnn_graph):
    conv = next(n for n in cnn_graph.nodes if n.op == "aten.convolution.default")
    assert conv.location.file == FIXTURE_FILE
    assert conv.location.line == fx.source_line(fx.SmallCNN.forward, "self.conv(x)")
    assert conv.location.module == "conv"


def test_linear_decomposition_keeps_linear_as_source_op(cnn_graph):
    addmm = next(n for n in cnn_graph.nodes if n.op == "aten.addmm.default")
    assert addmm.source_op == "aten.linear.default"
    assert addmm.location.module == "fc"
    assert addmm.location.line == fx.source_line(fx.SmallCNN.forward, "self.fc(")


def test_masked_fill_keeps_its_line(attention_graph):
    masked = next(n for n in attention_graph.nodes if n.op == "aten.masked_fill.Scalar")
    assert masked.location.line == fx.source_line(fx.TinyAttention.forward, "masked_fill")


def test_undecomposed_op_has_no_source_op(cnn_graph):
    relu = next(n for n in cnn_graph.nodes if n.op == "aten.relu.default")
    assert relu.source_op is None


def test_params_match_module_parameters_and_buffers(cnn_graph):
    module = fx.SmallCNN()
    assert cnn_graph.param_count == fx.parameter_count(module)
    by_name = {p.name: p for p in cnn_graph.params}
    for name, tensor in module.named_parameters():
        assert by_name[name].kind == "parameter"
        assert by_name[name].shape == tuple(tensor.shape)
        assert by_name[name].dtype == "float32"
    for name, tensor in module.named_buffers():
        assert by_name[name].kind == "buffer"
        assert by_name[name].dtype == str(tensor.dtype).removeprefix("torch.")


def test_graph_inputs_are_user_inputs_only(cnn_program, cnn_graph):
    assert cnn_graph.inputs == list(cnn_program.graph_signature.user_inputs)
    assert cnn_graph.values["x"].shape == (2, 3, 8, 8)
    decomposed = cnn_program.run_decompositions()
    assert cnn_graph.outputs == list(decomposed.graph_signature.user_outputs)
    produced = {name for node in cnn_graph.nodes for name in node.outputs}
    assert set(cnn_graph.outputs) <= produced


def test_node_inputs_name_weights_and_values(cnn_graph):
    conv = next(n for n in cnn_graph.nodes if n.op == "aten.convolution.default")
    weight_inputs = [cnn_graph.metadata["param_inputs"].get(i) for i in conv.inputs]
    assert weight_inputs == [None, "conv.weight", "conv.bias"]
    assert conv.attributes["stride"] == [1, 1] and conv.attributes["padding"] == [1, 1]
    assert cnn_graph.values[conv.outputs[0]].shape == (2, 8, 8, 8)


def test_multi_output_op_outputs_are_its_getitems_in_index_order(attention_program,
                                                                  attention_graph):
    topk = next(n for n in attention_graph.nodes if n.op == "aten.topk.default")
    decomposed = attention_program.run_decompositions()
    fx_topk = next(n for n in decomposed.graph.nodes if str(n.target) == "aten.topk.default")
    getitems = sorted((u.args[1], u.name) for u in fx_topk.users if u.target is operator.getitem)
    assert topk.outputs == tuple(name for _, name in getitems)
    values, indices = (attention_graph.values[name] for name in topk.outputs)
    assert values.dtype == "float32" and indices.dtype == "int64"
    assert attention_graph.outputs == list(topk.outputs)


def test_dynamic_dims_are_symbol_strings(attention_graph):
    x = attention_graph.values["x"]
    assert isinstance(x.shape[1], str) and x.shape[0] == 2 and x.shape[2] == 16
    symbol = x.shape[1]
    assert attention_graph.metadata["dynamic_dims"] == {"x": {1: symbol}}
    assert attention_graph.metadata["range_constraints"][symbol] == "[2, 63]"
    sliced = [n for n in attention_graph.nodes if n.op == "aten.slice.Tensor"]
    assert sliced and all(n.attributes["end"] == symbol for n in sliced)


def test_attributes_are_plain_python(attention_graph):
    allowed = (type(None), bool, int, float, str, list)

    def plain(value):
        return isinstance(value, allowed) and (
            not isinstance(value, list) or all(plain(v) for v in value))

    for node in attention_graph.nodes:
        assert all(plain(v) for v in node.attributes.values()), node
    topk = next(n for n in attention_graph.nodes if n.op == "aten.topk.default")
    assert isinstance(topk.attributes["k"], int)


def test_metadata_records_the_torch_version(cnn_graph):
    assert cnn_graph.metadata["torch_version"] == torch.__version__.split("+")[0]


def test_without_decomposition_high_level_ops_stay(cnn_program):
    graph = graph_from_exported_program(cnn_program, "cnn", decompose=False)
    expected = Counter(
        str(n.target) for n in cnn_program.graph.nodes
        if n.op == "call_function" and n.target is not operator.getitem
    )
    assert Counter(n.op for n in graph.nodes) == expected
    assert "aten.linear.default" in expected


def test_meta_device_model_converts_without_tensor_data():
    with torch.device("meta"):
        module = fx.SmallCNN().eval()
        inputs = (torch.empty(2, 3, 8, 8),)
    graph = graph_from_exported_program(export_program(module, inputs), "meta-cnn")
    assert graph.param_count == fx.parameter_count(module)
    assert any(n.op == "aten.convolution.default" for n in graph.nodes)


class _DataDependentBranch(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:  # export cannot trace a branch on tensor data
            return x * 2
        return x


class _ReadsNumpy(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(x.numpy() * 2)  # no tensor data exists while exporting


def test_data_dependent_branch_is_specialised_and_its_guard_recorded():
    program = export_program(_DataDependentBranch(), (torch.ones(3),))
    graph = graph_from_exported_program(program, "branch")
    (guard,) = graph.metadata["data_dependent_guards"]
    assert guard["code"] == "if x.sum() > 0:  # export cannot trace a branch on tensor data"
    assert guard["result"] == "True"


def test_export_failure_is_a_one_line_input_error():
    with pytest.raises(InputError) as caught:
        export_program(_ReadsNumpy(), (torch.randn(3),))
    message = str(caught.value)
    assert message.startswith("torch.export failed: ")
    assert "\n" not in message


def test_constraint_violation_message_keeps_the_useful_detail():
    with pytest.raises(InputError) as caught:
        export_program(fx.TinyAttention(), fx.attention_inputs(),
                       dynamic_shapes=({1: Dim("seq", min=2, max=64)},))
    message = str(caught.value)
    assert "Constraints violated" in message and "Not all values of seq" in message
    assert "\n" not in message


class _Stack(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(fx.TinyAttention() for _ in range(12))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = x + block(x)[0].sum(-1, keepdim=True)
        return x


def test_conversion_keeps_every_node_of_a_twelve_block_stack():
    """Its speed is measured in benchmarks/bench_engine.py, against the export."""
    program = export_program(_Stack().eval(), fx.attention_inputs())
    decomposed = program.run_decompositions({})
    graph = graph_from_exported_program(decomposed, "stack", decompose=False)
    calls = [n for n in decomposed.graph.nodes if n.op == "call_function"
             and "getitem" not in str(n.target)]
    assert len(graph.nodes) > 100
    assert len(graph.nodes) <= len(calls)


class _Branches(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor):
        picked = torch.cond(x.sum() > 0, lambda v: self.lin(v).relu(), lambda v: v.sin(), (x,))
        return picked, (x > 0).nonzero()


def test_cond_bodies_become_subgraphs_located_at_the_cond_call():
    program = export_program(_Branches(), (torch.randn(3, 4),))
    graph = graph_from_exported_program(program, "branches")
    cond = next(n for n in graph.nodes if n.op == "higher_order.cond")
    assert [sub.name for sub in cond.subgraphs] == ["true_graph_0", "false_graph_0"]
    true_ops = Counter(n.op for n in cond.subgraphs[0].nodes)
    decomposed = to_dispatch_level(program)
    expected = Counter(str(n.target) for n in decomposed.graph_module.true_graph_0.graph.nodes
                       if n.op == "call_function" and n.target is not operator.getitem)
    assert true_ops == expected
    addmm = next(n for n in cond.subgraphs[0].nodes if n.op == "aten.addmm.default")
    line = fx.source_line(_Branches.forward, "torch.cond(")
    assert (addmm.location.file, addmm.location.line) == (str(Path(__file__).resolve()), line)
    assert addmm.source_op == "aten.linear.default"


def test_data_dependent_output_shape_is_an_unbacked_symbol():
    graph = graph_from_exported_program(export_program(_Branches(), (torch.randn(3, 4),)), "b")
    nonzero = next(n for n in graph.nodes if n.op == "aten.nonzero.default")
    rows = graph.values[nonzero.outputs[0]].shape[0]
    assert isinstance(rows, str) and rows.startswith("u")
    assert graph.metadata["range_constraints"][rows] == "[0, 12]"
