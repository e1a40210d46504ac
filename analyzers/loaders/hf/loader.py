"""Hugging Face model folders and ``config.json`` files, built without weights or network.

The config is read as JSON and turned into a transformers config object by its
``model_type``; the model class named in ``architectures`` is instantiated on the ``meta``
device (shapes only, no memory), exported with ``torch.export`` and brought to dispatch level.
Nothing is downloaded and no code shipped with a model is ever run: a config that asks for
custom code (``auto_map``) is refused.

Deep layer stacks are exported with a few layers and replicated on the IR (see
:mod:`trnport.analyzers.loaders.torch.layer_replication`), which keeps a 70B-parameter config
within seconds.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from trnport.analyzers.errors import InputError, UnsafeInputError
from trnport.analyzers.graph import Graph
from trnport.analyzers.loaders.base import LoadedModel, first_line
from trnport.analyzers.options import AnalysisOptions

FORMAT = "hf-config"
#: Config keys the memory analysis reads; copied into ``Graph.metadata["hf_config"]``.
CONFIG_SUMMARY_KEYS = (
    "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
    "intermediate_size", "vocab_size", "max_position_embeddings", "head_dim",
    "num_local_experts", "num_experts_per_tok", "torch_dtype",
    # mixture of experts: the routed expert count goes by three names across families
    # (Mixtral, DeepSeek, Qwen-MoE), the expert MLP width by its own key
    "n_routed_experts", "num_experts", "n_shared_experts", "moe_intermediate_size",
)
#: Largest config.json read; real ones are a few kilobytes.
MAX_CONFIG_BYTES = 4 * 1024 * 1024
#: Deeper stacks than this are refused as absurd before anything is built.
MAX_LAYERS = 2048
# options.dtype → dtype the meta model is built in. Neuron runs fp8 through quantised
# kernels, not by casting the whole model, so fp8 analyses the bf16 model.
BUILD_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "fp8": "bfloat16"}
# Eager attention: explicit matmul + softmax, which every architecture implements and which
# exports to plain ATen ops on every device. "sdpa" is missing for some architectures, and
# where present it decomposes into the same matmul + softmax plus mask bookkeeping
# (any / logical_not / where) that would only add noise to the op report.
ATTENTION_IMPLEMENTATION = "eager"
# Mixture-of-experts layers: "batched_mm" gathers each token's expert weights and runs bmm,
# static shapes and plain ATen ops only. The default ("grouped_mm") emits a CUDA-oriented
# aten._grouped_mm on meta tensors and "eager" loops over a data-dependent expert list that
# torch.export cannot trace.
EXPERTS_IMPLEMENTATION = "batched_mm"


@dataclass(frozen=True)
class HFModelSource:
    """A parsed config.json: where it is, its raw dict, and its ``model_type``."""

    config_path: Path
    raw: dict[str, Any]
    model_type: str


def config_path_of(path: Path) -> Path:
    """The config.json of a model folder, or ``path`` itself when it is the file."""
    if path.is_dir():
        candidate = path / "config.json"
        if not candidate.is_file():
            raise InputError(f"{path}: folder has no config.json")
        return candidate
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return path


def read_config(path: Path) -> HFModelSource:
    """Parse and sanity-check config.json; refuse custom code, with a one-line reason."""
    config_path = config_path_of(path)
    size = config_path.stat().st_size
    if size == 0:
        raise InputError(f"{config_path}: file is empty")
    if size > MAX_CONFIG_BYTES:
        raise InputError(f"{config_path}: {size} bytes is too large for a model config")
    try:
        raw = json.loads(config_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{config_path}: not a text file (expected a JSON model config)") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{config_path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InputError(f"{config_path}: not a model config (JSON nested too deeply)") from None
    if not isinstance(raw, dict):
        raise InputError(
            f"{config_path}: expected a JSON object with a model_type, got a {type(raw).__name__}"
        )
    model_type = raw.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        raise InputError(f"{config_path}: no model_type; not a Hugging Face model config")
    if raw.get("auto_map") or raw.get("trust_remote_code"):
        raise UnsafeInputError(
            f"{config_path}: the config asks for custom model code (auto_map); trnport never "
            "runs code shipped with a model, write a Python model file and use --trust-code"
        )
    return HFModelSource(config_path=config_path, raw=raw, model_type=model_type)


def build_config(source: HFModelSource) -> Any:
    """The transformers config object for ``source``, built locally from the dict."""
    import transformers
    from transformers import AutoConfig
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    if source.model_type not in CONFIG_MAPPING:
        known = sorted(CONFIG_MAPPING.keys())
        raise InputError(
            f"{source.config_path}: unknown Hugging Face architecture {source.model_type!r} "
            f"(transformers {transformers.__version__} knows {len(known)} model types, "
            f"e.g. {', '.join(k for k in ('llama', 'mistral', 'qwen2', 'bert', 'gpt2', 't5'))})"
        )
    kwargs = {k: v for k, v in source.raw.items() if k != "model_type"}
    try:
        config = AutoConfig.for_model(source.model_type, **kwargs)
    except Exception as exc:  # transformers validates fields with its own exception types
        raise InputError(f"{source.config_path}: invalid {source.model_type} config: "
                         f"{first_line(exc)}") from None
    _disable_kv_cache(config)
    layers = getattr(config, "num_hidden_layers", None)
    if isinstance(layers, int) and not 0 < layers <= MAX_LAYERS:
        raise InputError(f"{source.config_path}: num_hidden_layers {layers} is out of range "
                         f"(1 to {MAX_LAYERS})")
    return config


def _disable_kv_cache(config: Any) -> None:
    """Export without a KV cache: the cache object is no tensor torch.export can return, and
    the memory analysis sizes the cache from the config. Set on the config rather than passed
    as ``use_cache=False`` so that no non-tensor flag becomes a graph input."""
    nested = [getattr(config, key, None) for key in getattr(config, "sub_configs", {})]
    for sub in (config, *nested):
        if sub is not None and hasattr(sub, "use_cache"):
            sub.use_cache = False


def model_class(config: Any, config_path: Path) -> tuple[type, list[str]]:
    """The class named in ``architectures`` when transformers has it, else an Auto fallback;
    with diagnostics about the choice."""
    import transformers
    from transformers import PreTrainedModel
    from transformers.models.auto import modeling_auto

    notes: list[str] = []
    for name in getattr(config, "architectures", None) or []:
        try:
            cls = getattr(transformers, name) if isinstance(name, str) and name.isidentifier() \
                else None
        except Exception:  # a lazy import of an optional backend can fail in many ways
            cls = None
        config_class = getattr(cls, "config_class", None)
        if isinstance(cls, type) and issubclass(cls, PreTrainedModel) and (
                config_class is None or isinstance(config, config_class)):
            return cls, notes
        notes.append(f"architecture {name!r} is not a {type(config).__name__} model class "
                     f"in transformers {transformers.__version__}; using the default class")
    # A decoder-only family gets its causal-LM class; encoders that also offer a causal head
    # (BERT's BertLMHeadModel) are analysed as the plain encoder they usually are.
    fallbacks = [modeling_auto.MODEL_MAPPING]
    if type(config) not in modeling_auto.MODEL_FOR_MASKED_LM_MAPPING:
        fallbacks.insert(0, modeling_auto.MODEL_FOR_CAUSAL_LM_MAPPING)
    for mapping in fallbacks:
        if type(config) in mapping:
            return mapping[type(config)], notes
    raise InputError(f"{config_path}: transformers has no model class for "
                     f"model_type {config.model_type!r}")


def build_meta_model(cls: type, config: Any, options: AnalysisOptions, config_path: Path) -> Any:
    """``cls`` instantiated on the meta device in the analysed dtype and mode."""
    import torch

    dtype = getattr(torch, BUILD_DTYPES[options.dtype])
    kwargs: dict[str, Any] = {"attn_implementation": ATTENTION_IMPLEMENTATION, "dtype": dtype,
                              "experts_implementation": EXPERTS_IMPLEMENTATION}
    try:
        with torch.device("meta"):
            try:
                model = cls._from_config(config, **kwargs)
            except ValueError as exc:
                if "experts" not in str(exc):
                    raise
                del kwargs["experts_implementation"]
                model = cls._from_config(config, **kwargs)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{config_path}: could not build {cls.__name__} from its config: "
                         f"{first_line(exc)}") from None
    return model.train(options.mode == "training")


def config_summary(config: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """The size-defining fields the memory analysis reads, from the top-level or text config."""
    sources = [config, getattr(config, "text_config", None)]
    summary: dict[str, Any] = {}
    for key in CONFIG_SUMMARY_KEYS:
        if key == "torch_dtype":
            dtype = raw.get("torch_dtype") or raw.get("dtype")
            summary[key] = str(dtype).removeprefix("torch.") if dtype else None
            continue
        for source in sources:
            value = getattr(source, key, None) if source is not None else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                summary[key] = value
                break
        else:
            summary[key] = None
    # Fill what the architecture implies but does not spell out: multi-head attention has as
    # many KV heads as heads, and the head size is the hidden size split across heads.
    heads, hidden = summary["num_attention_heads"], summary["hidden_size"]
    if summary["num_key_value_heads"] is None and heads:
        summary["num_key_value_heads"] = heads
    if summary["head_dim"] is None and heads and hidden:
        summary["head_dim"] = hidden // heads
    return summary


#: integer inputs of Hugging Face models and the config field bounding them
_ID_INPUTS = {
    "input_ids": "vocab_size", "decoder_input_ids": "vocab_size", "labels": "vocab_size",
    "token_type_ids": "type_vocab_size", "position_ids": "max_position_embeddings",
    "cache_position": "max_position_embeddings",
}


#: architectures whose forward loops over the sequence in Python (a selective scan or a
#: time-mix recurrence): torch.export unrolls one copy of the step per token
RECURRENT_MODEL_TYPES = frozenset({"mamba", "falcon_mamba", "mamba2", "rwkv", "xlstm"})
#: the sequence length such models are exported at; the recurrence analysis scales the loop
#: to the length asked for, so export time stays bounded
PROBE_SEQ_LEN = 16


def input_value_ranges(config: Any, inputs: list[str]) -> dict[str, tuple[int, int]]:
    """What the integer inputs hold, by the transformers convention: ids below the vocabulary
    (and the other tables the config sizes), masks in {0, 1}; the int64 range analysis
    starts from these."""
    sources = [config, getattr(config, "text_config", None)]
    ranges: dict[str, tuple[int, int]] = {}
    for name in inputs:
        if "mask" in name:
            ranges[name] = (0, 1)
            continue
        field = _ID_INPUTS.get(name)
        sizes = [getattr(s, field, None) for s in sources if s is not None and field]
        size = next((v for v in sizes if isinstance(v, int) and v > 0), None)
        if size is not None:
            ranges[name] = (-100 if name == "labels" else 0, size - 1)  # -100: ignored label
    return ranges


def _export(model: Any, kwargs: dict[str, Any], name: str, config_path: Path,
            options: AnalysisOptions, dynamic_shapes: Any = None) -> Graph:
    from trnport.analyzers.loaders.torch.canonical_names import canonical_names
    from trnport.analyzers.loaders.torch.fx_graph import export_program, graph_from_exported_program

    try:
        program = export_program(model, (), kwargs, dynamic_shapes=dynamic_shapes)
        graph = graph_from_exported_program(program, name,
                                            backend_kernels=options.backend_kernels)
    except InputError as exc:
        raise InputError(f"{config_path}: {exc}") from None
    # an export at any size names nodes as one at fixed sizes does (canonical_names); the
    # backward of a training run is traced from the program and merged by its own names
    return graph if options.mode == "training" else canonical_names(graph)


def _export_replicated(full: Any, cls: type, config: Any, kwargs: dict[str, Any], name: str,
                       options: AnalysisOptions, config_path: Path,
                       dynamic_shapes: Any = None) -> tuple[Graph | None, str]:
    """The graph exported with few layers and replicated, or (None, why not)."""
    from trnport.analyzers.loaders.torch import layer_replication as lr

    plan = lr.plan_replication(full, config)
    if plan is None:
        return None, ""
    try:
        reduced = build_meta_model(cls, lr.reduced_config(config, plan), options, config_path)
        lr.check_reduced_model(full, reduced, config, plan)
        graph = lr.replicate_layers(
            _export(reduced, kwargs, name, config_path, options, dynamic_shapes), plan)
    except lr.ReplicationRefused as refusal:
        return None, f"exported all {plan.total} layers: {refusal}"
    return graph, plan.diagnostic()


def _drop_tied_duplicates(graph: Graph, model: Any) -> None:
    """Count a tied weight once (torch.export lists ``lm_head.weight`` and
    ``model.embed_tokens.weight`` separately even though they are one tensor)."""
    from trnport.analyzers.loaders.torch.fx_graph import drop_tied_weights, tied_weights

    drop_tied_weights(graph, tied_weights(model))


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Keep transformers' advice (token ids outside a toy vocabulary, deprecations) off the
    user's terminal: the engine never prints, and the CLI's stderr carries one-line errors."""
    from transformers.utils import logging as hf_logging

    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(previous)


