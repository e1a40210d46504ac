"""The Hugging Face config loader: real architectures built on the meta device and exported.

Every op count is checked against a Counter the test computes itself from
``torch.export(...)`` at dispatch level of an independently built meta model, and every
parameter count against ``sum(p.numel())`` of that model.
"""

from __future__ import annotations

import inspect
import json
import socket
from collections import Counter
from pathlib import Path

import pytest

from tests.analyzers.loaders.hf_configs import TINY_CONFIGS, tiny_config, write_config
from trnport.analyzers.errors import InputError, UnsafeInputError
from trnport.analyzers.loaders import load_model
from trnport.analyzers.loaders.hf.loader import CONFIG_SUMMARY_KEYS
from trnport.analyzers.options import AnalysisOptions

REPO = Path(__file__).resolve().parents[3]
LLAMA3_SAMPLE = REPO / "resources" / "samples" / "llama3-8b"

# What loaders.torch.fx_graph documents as bookkeeping and leaves out of the IR.
BOOKKEEPING = {
    "_operator.getitem", "aten._assert_tensor_metadata.default", "aten._assert_scalar.default",
    "aten.sym_constrain_range.default", "aten.sym_constrain_range_for_size.default",
    "aten.sym_size.int", "aten.sym_numel.default", "aten.sym_stride.int",
    "aten.sym_storage_offset.default", "aten.alias.default", "aten.lift_fresh_copy.default",
}
INTEGER_INPUTS = {"input_ids", "attention_mask", "token_type_ids", "decoder_input_ids", "labels"}
SLOW_TYPES = {"t5", "whisper", "clip", "wav2vec2"}


def reference_export(config: dict, shapes: dict[str, list[int]], training: bool = False):
    """Build the same architecture with transformers directly and count its core ATen ops."""
    import torch
    import transformers

    hf_config = transformers.AutoConfig.for_model(
        config["model_type"], **{k: v for k, v in config.items() if k != "model_type"})
    cls = getattr(transformers, config["architectures"][0])
    with torch.device("meta"):
        model = cls._from_config(hf_config, attn_implementation="eager", dtype=torch.bfloat16,
                                 experts_implementation="batched_mm")
    model.train(training)
    kwargs = {
        name: torch.zeros(shape, device="meta",
                          dtype=torch.long if name in INTEGER_INPUTS else torch.bfloat16)
        for name, shape in shapes.items()
    }
    if "use_cache" in inspect.signature(model.forward).parameters:
        kwargs["use_cache"] = False
    from trnport.analyzers.loaders.torch.dispatch_level import to_dispatch_level

    # what the backend receives: the program at dispatch level (as the loader builds it)
    program = to_dispatch_level(torch.export.export(model, (), kwargs, strict=False))
    ops = Counter(
        str(node.target) if isinstance(node.target, torch._ops.OpOverload)
        else f"{node.target.__module__}.{node.target.__name__}"
        for node in program.graph.nodes if node.op == "call_function"
    )
    return model, Counter({op: n for op, n in ops.items() if op not in BOOKKEEPING})


def _load(path: Path, **options) -> object:
    return load_model(path, AnalysisOptions(**options))


# --- architectures --------------------------------------------------------------------------

@pytest.mark.parametrize("model_type", [
    pytest.param(t, marks=pytest.mark.slow) if t in SLOW_TYPES else t for t in TINY_CONFIGS
])
def test_hf_config_exports_the_same_ops_and_params_as_torch(tmp_path, model_type):
    config = tiny_config(model_type)
    loaded = _load(write_config(tmp_path, config))
    graph = loaded.graph

    model, expected_ops = reference_export(config, graph.metadata["example_input_shapes"])
    assert Counter(node.op for node in graph.nodes) == expected_ops
    assert graph.param_count == sum(p.numel() for p in model.parameters())
    assert {p.name for p in graph.params if p.kind == "parameter"} == {
        name for name, _ in model.named_parameters()}
    assert loaded.format == "hf-config"
    assert graph.metadata["hf_model_type"] == model_type
    assert graph.metadata["hf_architecture"] == config["architectures"][0]
    assert "replicated_layers" not in graph.metadata  # two layers: exported in full


