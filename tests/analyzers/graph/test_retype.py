"""A graph of a model built in bfloat16, given as the model built in float32 exports: the
dtype renamed, the mask fill constant replaced, and the casts that became casts to their own
dtype left out with their readers rewired."""

from __future__ import annotations

import pytest

from trnport.analyzers.graph.ir import Graph, Node, Param, Value
from trnport.analyzers.graph.retype import FLOAT_MIN, NotRetyped, retype


def _rms_norm_graph() -> Graph:
    """x (bf16) → upcast → mul → downcast → out, with a bool mask cast and a mask fill."""
    graph = Graph(name="g", inputs=["x", "mask"], outputs=["down", "filled"])
    graph.values = {
        "x": Value("x", (2, 8), "bfloat16"),
        "mask": Value("mask", (2, 8), "int64"),
        "up": Value("up", (2, 8), "float32"),
        "mul": Value("mul", (2, 8), "float32"),
        "down": Value("down", (2, 8), "bfloat16"),
        "as_bool": Value("as_bool", (2, 8), "bool"),
        "fill": Value("fill", (), "bfloat16"),
        "filled": Value("filled", (2, 8), "bfloat16"),
    }
    graph.params = [Param("w", (8,), "bfloat16"), Param("inv_freq", (4,), "float32")]
    graph.nodes = [
        Node("up", "aten._to_copy.default", ("x",), ("up",), {"dtype": "float32"}),
        Node("mul", "aten.mul.Tensor", ("up", "up"), ("mul",)),
        Node("down", "aten._to_copy.default", ("mul",), ("down",), {"dtype": "bfloat16"}),
        Node("as_bool", "aten._to_copy.default", ("mask",), ("as_bool",), {"dtype": "bool"}),
        Node("fill", "aten.scalar_tensor.default", (), ("fill",),
             {"s": FLOAT_MIN["bfloat16"], "dtype": "bfloat16", "device": "meta"}),
        Node("filled", "aten.where.self", ("as_bool", "down", "fill"), ("filled",)),
    ]
    return graph


def test_casts_to_the_new_dtype_are_left_out_and_their_readers_read_the_input():
    graph = retype(_rms_norm_graph(), "bfloat16", "float32")
    assert [n.name for n in graph.nodes] == ["mul", "as_bool", "fill", "filled"]
    assert graph.nodes[0].inputs == ("x", "x")
    assert graph.nodes[3].inputs == ("as_bool", "mul", "fill")
    assert graph.outputs == ["mul", "filled"]
    assert "up" not in graph.values and "down" not in graph.values
    assert {v.dtype for v in graph.values.values()} == {"float32", "int64", "bool"}


def test_dtype_names_and_the_mask_fill_value_follow_the_new_dtype():
    graph = retype(_rms_norm_graph(), "bfloat16", "float32")
    fill = graph.nodes[2]
    assert fill.attributes == {"s": FLOAT_MIN["float32"], "dtype": "float32", "device": "meta"}
    assert graph.params == [Param("w", (8,), "float32"), Param("inv_freq", (4,), "float32")]


def test_between_two_half_precisions_the_upcasts_stay():
    graph = retype(_rms_norm_graph(), "bfloat16", "float16")
    assert [n.op for n in graph.nodes].count("aten._to_copy.default") == 3
    assert graph.nodes[2].attributes == {"dtype": "float16"}  # the downcast, renamed
    assert graph.nodes[4].attributes["s"] == -65504.0
    assert graph.values["up"].dtype == "float32" and graph.values["x"].dtype == "float16"


def test_a_cast_that_changes_the_shape_or_layout_is_kept():
    graph = _rms_norm_graph()
    graph.nodes[0] = Node("up", "aten._to_copy.default", ("x",), ("up",),
                          {"dtype": "float32", "memory_format": "channels_last"})
    kept = retype(graph, "bfloat16", "float32")
    assert kept.nodes[0].name == "up"


@pytest.mark.parametrize(("source", "target"), [
    ("bfloat16", "bfloat16"), ("int8", "float32"), ("bfloat16", "float8_e4m3fn")])
def test_pairs_other_than_two_floating_dtypes_are_refused(source, target):
    with pytest.raises(NotRetyped):
        retype(_rms_norm_graph(), source, target)


def test_a_graph_with_subgraphs_is_refused():
    graph = _rms_norm_graph()
    graph.nodes[1] = Node("mul", "If", ("up",), ("mul",), subgraphs=(Graph(name="body"),))
    with pytest.raises(NotRetyped):
        retype(graph, "bfloat16", "float32")


def test_a_cast_of_a_tensor_changed_in_place_is_refused():
    # Qwen3-MoE divides its router weights in place, then casts them to the model dtype:
    # built in float32 the cast aliases the changed tensor and the export orders its views
    # otherwise
    graph = _rms_norm_graph()
    graph.nodes[1] = Node("mul", "aten.mul.Tensor", ("up", "up"), ("mul",),
                          source_op="aten.mul_.Tensor")
    with pytest.raises(NotRetyped, match="changed in place"):
        retype(graph, "bfloat16", "float32")
    # a dunder op is not an in-place one
    graph.nodes[1] = Node("mul", "aten.mul.Tensor", ("up", "up"), ("mul",),
                          source_op="aten.__and__.Tensor")
    assert len(retype(graph, "bfloat16", "float32").nodes) == 4


def test_a_cast_whose_result_is_changed_in_place_is_refused():
    graph = _rms_norm_graph()  # the upcast's result "up" is changed: in float32 so is "x"
    graph.nodes[1] = Node("mul", "aten.mul.Tensor", ("up", "up"), ("mul",),
                          source_op="aten.mul_.Tensor")
    graph.nodes[2] = Node("down", "aten.add.Tensor", ("mul", "x"), ("down",))
    with pytest.raises(NotRetyped, match="up casts a tensor changed in place"):
        retype(graph, "bfloat16", "float32")