def load(path: Path, options: AnalysisOptions) -> LoadedModel:
    """Build the model a Hugging Face config describes on the meta device and export it."""
    source = read_config(Path(path))
    with _quiet_transformers():
        loaded = _load_quietly(source, Path(path), options, any_size=False)
    assert loaded is not None  # only an any-size export declines
    return loaded


def load_any_size(path: Path, options: AnalysisOptions) -> LoadedModel | None:
    """The model exported once for every batch and every sequence length of at least 2 (up
    to its maximum), those sizes left symbolic (see :func:`specialise_sizes`). A size of 1
    in ``options`` stays fixed at 1: a static export folds size-1 dimensions away, so its
    graph differs from one at any other size. None for a model whose inputs are not token
    batches, whose export fixes a size it was asked to leave free, or when both are 1."""
    if options.batch == 1 and options.seq_len == 1:
        return None
    source = read_config(Path(path))
    with _quiet_transformers():
        return _load_quietly(source, Path(path), options, any_size=True)


#: the symbols an any-size export leaves, by the option that sizes them
SIZE_SYMBOLS = "size_symbols"
_SEQ_LIMIT = "seq_len_limit"


def specialise_sizes(loaded: LoadedModel, options: AnalysisOptions) -> LoadedModel:
    """``loaded`` (from :func:`load_any_size`) at ``options.batch`` and ``options.seq_len``:
    the graph a static export at those sizes gives. Raises :class:`NotSpecialised` for sizes
    the export does not cover, and the :class:`InputError` the static export would raise for
    a length beyond the model's maximum."""
    from trnport.analyzers.graph.specialise import NotSpecialised, specialise
    from trnport.analyzers.loaders.hf.inputs import resolve_text_length
    from trnport.analyzers.loaders.torch.canonical_names import canonical_names

    graph = loaded.graph
    symbols = graph.metadata[SIZE_SYMBOLS]
    label, limit = graph.metadata[_SEQ_LIMIT]
    try:
        seq_len = resolve_text_length(options.seq_len, limit, label)
    except InputError as exc:
        raise InputError(f"{config_path_of(loaded.path)}: {exc}") from None
    sizes = {}
    for option, size in (("batch", options.batch), ("seq_len", seq_len)):
        symbol = symbols[option]
        if isinstance(symbol, int):  # the export fixed this size
            if size != symbol:
                raise NotSpecialised(f"{option} {size}: the export is for {option} {symbol}")
            continue
        sizes[symbol] = size
        low, high = graph.metadata["range_constraints"][symbol]
        if not low <= size <= high:
            raise NotSpecialised(f"{symbol}={size} is outside the export's [{low}, {high}]")
    nodes = len(graph.nodes)
    graph = specialise(graph, sizes)
    if len(graph.nodes) != nodes:  # whole-axis slices left out: number the names again
        graph = canonical_names(graph)
    metadata = graph.metadata
    del metadata[SIZE_SYMBOLS], metadata[_SEQ_LIMIT]
    metadata["example_input_shapes"] = {
        name: [sizes.get(d, d) for d in shape]
        for name, shape in metadata["example_input_shapes"].items()}
    return replace(loaded, graph=graph)


