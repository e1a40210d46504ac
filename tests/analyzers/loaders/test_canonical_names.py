"""Node names numbered again per op in graph order: two exports that differ only in the
nodes the IR leaves out (size arithmetic) end up with the same names."""

from __future__ import annotations

from trnport.analyzers.graph.ir import Graph, Node, Param, Value
from trnport.analyzers.loaders.torch.canonical_names import canonical_names, renumbered


def test_names_are_numbered_per_base_in_order_as_torch_fx_numbers_them():
    mapping = renumbered(["add_6", "mul_2", "add_9", "add_6", "getitem_4", "add_10"], set())
    assert mapping == {"add_6": "add", "mul_2": "mul", "add_9": "add_1",
                       "getitem_4": "getitem", "add_10": "add_2"}


def test_kept_names_are_neither_renamed_nor_reused():
    mapping = renumbered(["view_3", "view_5", "x"], keep={"view", "x"})
    assert mapping == {"view_3": "view_1", "view_5": "view_2"}


def _graph(gap: int) -> Graph:
    """x → add_{gap} → split (two outputs getitem_{gap}, getitem_{gap+1}) → cat; with a
    parameter and an input named like ops."""
    a, g0, g1 = f"add_{gap}" if gap else "add", f"getitem_{gap}", f"getitem_{gap + 1}"
    graph = Graph(name="g", inputs=["x"], outputs=["cat_3"], params=[Param("w", (4,), "float32")])
    graph.values = {n: Value(n, (4,), "float32") for n in ("x", "w", a, g0, g1, "cat_3")}
    graph.nodes = [
        Node(a, "aten.add.Tensor", ("x", "w"), (a,), {"alpha": 1}, origin=a),
        Node("split", "aten.split.Tensor", (a,), (g0, g1), {"split_size": 2}, origin="split_2"),
        Node("cat_3", "aten.cat.default", (g0, g1), ("cat_3",), {"tensors": [g0, g1]},
             origin="cat_3"),
    ]
    return graph


def test_two_exports_differing_in_left_out_nodes_get_the_same_names():
    plain, symbolic = canonical_names(_graph(0)), canonical_names(_graph(5))
    assert plain == symbolic
    assert [n.name for n in plain.nodes] == ["add", "split", "cat"]
    assert plain.nodes[1].outputs == ("getitem", "getitem_1")
    assert plain.nodes[2].attributes == {"tensors": ["getitem", "getitem_1"]}
    assert plain.outputs == ["cat"] and set(plain.values) == {
        "x", "w", "add", "getitem", "getitem_1", "cat"}
    assert [n.origin for n in plain.nodes] == ["add", "split", "cat"]
    assert plain.inputs == ["x"] and plain.params[0].name == "w"
