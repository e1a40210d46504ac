"""Sizes put into a graph exported at symbolic sizes: the printed sympy arithmetic torch
uses for shapes evaluates to what a static export gives, and anything else is refused rather
than guessed."""

from __future__ import annotations

import pytest

from trnport.analyzers.graph.ir import Graph, Node, Value
from trnport.analyzers.graph.specialise import NotSpecialised, evaluate, specialise

SIZES = {"s43": 6, "s53": 300}


@pytest.mark.parametrize(("text", "expected"), [
    ("s43", 6), ("s43*s53", 1800), ("32*s53", 9600), ("s53 - 1", 299), ("-s53 + 1", -299),
    ("(s53 + 1)//2", 150), ("Max(1, s53)", 300), ("Min(s43, 4)", 4), ("Mod(s53, 7)", 6),
    ("FloorDiv(s53, 7)", 42), ("s53**2", 90000), ("s43*(s53 - 1)//3", 598), ("128", 128),
    ("CeilToInt(s53)", 300),
])
def test_size_expressions_evaluate_as_python_integers(text, expected):
    assert evaluate(text, SIZES) == expected


@pytest.mark.parametrize("text", [
    "s99", "s43 / 2", "Eq(s43, 1)", "sqrt(s43)", "s43 < 2", "__import__('os')", "s43.real",
    "s43 if s53 else 1", "", "2.5*s43",
])
def test_anything_else_is_refused(text):
    with pytest.raises(NotSpecialised):
        evaluate(text, SIZES)


def _symbolic_graph() -> Graph:
    graph = Graph(name="g", inputs=["ids"], outputs=["view"])
    graph.values = {
        "ids": Value("ids", ("s43", "s53"), "int64"),
        "emb": Value("emb", ("s43", "s53", 64), "float32"),
        "view": Value("view", ("s43*s53", 64), "float32"),
        "w": Value("w", (256, 64), "float32"),
    }
    graph.nodes = [
        Node("emb", "aten.embedding.default", ("w", "ids"), ("emb",), {"padding_idx": -1}),
        Node("view", "aten.view.default", ("emb",), ("view",),
             {"size": ["s43*s53", 64], "memory_format": "contiguous_format", "name": "emb"}),
        Node("slice", "aten.slice.Tensor", ("emb",), ("slice",),
             {"dim": 1, "start": None, "end": "s53 - 1"}),
    ]
    graph.metadata = {"dynamic_dims": {"ids": {0: "s43", 1: "s53"}},
                      "range_constraints": {"s43": "[2, 100]", "s53": "[2, 512]"}, "kept": 1}
    return graph


def test_a_graph_gets_its_sizes_in_shapes_and_size_attributes_only():
    graph = _symbolic_graph()
    static = specialise(graph, SIZES)
    assert static.values["ids"].shape == (6, 300)
    assert static.values["view"].shape == (1800, 64)
    assert static.values["w"] is graph.values["w"]  # static values are shared, not copied
    view = static.nodes[1]
    assert view.attributes == {"size": [1800, 64], "memory_format": "contiguous_format",
                               "name": "emb"}  # value names and enum names stay strings
    # a trace at fixed sizes spells out the slice's start, which is the schema default
    assert static.nodes[2].attributes == {"dim": 1, "start": 0, "end": 299}
    assert static.nodes[0] is graph.nodes[0]
    assert static.metadata == {"dynamic_dims": {}, "range_constraints": {}, "kept": 1}
    # the symbolic graph itself is left as it was, for the next sizes
    assert graph.values["view"].shape == ("s43*s53", 64)
    assert graph.nodes[1].attributes["size"] == ["s43*s53", 64]


def test_a_symbol_without_a_size_is_refused():
    with pytest.raises(NotSpecialised):
        specialise(_symbolic_graph(), {"s43": 6})