def test_model_folder_and_its_config_json_load_the_same_graph(tmp_path):
    config_path = write_config(tmp_path / "tiny-llama", tiny_config("llama"))
    from_file = _load(config_path).graph
    from_folder = _load(config_path.parent).graph
    assert [(n.op, n.inputs) for n in from_file.nodes] == [(n.op, n.inputs) for n in
                                                            from_folder.nodes]
    assert from_file.params == from_folder.params


def test_example_inputs_follow_the_config_and_options(tmp_path):
    path = write_config(tmp_path, tiny_config("llama", max_position_embeddings=64))
    default = _load(path).graph
    # no --seq-len: min(max_position_embeddings, 128)
    assert default.metadata["example_input_shapes"] == {
        "input_ids": [1, 64], "attention_mask": [1, 64]}
    sized = _load(path, batch=3, seq_len=16).graph
    assert sized.metadata["example_input_shapes"]["input_ids"] == [3, 16]
    assert [sized.values[name].shape for name in sized.inputs] == [(3, 16), (3, 16)]


def test_vision_audio_and_dual_encoders_get_inputs_shaped_by_their_config(tmp_path):
    vit = _load(write_config(tmp_path / "vit", tiny_config("vit"))).graph
    assert vit.metadata["example_input_shapes"] == {"pixel_values": [1, 3, 32, 32]}
    clip = _load(write_config(tmp_path / "clip", tiny_config("clip")), seq_len=8).graph
    assert clip.metadata["example_input_shapes"] == {
        "input_ids": [1, 8], "attention_mask": [1, 8], "pixel_values": [1, 3, 32, 32]}
    whisper = _load(write_config(tmp_path / "whisper", tiny_config("whisper")), seq_len=8).graph
    # Whisper's encoder needs exactly 2 * max_source_positions mel frames
    assert whisper.metadata["example_input_shapes"] == {
        "input_features": [1, 16, 64], "decoder_input_ids": [1, 8]}


def test_seq_len_beyond_the_models_maximum_is_refused(tmp_path):
    path = write_config(tmp_path, tiny_config("gpt2"))
    with pytest.raises(InputError, match=r"config\.json: --seq-len 4096 exceeds .*128"):
        _load(path, seq_len=4096)


