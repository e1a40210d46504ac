"""The hazard helpers on hand-built graphs."""

import argparse

import pytest

from trnport.analyzers.graph import Graph, Node, Value
from trnport.analyzers.hazards import (
    DynamicInput,
    batch_symbols,
    bucket_edges,
    dynamic_inputs,
    matmul_depth,
)
from trnport.app.cli.parser import input_shape


def test_bucket_edges_cover_the_proven_range_with_powers_of_two():
    assert bucket_edges(8, 1024) == [128, 256, 512, 1024]
    assert bucket_edges(1, 100, max_buckets=3) == [32, 64, 100]
    assert bucket_edges(2, None)[-1] == 4096


def test_dynamic_inputs_read_export_ranges_and_skip_pinned_inputs():
    graph = Graph(name="g", inputs=["a", "b"], values={
        "a": Value("a", (2, "s0"), "float32"), "b": Value("b", (2, 3), "float32")})
    graph.metadata["range_constraints"] = {"s0": "[4, 512]"}
    (found,) = dynamic_inputs(graph)
    assert found.dims == ((1, "s0"),) and found.ranges == (("s0", (4, 512)),)
    assert dynamic_inputs(graph, {"a": (2, 8)}) == []


def _dynamic(name, shape):
    return DynamicInput(name, shape, tuple((axis, d) for axis, d in enumerate(shape)
                                           if isinstance(d, str)))


def test_batch_symbols_follow_names_then_the_leading_axis():
    found = [
        _dynamic("ids", ("s0", "s1")),               # anonymous: leading axis is batch
        _dynamic("mask", ("s0", "s1")),
        _dynamic("image", ("N", 3, "height", "width")),
        _dynamic("audio", ("batch_size", "frames")),
        _dynamic("lengths", ("s2",)),                # rank 1: a length, not a batch
        _dynamic("past", ("past_len", 8, "s3", 64)),  # the name says length
        _dynamic("pairs", ("s4", 2)),
        _dynamic("other", (4, "s4")),                # s4 is not only leading
    ]
    assert batch_symbols(found) == {"s0", "N", "batch_size"}


def test_matmul_depth_follows_the_longest_float32_chain():
    values = {n: Value(n, (2, 2), "float32") for n in ("x", "a", "b", "c", "d")}
    values["d"] = Value("d", (2, 2), "int32")
    nodes = [
        Node("mm1", "aten.mm.default", ("x", "x"), ("a",)),
        Node("relu", "aten.relu.default", ("a",), ("b",)),
        Node("mm2", "aten.mm.default", ("b", "x"), ("c",)),
        Node("mm3", "aten.mm.default", ("x", "x"), ("d",)),
    ]
    depth, chain = matmul_depth(Graph(name="g", nodes=nodes, values=values, inputs=["x"]))
    assert depth == 2 and [n.name for n in chain] == ["mm1", "mm2"]


def test_input_shape_option_parses_name_dims_and_dtype():
    assert input_shape("input_ids=1x128:int64") == ("input_ids", (1, 128), "int64")
    assert input_shape("x=4") == ("x", (4,), None)
    for bad in ("=1x2", "x=", "x=1x-2", "x=1x2:complex"):
        with pytest.raises(argparse.ArgumentTypeError):
            input_shape(bad)
