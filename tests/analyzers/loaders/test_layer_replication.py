"""Layer replication: a graph exported with a few layers, grown on the IR, equals the full one.

The first half uses hand-built graphs (no torch), so every wiring rule is checked exactly;
the second half exports tiny real transformers twice — all layers, and two layers replicated —
and compares the two graphs.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.analyzers.loaders.hf_configs import tiny_config, write_config
from trnport.analyzers.graph import Graph, Node, Param, SourceLocation, Value
from trnport.analyzers.loaders.torch.layer_replication import (
    ReplicationPlan,
    ReplicationRefused,
    choose_export_depth,
    replicate_layers,
)

PREFIX = "model.layers"


# --- a synthetic stacked model --------------------------------------------------------------

def _param_value(name: str, mangled: bool) -> str:
    return "p_" + name.replace(".", "_") if mangled else name


def stacked_graph(layer_kinds: list[str], *, mangled: bool = False) -> Graph:
    """embedding → N residual layers (a "sliding" layer has one extra op) → head, with FX-like
    value names that do not mention layers, a shared rotary table and a shared mask."""
    graph = Graph(name="synthetic", inputs=["input_ids"])
    graph.values["input_ids"] = Value("input_ids", (1, 8), "int64")
    counter: Counter[str] = Counter()

    def add_param(name: str, shape: tuple[int, ...], kind: str = "parameter") -> str:
        graph.params.append(Param(name, shape, "float32", kind))
        value = _param_value(name, mangled)
        graph.values[value] = Value(value, shape, "float32")
        graph.inputs.append(value)
        return value

    def add_node(op: str, inputs: tuple[str, ...], module: str | None, shape=(1, 8, 4)) -> str:
        base = op.split(".")[1]
        name = base if not counter[base] else f"{base}_{counter[base]}"
        counter[base] += 1
        graph.nodes.append(Node(name, op, inputs, (name,), {"dim": -1},
                                location=SourceLocation("model.py", 10 + len(op), module)))
        graph.values[name] = Value(name, shape, "float32")
        return name

    embed_w = add_param("model.embed_tokens.weight", (32, 4))
    inv_freq = add_param("model.rotary_emb.inv_freq", (2,), kind="buffer")
    layer_params = [
        (add_param(f"{PREFIX}.{i}.mlp.weight", (4, 4)),
         add_param(f"{PREFIX}.{i}.norm.weight", (4,)))
        for i in range(len(layer_kinds))
    ]
    norm_w = add_param("model.norm.weight", (4,))
    head_w = add_param("lm_head.weight", (32, 4))

    hidden = add_node("aten.embedding.default", (embed_w, "input_ids"), "model.embed_tokens")
    cos = add_node("aten.cos.default", (inv_freq,), "model.rotary_emb", shape=(2,))
    mask = add_node("aten.full.default", (), "model", shape=(8, 8))
    for i, kind in enumerate(layer_kinds):
        mlp_w, norm_w_i = layer_params[i]
        module = f"{PREFIX}.{i}"
        normed = add_node("aten.mul.Tensor", (hidden, norm_w_i), f"{module}.norm")
        proj = add_node("aten.mm.default", (normed, mlp_w), f"{module}.mlp")
        rotated = add_node("aten.mul.Tensor", (proj, cos), f"{module}.self_attn")
        if kind == "sliding":
            rotated = add_node("aten.add.Tensor", (rotated, mask), f"{module}.self_attn")
        hidden = add_node("aten.add.Tensor", (hidden, rotated), module)
    final = add_node("aten.mul.Tensor", (hidden, norm_w), "model.norm")
    logits = add_node("aten.mm.default", (final, head_w), "lm_head", shape=(1, 8, 32))
    graph.outputs = [logits, hidden]  # the last hidden state is an output too
    return graph


def structure(graph: Graph) -> list[tuple]:
    """Each node as (op, module, inputs), inputs named by producer position or graph input,
    so two graphs compare equal exactly when they compute the same thing the same way."""
    produced = {out: (i, slot) for i, n in enumerate(graph.nodes)
                for slot, out in enumerate(n.outputs)}

    def ref(name: str) -> tuple:
        return ("node", *produced[name]) if name in produced else ("input", name)

    nodes = [(n.op, n.location.module, tuple(ref(x) for x in n.inputs),
              tuple((graph.values[o].shape, graph.values[o].dtype) for o in n.outputs))
             for n in graph.nodes]
    return [*nodes, ("outputs", tuple(ref(o) for o in graph.outputs))]


def assert_well_formed(graph: Graph) -> None:
    """Topological order, unique names, every input defined before use and described;
    parameter placeholders (fx_graph's ``param_inputs``) name known parameters."""
    param_inputs = graph.metadata.get("param_inputs", {})
    params = {p.name for p in graph.params} | set(graph.metadata.get("tied_parameters", {}))
    assert all(target in params for target in param_inputs.values())
    assert all(name in graph.values for name in param_inputs)
    defined = set(graph.inputs) | set(param_inputs)
    names = set()
    for node in graph.nodes:
        assert node.name not in names, f"duplicate node name {node.name}"
        names.add(node.name)
        for x in node.inputs:
            assert x in defined, f"{node.name} reads {x} before it is defined"
        for out in node.outputs:
            assert out not in defined, f"{out} defined twice"
            assert out in graph.values
            defined.add(out)
    assert all(o in defined for o in graph.outputs)


# --- synthetic tests ------------------------------------------------------------------------

@pytest.mark.parametrize("mangled", [False, True])
def test_two_replicated_layers_rebuild_the_full_stack_exactly(mangled):
    full = stacked_graph(["full"] * 7, mangled=mangled)
    small = stacked_graph(["full"] * 2, mangled=mangled)
    grown = replicate_layers(small, ReplicationPlan(PREFIX, total=7, exported=2, period=1))

    assert structure(grown) == structure(full)
    assert grown.params == full.params
    assert grown.inputs == full.inputs
    assert {v.name: (v.shape, v.dtype) for v in grown.values.values()
            if v.name in full.inputs} == {v: (full.values[v].shape, full.values[v].dtype)
                                          for v in full.inputs}
    assert len(grown.values) == len(full.values)
    assert_well_formed(grown)
    assert grown.metadata["replicated_layers"] == {
        "prefix": PREFIX, "total": 7, "exported": 2, "period": 1, "role": ""}


def test_alternating_layer_pattern_is_replicated_period_by_period():
    pattern = ["sliding", "full"]
    full = stacked_graph(pattern * 4 + ["sliding"])  # 9 layers: the last period is partial
    exported, period = choose_export_depth([(kind,) for kind in pattern * 4 + ["sliding"]])
    assert (exported, period) == (5, 2)
    small = stacked_graph((pattern * 4 + ["sliding"])[:exported])
    grown = replicate_layers(small, ReplicationPlan(PREFIX, total=9, exported=5, period=2))

    assert structure(grown) == structure(full)
    assert grown.params == full.params
    assert_well_formed(grown)


def test_replication_refuses_layers_that_differ_from_the_template():
    small = stacked_graph(["full", "sliding"])  # claims identical layers, but they differ
    with pytest.raises(ReplicationRefused, match=r"differs|different"):
        replicate_layers(small, ReplicationPlan(PREFIX, total=6, exported=2, period=1))


def test_replication_refuses_nodes_between_layers():
    small = stacked_graph(["full", "full"])
    first_of_layer_1 = next(i for i, n in enumerate(small.nodes)
                            if n.location.module and n.location.module.startswith(f"{PREFIX}.1"))
    stray = Node("stray", "aten.neg.default", (small.nodes[first_of_layer_1 - 1].outputs[0],),
                 ("stray",), location=SourceLocation(module="model"))
    small.nodes.insert(first_of_layer_1, stray)
    small.values["stray"] = Value("stray", (1, 8, 4), "float32")
    with pytest.raises(ReplicationRefused, match="between consecutive layers"):
        replicate_layers(small, ReplicationPlan(PREFIX, total=6, exported=2, period=1))


def test_export_depth_keeps_leading_layers_that_break_the_pattern():
    # three dense layers, then mixture-of-experts layers (DeepSeek-style)
    signatures = [("dense",)] * 3 + [("moe",)] * 20
    assert choose_export_depth(signatures) == (5, 1)
    assert choose_export_depth([("a",), ("b",), ("c",), ("d",), ("e",), ("f",)]) is None
    # nothing saved when the whole stack would have to be exported
    assert choose_export_depth([("a",), ("b",)] * 2) is None


# --- real transformers: replicated export == full export ------------------------------------

def _load_both(tmp_path, config: dict) -> tuple:
    """The loader's graph (replicated) and the same config exported with every layer."""
    from unittest import mock

    from trnport.analyzers.loaders import load_model
    from trnport.analyzers.loaders.torch import layer_replication
    from trnport.analyzers.options import AnalysisOptions

    path = write_config(tmp_path, config)
    replicated = load_model(path, AnalysisOptions())
    with mock.patch.object(layer_replication, "plan_replication", return_value=None):
        full = load_model(path, AnalysisOptions())
    return replicated, full


def _without_constant_numbers(items: object) -> str:
    """torch.export numbers lifted constants model-wide (``lifted_tensor_10`` in layer 5);
    replicated layers keep their template's numbers, so compare with the numbers dropped."""
    return re.sub(r"lifted_tensor_\d+", "lifted_tensor_#", repr(items))


def _six_layers(model_type: str, **extra) -> dict:
    depth_key = {"gpt2": "n_layer"}.get(model_type, "num_hidden_layers")
    return tiny_config(model_type, **{depth_key: 6}, **extra)


@pytest.mark.parametrize(("config", "exported", "period"), [
    (_six_layers("llama"), 2, 1),
    (_six_layers("gpt2"), 2, 1),
    (_six_layers("bert"), 2, 1),
    (_six_layers("mistral"), 2, 1),
    (_six_layers("mixtral"), 2, 1),
    # Falcon lifts two small constants per attention layer
    (_six_layers("falcon"), 2, 1),
    # sliding / full attention alternating: one period of two layers, exported twice
    pytest.param(_six_layers("gemma2"), 4, 2, marks=pytest.mark.slow),
    # the first two layers use full attention, the rest a sliding window
    pytest.param(_six_layers("qwen2", use_sliding_window=True, sliding_window=32,
                             max_window_layers=2), 4, 1, marks=pytest.mark.slow),
], ids=["llama", "gpt2", "bert", "mistral", "mixtral", "falcon", "gemma2", "qwen2-sliding"])
def test_replicated_export_equals_the_full_export(tmp_path, config, exported, period):
    replicated, full = _load_both(tmp_path, config)
    grown, whole = replicated.graph, full.graph

    assert grown.metadata["replicated_layers"]["exported"] == exported
    assert grown.metadata["replicated_layers"]["period"] == period
    assert "replicated_layers" not in whole.metadata
    assert Counter(n.op for n in grown.nodes) == Counter(n.op for n in whole.nodes)
    assert len(grown.nodes) == len(whole.nodes)
    assert Counter(n.location.module for n in grown.nodes) == Counter(
        n.location.module for n in whole.nodes)
    assert _without_constant_numbers(
        [(p.name, p.shape, p.dtype, p.kind) for p in grown.params]) == _without_constant_numbers(
        [(p.name, p.shape, p.dtype, p.kind) for p in whole.params])
    assert grown.param_count == whole.param_count
    # same wiring, node for node
    assert _without_constant_numbers(structure(grown)) == _without_constant_numbers(
        structure(whole))
    assert_well_formed(grown)
    assert [line for line in replicated.diagnostics if "replicated" in line] == [
        f"exported {exported} of 6 "
        + ("identical " if period == 1 else "")
        + ("encoder" if config["model_type"] == "bert" else "decoder")
        + " layers"
        + (f" (a pattern repeating every {period} layers)" if period > 1 else "")
        + " and replicated them"]


def test_loader_exports_every_layer_when_replication_is_refused(tmp_path, monkeypatch):
    from trnport.analyzers.loaders import load_model
    from trnport.analyzers.loaders.torch import layer_replication
    from trnport.analyzers.options import AnalysisOptions

    def refuse(graph, plan):
        raise ReplicationRefused("layer node mm_9 differs from mm_2")

    monkeypatch.setattr(layer_replication, "replicate_layers", refuse)
    loaded = load_model(write_config(tmp_path, _six_layers("llama")), AnalysisOptions())
    assert "replicated_layers" not in loaded.graph.metadata
    assert loaded.diagnostics == ["exported all 6 layers: layer node mm_9 differs from mm_2"]
    layers_seen = {int(m.group(1)) for n in loaded.graph.nodes
                   if (m := re.match(r"model\.layers\.(\d+)", n.location.module or ""))}
    assert layers_seen == set(range(6))  # every layer was exported, none cloned


@pytest.mark.slow
@pytest.mark.parametrize(("dims", "expected_params"), [
    ({"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
      "intermediate_size": 11008, "vocab_size": 32000}, 6_738_415_616),
    ({"hidden_size": 8192, "num_hidden_layers": 80, "num_attention_heads": 64,
      "num_key_value_heads": 8, "intermediate_size": 28672, "vocab_size": 128256},
     70_553_706_496),
], ids=["llama-7b", "llama-70b"])
def test_full_size_llama_keeps_every_parameter_of_the_full_model(tmp_path, dims, expected_params):
    import torch
    import transformers

    from trnport.analyzers.loaders import load_model
    from trnport.analyzers.options import AnalysisOptions

    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], **dims}
    loaded = load_model(write_config(tmp_path, config), AnalysisOptions())
    with torch.device("meta"):
        full_model = transformers.LlamaForCausalLM(
            transformers.AutoConfig.for_model("llama", **dims))
    graph = loaded.graph
    assert graph.param_count == sum(p.numel() for p in full_model.parameters()) == expected_params
    assert [(p.name, p.shape) for p in graph.params if p.kind == "parameter"] == [
        (name, tuple(p.shape)) for name, p in full_model.named_parameters()]
    layers = dims["num_hidden_layers"]
    assert loaded.diagnostics == [
        f"exported 2 of {layers} identical decoder layers and replicated them"]
    assert_well_formed(graph)
    assert len({n.location.module for n in graph.nodes
                if (n.location.module or "").startswith("model.layers.")
                and n.location.module.count(".") == 2}) == layers