def test_training_mode_exports_dropout_and_the_loss(tmp_path):
    config = tiny_config("bert", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    path = write_config(tmp_path, config)
    inference = Counter(n.op for n in _load(path).graph.nodes)
    training_graph = _load(path, mode="training").graph
    training = Counter(n.op for n in training_graph.nodes)
    assert inference["aten.native_dropout.default"] == 0
    assert training["aten.native_dropout.default"] > 0
    assert training["aten._log_softmax.default"] == 1  # the masked-LM loss on the labels
    _, expected = reference_export(config, training_graph.metadata["example_input_shapes"],
                                   training=True)
    assert training == expected


def test_metadata_carries_the_size_fields_memory_analysis_reads(tmp_path):
    config = tiny_config("mixtral", torch_dtype="bfloat16")
    graph = _load(write_config(tmp_path, config)).graph
    summary = graph.metadata["hf_config"]
    assert set(summary) == set(CONFIG_SUMMARY_KEYS)
    assert summary["hidden_size"] == 64 and summary["num_hidden_layers"] == 2
    assert summary["num_key_value_heads"] == 2 and summary["head_dim"] == 16
    assert summary["num_local_experts"] == 4 and summary["num_experts_per_tok"] == 2
    assert summary["torch_dtype"] == "bfloat16"
    json.dumps(graph.metadata["hf_config"])  # plain data, storable in a report


def test_unknown_architecture_name_falls_back_to_the_model_types_class(tmp_path):
    config = tiny_config("llama", architectures=["pipeline", "NotARealForCausalLM"])
    loaded = _load(write_config(tmp_path / "llama", config))
    assert loaded.graph.metadata["hf_architecture"] == "LlamaForCausalLM"
    assert any("'pipeline'" in note for note in loaded.diagnostics)
    encoder = tiny_config("bert")
    del encoder["architectures"]
    assert _load(write_config(tmp_path / "bert", encoder)).graph.metadata[
        "hf_architecture"] == "BertModel"


# --- no network, no remote code -------------------------------------------------------------

def test_loading_never_touches_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def refuse(*args, **kwargs):
        raise AssertionError("the loader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    graph = _load(write_config(tmp_path, tiny_config("qwen2"))).graph
    assert graph.metadata["hf_architecture"] == "Qwen2ForCausalLM"


@pytest.mark.parametrize("extra", [
    {"auto_map": {"AutoModelForCausalLM": "modeling_evil.EvilForCausalLM"}},
    {"trust_remote_code": True},
])
def test_configs_that_ask_for_custom_code_are_refused(tmp_path, extra):
    (tmp_path / "modeling_evil.py").write_text("raise SystemExit('remote code ran')\n")
    path = write_config(tmp_path, tiny_config("llama", **extra))
    with pytest.raises(UnsafeInputError, match="custom model code") as error:
        _load(path)
    assert str(path) in str(error.value)


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "reason"), [
    ('{"model_type": "llama", "hidden_size": ', r"invalid JSON at line 1"),
    ('{"hidden_size": 64}', r"no model_type"),
    ('[{"model_type": "llama"}]', r"expected a JSON object .* got a list"),
    ('"llama"', r"expected a JSON object .* got a str"),
    ('{"model_type": "llama", "hidden_size": "wide"}', r"invalid llama config: .*hidden_size"),
    ('{"model_type": "llama", "num_hidden_layers": 100000}', r"num_hidden_layers 100000"),
])
def test_malformed_configs_fail_with_one_line_naming_the_file(tmp_path, content, reason):
    path = write_config(tmp_path, content)
    with pytest.raises(InputError, match=reason) as error:
        _load(path)
    message = str(error.value)
    assert "\n" not in message and message.startswith(str(path))


def test_unknown_model_type_names_the_transformers_version(tmp_path):
    import transformers

    path = write_config(tmp_path, {"model_type": "foo", "hidden_size": 8})
    with pytest.raises(InputError) as error:
        _load(path)
    message = str(error.value)
    assert message.startswith(f"{path}: unknown Hugging Face architecture 'foo' "
                              f"(transformers {transformers.__version__} knows")
    assert "\n" not in message


def test_folder_without_config_json_is_not_a_model(tmp_path):
    with pytest.raises(InputError, match=r"no config\.json"):
        _load(tmp_path)


# --- the shipped sample and full-size configs -----------------------------------------------

@pytest.mark.slow
def test_llama3_8b_sample_has_the_published_parameter_count():
    loaded = _load(LLAMA3_SAMPLE)
    graph = loaded.graph
    assert graph.param_count == 8_030_261_248
    assert graph.metadata["hf_config"]["num_key_value_heads"] == 8
    assert graph.metadata["hf_config"]["torch_dtype"] == "bfloat16"
    assert graph.metadata["replicated_layers"]["total"] == 32
    assert loaded.diagnostics == ["exported 2 of 32 identical decoder layers and replicated them"]


def test_input_shape_pins_are_refused_for_configs(tmp_path):
    """A config's inputs come from --batch/--seq-len; a pin would be ignored, so it is refused."""
    path = write_config(tmp_path, tiny_config("gpt2"))
    with pytest.raises(InputError, match=r"config\.json: --input-shape does not apply to a "
                                         r"Hugging Face config: .*--batch and --seq-len"):
        _load(path, input_shapes={"input_ids": (1, 8)})