#: the dtypes the model's code branches on (:func:`.dtype_branches.dtype_branches`)
DTYPE_BRANCHES = "dtype_branches"
#: for each dtype a model is built in, the builds whose graph :func:`retype_dtype` turns into
#: its graph. Never from float32: its graph no longer shows which values were upcasts.
RETYPED_FROM = {"float32": ("bfloat16", "float16"), "float16": ("bfloat16",),
                "bfloat16": ("float16",)}
_OPTION_OF_BUILD = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


def retype_sources(options: AnalysisOptions) -> tuple[AnalysisOptions, ...]:
    """``options`` with each other dtype whose loaded graph :func:`retype_dtype` can turn
    into the graph of the model built in ``options.dtype``."""
    return tuple(replace(options, dtype=_OPTION_OF_BUILD[build])
                 for build in RETYPED_FROM.get(BUILD_DTYPES[options.dtype], ()))


def retype_dtype(loaded: LoadedModel, source: AnalysisOptions,
                 options: AnalysisOptions) -> LoadedModel:
    """``loaded`` (built in ``source.dtype``) as the model built in ``options.dtype``
    exports, with a note saying so. Raises :class:`NotRetyped` when the model's code
    branches on either dtype, or :func:`.retype.retype` refuses the graph."""
    from trnport.analyzers.graph.retype import NotRetyped, retype
    from trnport.analyzers.loaders.hf.dtype_branches import ANY
    from trnport.analyzers.loaders.torch.canonical_names import canonical_names

    before, after = BUILD_DTYPES[source.dtype], BUILD_DTYPES[options.dtype]
    if after not in RETYPED_FROM or before not in RETYPED_FROM[after]:
        raise NotRetyped(f"a {before} graph is not retyped to {after}")
    branches = set(loaded.graph.metadata.get(DTYPE_BRANCHES, (ANY,)))
    if branches & {ANY, before, after}:
        raise NotRetyped(f"the model's code branches on {', '.join(sorted(branches))}")
    graph = retype(loaded.graph, before, after)
    if len(graph.nodes) != len(loaded.graph.nodes):  # casts left out: number them again
        graph = canonical_names(graph)
    note = (f"graph of the model built in {after} made from the cached export of it built "
            f"in {before}: the same ops less the casts to {after}; --no-cache rebuilds it")
    return replace(loaded, graph=graph, diagnostics=[*loaded.diagnostics, note])


