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


def test_the_clones_of_a_replicated_stack_follow_their_templates_new_names():
    # a template layer's cast to_copy_3 (to_copy_2 was left out), and its clone in layer 5,
    # whose node took an underscore because its output had the name first
    graph = Graph(name="g", inputs=["x"], outputs=["_to_copy_3__layer5"],
                  metadata={"replicated_layers": {"total": 6}})
    names = ("x", "_to_copy_3", "_to_copy_3__layer5")
    graph.values = {n: Value(n, (4,), "bool") for n in names}
    graph.nodes = [
        Node("_to_copy_3", "aten._to_copy.default", ("x",), ("_to_copy_3",)),
        Node("_to_copy_3__layer5_", "aten._to_copy.default", ("_to_copy_3",),
             ("_to_copy_3__layer5",)),
    ]
    renamed = canonical_names(graph)
    assert [(n.name, n.inputs, n.outputs) for n in renamed.nodes] == [
        ("_to_copy", ("x",), ("_to_copy",)),
        ("_to_copy__layer5_", ("_to_copy",), ("_to_copy__layer5",))]
    assert renamed.outputs == ["_to_copy__layer5"]
    # outside a replicated stack such a name is numbered like any other (it has no number)
    graph.metadata = {}
    assert [n.name for n in canonical_names(graph).nodes] == ["_to_copy", "_to_copy_3__layer5_"]
