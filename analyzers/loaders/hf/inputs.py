"""Example inputs for a Hugging Face model built from its config, one builder per model kind.

Only ever imported from inside the Hugging Face loader, so torch is already loaded; it is
still imported inside the functions, as everywhere in the engine. Every tensor is created on
the ``meta`` device: the shapes drive the export, no data is ever allocated.

Sizes come from the config (``image_size``, ``num_mel_bins``...) and from the user's
``--batch`` / ``--seq-len``. Without ``--seq-len`` a text model gets
``min(max_position_embeddings, DEFAULT_SEQ_LEN)`` tokens: long enough for every op to show up
with realistic shapes, short enough to export quickly (the graph's op set does not depend on
the length, and the memory analysis rescales activations to the requested length itself).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trnport.analyzers.errors import InputError

#: Tokens per example when the user gave no ``--seq-len`` (capped by the model's maximum).
DEFAULT_SEQ_LEN = 128
#: Whisper-style encoders need exactly ``2 * max_source_positions`` mel frames (their two
#: convolutions halve the length once); this is the fallback when the config lacks the field.
DEFAULT_AUDIO_FRAMES = 3000
#: One second of 16 kHz audio for raw-waveform models (wav2vec2, HuBERT...).
DEFAULT_AUDIO_SAMPLES = 16000


@dataclass(frozen=True)
class ExampleInputs:
    """Keyword arguments for ``model.forward`` plus the shapes of its tensor inputs."""

    kind: str
    kwargs: dict[str, Any]

    @property
    def shapes(self) -> dict[str, list[int]]:
        """Name → shape of every tensor argument, for reports and ``example_input_shapes``."""
        return {name: list(value.shape) for name, value in self.kwargs.items()
                if hasattr(value, "shape")}


@dataclass(frozen=True)
class _Sizing:
    batch: int
    seq_len: int | None
    training: bool
    float_dtype: Any


def _forward_params(model: Any) -> set[str]:
    return set(inspect.signature(model.forward).parameters)


def _sub(config: Any, name: str) -> Any:
    """A nested config (``text_config``...) or the config itself when it is flat."""
    return getattr(config, name, None) or config


def text_length_limit(config: Any, label: str = "max_position_embeddings"
                      ) -> tuple[str, int | None]:
    """The config field bounding a text model's length and its value (None when unset)."""
    limit = getattr(config, label, None)
    return label, (limit if isinstance(limit, int) and limit > 0 else None)


def resolve_text_length(seq_len: int | None, limit: int | None,
                        label: str = "max_position_embeddings") -> int:
    """The length a text model is exported at: ``--seq-len`` when given (refused beyond the
    model's ``limit``), else the default capped by the limit."""
    if seq_len is None:
        return min(limit, DEFAULT_SEQ_LEN) if limit else DEFAULT_SEQ_LEN
    if limit is not None and seq_len > limit:
        raise InputError(f"--seq-len {seq_len} exceeds this model's {label} ({limit})")
    return seq_len


def _text_length(config: Any, sizing: _Sizing, label: str = "max_position_embeddings") -> int:
    return resolve_text_length(sizing.seq_len, text_length_limit(config, label)[1], label)


def _ids(batch: int, length: int) -> Any:
    import torch

    return torch.zeros((batch, length), dtype=torch.long, device="meta")


def _mask(batch: int, length: int) -> Any:
    import torch

    return torch.ones((batch, length), dtype=torch.long, device="meta")


def _floats(sizing: _Sizing, *shape: int) -> Any:
    import torch

    # in the model's own dtype: a first conv / linear layer casts nothing, so a float32 input
    # into bfloat16 weights would fail to export
    return torch.zeros(shape, dtype=sizing.float_dtype, device="meta")


def _text(model: Any, config: Any, sizing: _Sizing) -> dict[str, Any]:
    params = _forward_params(model)
    length = _text_length(config, sizing)
    kwargs: dict[str, Any] = {"input_ids": _ids(sizing.batch, length)}
    if "attention_mask" in params:
        kwargs["attention_mask"] = _mask(sizing.batch, length)
    # Encoders with segment embeddings (BERT) take token types; decoders that merely accept
    # the argument (GPT-2) would only add a redundant embedding lookup.
    if "token_type_ids" in params and (getattr(config, "type_vocab_size", 0) or 0) > 0:
        kwargs["token_type_ids"] = _ids(sizing.batch, length)
    if sizing.training and "labels" in params and _is_language_model(model):
        kwargs["labels"] = _ids(sizing.batch, length)
    return kwargs


def _seq2seq_text(model: Any, config: Any, sizing: _Sizing) -> dict[str, Any]:
    params = _forward_params(model)
    length = _text_length(config, sizing, _length_field(config))
    kwargs = {
        "input_ids": _ids(sizing.batch, length),
        "attention_mask": _mask(sizing.batch, length),
        "decoder_input_ids": _ids(sizing.batch, length),
    }
    if sizing.training and "labels" in params:
        kwargs["labels"] = _ids(sizing.batch, length)
    return kwargs