def _load_quietly(source: HFModelSource, path: Path, options: AnalysisOptions,
                  any_size: bool) -> LoadedModel | None:
    from trnport.analyzers.loaders.hf import inputs as hf_inputs
    from trnport.analyzers.loaders.hf.dtype_branches import dtype_branches

    config = build_config(source)
    cls, diagnostics = model_class(config, source.config_path)
    model = build_meta_model(cls, config, options, source.config_path)
    probe = source.model_type in RECURRENT_MODEL_TYPES
    try:
        inputs = hf_inputs.build_example_inputs(
            model, config, batch=options.batch, seq_len=options.seq_len,
            training=options.mode == "training")
        asked = inputs.shapes.get("input_ids", [0, 0])[-1]
        if probe and asked > PROBE_SEQ_LEN:
            inputs = hf_inputs.build_example_inputs(
                model, config, batch=options.batch, seq_len=PROBE_SEQ_LEN,
                training=options.mode == "training")
        else:
            probe = False
    except InputError as exc:
        raise InputError(f"{source.config_path}: {exc}") from None
    dynamic = None
    if any_size:
        dynamic = _token_batch_dims(inputs, config,
                                    recurrent=source.model_type in RECURRENT_MODEL_TYPES)
        if dynamic is None:
            return None
    name = cls.__name__
    try:
        graph, note = _export_replicated(model, cls, config, inputs.kwargs, name, options,
                                         source.config_path, dynamic)
        if graph is None:
            graph = _export(model, inputs.kwargs, name, source.config_path, options, dynamic)
    except InputError:
        if any_size:
            return None  # the static export reports its own failure
        raise
    if note:
        diagnostics.append(note)
    if probe:
        graph.metadata["recurrence"] = {"probe_seq_len": PROBE_SEQ_LEN, "seq_len": asked}
        diagnostics.append(f"exported the sequence recurrence at {PROBE_SEQ_LEN} tokens and "
                           f"scaled it to {asked} (it unrolls one step per token)")
    _drop_tied_duplicates(graph, model)
    shapes: dict[str, list[Any]] | None = inputs.shapes
    if any_size:
        shapes = _record_size_symbols(graph, inputs, config)
        if shapes is None:
            return None
    graph.metadata.update({
        DTYPE_BRANCHES: dtype_branches(model),
        "hf_model_type": source.model_type,
        "hf_architecture": name,
        "hf_config": config_summary(config, source.raw),
        "hf_input_kind": inputs.kind,
        "hf_attn_implementation": ATTENTION_IMPLEMENTATION,
        "example_input_shapes": shapes,
        "input_value_ranges": input_value_ranges(config, graph.inputs),
    })
    return LoadedModel(graph=graph, format=FORMAT, path=Path(path), diagnostics=diagnostics)


