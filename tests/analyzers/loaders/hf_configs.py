"""Tiny Hugging Face config.json contents for loader tests: real architectures, toy sizes.

Each entry is what a user's config.json would hold (``model_type`` + ``architectures`` +
dimensions), scaled down so a meta-device export takes about a second.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_DECODER = {
    "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
    "num_key_value_heads": 2, "vocab_size": 256, "max_position_embeddings": 128,
    "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0,
}

TINY_CONFIGS: dict[str, dict[str, Any]] = {
    "llama": {"architectures": ["LlamaForCausalLM"], **_DECODER, "num_hidden_layers": 2},
    "mistral": {"architectures": ["MistralForCausalLM"], **_DECODER, "num_hidden_layers": 2,
                "sliding_window": 32},
    "mixtral": {"architectures": ["MixtralForCausalLM"], **_DECODER, "num_hidden_layers": 2,
                "num_local_experts": 4, "num_experts_per_tok": 2},
    "qwen2": {"architectures": ["Qwen2ForCausalLM"], **_DECODER, "num_hidden_layers": 2},
    "phi3": {"architectures": ["Phi3ForCausalLM"], **_DECODER, "num_hidden_layers": 2},
    "gemma": {"architectures": ["GemmaForCausalLM"], **_DECODER, "num_hidden_layers": 2,
              "head_dim": 16},
    "gemma2": {"architectures": ["Gemma2ForCausalLM"], **_DECODER, "num_hidden_layers": 2,
               "head_dim": 16, "sliding_window": 32},
    "falcon": {"architectures": ["FalconForCausalLM"], "hidden_size": 64, "num_attention_heads": 4,
               "num_hidden_layers": 2, "vocab_size": 256, "bos_token_id": 1, "eos_token_id": 2},
    "gpt2": {"architectures": ["GPT2LMHeadModel"], "n_embd": 64, "n_layer": 2, "n_head": 4,
             "n_positions": 128, "vocab_size": 256, "bos_token_id": 1, "eos_token_id": 2},
    "bert": {"architectures": ["BertForMaskedLM"], "hidden_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 256,
             "max_position_embeddings": 128},
    "roberta": {"architectures": ["RobertaModel"], "hidden_size": 64, "num_hidden_layers": 2,
                "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 256,
                "max_position_embeddings": 130, "pad_token_id": 1},
    "distilbert": {"architectures": ["DistilBertForMaskedLM"], "dim": 64, "n_layers": 2,
                   "n_heads": 4, "hidden_dim": 128, "vocab_size": 256,
                   "max_position_embeddings": 128},
    "t5": {"architectures": ["T5ForConditionalGeneration"], "d_model": 64, "d_ff": 128,
           "d_kv": 16, "num_heads": 4, "num_layers": 2, "num_decoder_layers": 2,
           "vocab_size": 256, "decoder_start_token_id": 0, "pad_token_id": 0},
    "bart": {"architectures": ["BartForConditionalGeneration"], "d_model": 64, "encoder_layers": 2,
             "decoder_layers": 2, "encoder_attention_heads": 4, "decoder_attention_heads": 4,
             "encoder_ffn_dim": 128, "decoder_ffn_dim": 128, "vocab_size": 256,
             "max_position_embeddings": 64, "bos_token_id": 0, "eos_token_id": 2,
             "pad_token_id": 1, "decoder_start_token_id": 2, "forced_eos_token_id": 2},
    "vit": {"architectures": ["ViTForImageClassification"], "hidden_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128,
            "image_size": 32, "patch_size": 8, "num_channels": 3},
    "convnext": {"architectures": ["ConvNextForImageClassification"], "num_channels": 3,
                 "num_stages": 2, "hidden_sizes": [16, 32], "depths": [1, 1],
                 "image_size": 32},
    "swin": {"architectures": ["SwinForImageClassification"], "image_size": 32, "patch_size": 4,
             "embed_dim": 16, "depths": [2, 2], "num_heads": [2, 4], "window_size": 4},
    "wav2vec2": {"architectures": ["Wav2Vec2ForCTC"], "hidden_size": 32, "num_hidden_layers": 2,
                 "num_attention_heads": 2, "intermediate_size": 64, "conv_dim": [16, 16],
                 "conv_stride": [5, 2], "conv_kernel": [10, 3], "num_conv_pos_embeddings": 16,
                 "num_conv_pos_embedding_groups": 2, "vocab_size": 32},
    "whisper": {"architectures": ["WhisperForConditionalGeneration"], "d_model": 64,
                "encoder_layers": 2, "decoder_layers": 2, "encoder_attention_heads": 4,
                "decoder_attention_heads": 4, "encoder_ffn_dim": 128, "decoder_ffn_dim": 128,
                "num_mel_bins": 16, "max_source_positions": 32, "max_target_positions": 32,
                "vocab_size": 256, "decoder_start_token_id": 1, "pad_token_id": 0},
    "clip": {"architectures": ["CLIPModel"], "projection_dim": 32,
             "text_config": {"hidden_size": 32, "intermediate_size": 64,
                             "num_attention_heads": 4, "num_hidden_layers": 2,
                             "vocab_size": 256, "max_position_embeddings": 32,
                             "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0},
             "vision_config": {"hidden_size": 32, "intermediate_size": 64,
                               "num_attention_heads": 4, "num_hidden_layers": 2,
                               "image_size": 32, "patch_size": 8}},
}


def tiny_config(model_type: str, **overrides: Any) -> dict[str, Any]:
    """The tiny config of ``model_type`` as a config.json dict, with ``overrides`` applied."""
    return {"model_type": model_type, **TINY_CONFIGS[model_type], **overrides}


def write_config(folder: Path, config: dict[str, Any] | str) -> Path:
    """Write ``config`` (a dict, or raw text for malformed files) to ``folder/config.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.json"
    path.write_text(config if isinstance(config, str) else json.dumps(config), encoding="utf-8")
    return path


def loaded_differences(a, b) -> list[str]:
    """What differs between two loaded models, field by field (the live program aside)."""
    pairs = zip(a.graph.nodes, b.graph.nodes, strict=False)  # the counts are compared below
    differences = [f"node {x.name}: {x} != {y}" for x, y in pairs if x != y][:3]
    for field in ("values", "params", "inputs", "outputs"):
        if getattr(a.graph, field) != getattr(b.graph, field):
            differences.append(field)
    if len(a.graph.nodes) != len(b.graph.nodes):
        differences.append(f"{len(a.graph.nodes)} nodes != {len(b.graph.nodes)}")
    meta_a, meta_b = ({k: v for k, v in m.items() if k != "exported_program"}
                      for m in (a.graph.metadata, b.graph.metadata))
    differences += [f"metadata {k}" for k in meta_a.keys() | meta_b.keys()
                    if meta_a.get(k) != meta_b.get(k)]
    if a.diagnostics != b.diagnostics:
        differences.append(f"diagnostics {a.diagnostics} != {b.diagnostics}")
    return differences