def _length_field(config: Any) -> str:
    # BART-like models bound the length by max_position_embeddings; T5 (relative positions)
    # has neither field, so no limit applies
    if hasattr(config, "max_position_embeddings"):
        return "max_position_embeddings"
    return "n_positions"


def _vision(model: Any, config: Any, sizing: _Sizing) -> dict[str, Any]:
    vision = _sub(config, "vision_config")
    size = getattr(vision, "image_size", 224)
    height, width = (size, size) if isinstance(size, int) else tuple(size)[:2]
    channels = getattr(vision, "num_channels", 3)
    return {"pixel_values": _floats(sizing, sizing.batch, channels, height, width)}


def _speech_seq2seq(model: Any, config: Any, sizing: _Sizing) -> dict[str, Any]:
    params = _forward_params(model)
    source_positions = getattr(config, "max_source_positions", None)
    frames = 2 * source_positions if source_positions else DEFAULT_AUDIO_FRAMES
    kwargs: dict[str, Any] = {
        "input_features": _floats(sizing, sizing.batch, config.num_mel_bins, frames),
    }
    if "decoder_input_ids" in params:
        length = _text_length(config, sizing, "max_target_positions")
        kwargs["decoder_input_ids"] = _ids(sizing.batch, length)
    return kwargs


def _audio(model: Any, config: Any, sizing: _Sizing) -> dict[str, Any]:
    return {"input_values": _floats(sizing, sizing.batch, DEFAULT_AUDIO_SAMPLES)}


def _text_image(model: Any, config: Any, sizing: _Sizing) -> dict[str, Any]:
    text = _sub(config, "text_config")
    length = _text_length(text, sizing)
    kwargs = {
        "input_ids": _ids(sizing.batch, length),
        "attention_mask": _mask(sizing.batch, length),
    }
    kwargs.update(_vision(model, config, sizing))
    return kwargs


def _from_signature(model: Any, config: Any, sizing: _Sizing) -> dict[str, Any]:
    """Fallback: feed the model's main input, sized the way its name suggests."""
    main = getattr(model, "main_input_name", "input_ids")
    if main in _BY_MAIN_INPUT:
        return _BY_MAIN_INPUT[main](model, config, sizing)
    raise InputError(
        f"no example input known for {type(model).__name__} (main input {main!r}); "
        "write a Python model file with example_inputs instead"
    )


_BY_MAIN_INPUT: dict[str, Callable[[Any, Any, _Sizing], dict[str, Any]]] = {
    "input_ids": _text,
    "pixel_values": _vision,
    "input_values": _audio,
}

#: Model kind → builder of its forward keyword arguments.
BUILDERS: dict[str, Callable[[Any, Any, _Sizing], dict[str, Any]]] = {
    "text": _text,
    "seq2seq-text": _seq2seq_text,
    "vision": _vision,
    "speech-seq2seq": _speech_seq2seq,
    "audio": _audio,
    "text-image": _text_image,
    "generic": _from_signature,
}


def _is_language_model(model: Any) -> bool:
    name = type(model).__name__
    return name.endswith(("ForCausalLM", "LMHeadModel", "ForMaskedLM"))


def model_kind(model: Any, config: Any) -> str:
    """Which builder in :data:`BUILDERS` fits ``model``, from its main input and config."""
    params = _forward_params(model)
    main = getattr(model, "main_input_name", "input_ids")
    speech = main == "input_features" and hasattr(config, "num_mel_bins")
    if speech and "decoder_input_ids" in params:
        return "speech-seq2seq"
    if main == "pixel_values":
        return "vision"
    if main == "input_values":
        return "audio"
    if main == "input_ids":
        # Dual encoders (CLIP, SigLIP) take both; vision-language decoders (Llava) also do, but
        # need image tokens placed in the text, so they go through the plain text path.
        if {"pixel_values", "input_ids"} <= params and hasattr(config, "vision_config") and (
            not getattr(config, "is_encoder_decoder", False)
            and not _is_language_model(model)
            and "ConditionalGeneration" not in type(model).__name__
        ):
            return "text-image"
        if getattr(config, "is_encoder_decoder", False) and "decoder_input_ids" in params:
            return "seq2seq-text"
        return "text"
    return "generic"


def build_example_inputs(
    model: Any, config: Any, *, batch: int, seq_len: int | None, training: bool
) -> ExampleInputs:
    """Meta-device keyword arguments for ``model.forward`` sized from config and options."""
    kind = model_kind(model, config)
    sizing = _Sizing(batch=batch, seq_len=seq_len, training=training, float_dtype=model.dtype)
    return ExampleInputs(kind=kind, kwargs=BUILDERS[kind](model, config, sizing))