def _token_batch_dims(inputs: Any, config: Any, recurrent: bool) -> dict[str, Any] | None:
    """``dynamic_shapes`` leaving batch and length free in every [batch, length] input of a
    text model, except a size of 1; None when the model is not one, or both sizes are 1."""
    import torch

    from trnport.analyzers.loaders.hf.inputs import text_length_limit

    if inputs.kind != "text" or recurrent or not inputs.kwargs:
        return None
    shapes = {tuple(shape) for shape in inputs.shapes.values()}
    if len(shapes) != 1 or len(inputs.shapes) != len(inputs.kwargs):
        return None
    (shape,) = shapes
    if len(shape) != 2 or max(shape) < 2:
        return None
    _label, limit = text_length_limit(config)
    axes = {}
    if shape[0] >= 2:
        axes[0] = torch.export.Dim("batch", min=2, max=MAX_ANY_SIZE_BATCH)
    if shape[1] >= 2:
        axes[1] = torch.export.Dim("seq_len", min=2, max=limit or MAX_ANY_SIZE_SEQ_LEN)
    return {name: dict(axes) for name in inputs.kwargs}


#: the largest sizes an any-size export is asked to cover (the option checks' own limits)
MAX_ANY_SIZE_BATCH = 1_000_000
MAX_ANY_SIZE_SEQ_LEN = 10_000_000


def _record_size_symbols(graph: Graph, inputs: Any, config: Any
                         ) -> dict[str, list[Any]] | None:
    """Note in an any-size graph's metadata what :func:`specialise_sizes` reads (the size
    symbols, the length limit, the symbols' ranges as numbers); the inputs' symbolic shapes,
    or None when the export fixed a size it was asked to leave free."""
    from trnport.analyzers.loaders.hf.inputs import text_length_limit

    symbols = _size_symbols(graph, inputs)
    if symbols is None:
        return None
    metadata = graph.metadata
    metadata[SIZE_SYMBOLS] = symbols
    metadata[_SEQ_LIMIT] = text_length_limit(config)
    metadata["range_constraints"] = {
        symbol: _bounds(text) for symbol, text in metadata["range_constraints"].items()}
    return {name: list(graph.values[name].shape or ()) for name in inputs.shapes
            if name in graph.values}


def _size_symbols(graph: Graph, inputs: Any) -> dict[str, str | int] | None:
    """The batch and length symbols of the exported inputs (the size itself for one asked to
    stay fixed at 1), or None when the export fixed another (code that needs one size)."""
    found: set[tuple[Any, ...]] = set()
    for name in inputs.kwargs:
        value = graph.values.get(name)
        found.add(tuple(value.shape) if value is not None and value.shape else ())
    if len(found) != 1:
        return None
    (shape,) = found
    if len(shape) != 2 or not all(d == 1 or (isinstance(d, str) and d.isidentifier())
                                  for d in shape):
        return None
    return {"batch": shape[0], "seq_len": shape[1]}


def _bounds(text: str) -> tuple[float, float]:
    """``"[2, 8192]"`` (a range constraint as the converter prints it) as numbers; an
    unbounded end (``int_oo``) is infinite."""
    low, high = (part.strip() for part in text.strip("[]").split(","))
    return tuple(float(part) if part.lstrip("-").isdigit() else  # type: ignore[return-value]
                 (-math.inf if part.startswith("-") else math.inf) for part in (low, high))
