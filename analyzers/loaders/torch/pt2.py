"""Read a ``torch.export.save`` archive (``.pt2``) without unpickling or loading weights.

Why not ``torch.export.load``: in torch 2.13 it is not a weights-only path. Its
``pt2_archive._package.load_pt2`` reads the example inputs with
``serde.serialize.deserialize_torch_artifact``, which retries with
``torch.load(weights_only=False)`` when the safe load fails; it loads weights and constants
marked ``use_pickle`` with ``torch.load(weights_only=False)``, opaque constants with
``pickle.loads``, and dlopens AOTInductor libraries found under ``data/aotinductor/``. Any of
those runs code chosen by whoever wrote the file.

So this loader reads only JSON: the program (``models/<name>.json``, turned into torch's
schema dataclasses by ``_bytes_to_dataclass``) and nothing else. Parameters, buffers and
constants are rebuilt as ``meta`` tensors from the shapes and dtypes the graph itself records,
and ``ExportedProgramDeserializer`` is given no example inputs. No byte of weight data is read
(a 7B archive costs the same as a toy), and the deserializer resolves op targets only by
attribute lookup on ``torch``, ``operator`` and ``math``, never by importing named modules.
"""

from __future__ import annotations

import importlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from trnport.analyzers.errors import InputError
from trnport.analyzers.loaders.base import LoadedModel, first_line, require_nonempty_file
from trnport.analyzers.loaders.torch.bounded_json import (
    JsonLimits,
    read_bounded,
    read_bounded_json,
)
from trnport.analyzers.loaders.torch.pins import check_pinned_inputs
from trnport.analyzers.options import AnalysisOptions

#: What an untrusted program JSON may hold before it is refused, checked while it is
#: decompressed (see bounded_json). Within these, parsing it and handing it to torch stays
#: under 512 MiB; a real program takes about 750 bytes and 45 counted values per node
#: (64 MiB and 2 million values: some 40,000 nodes), and nests about 10 levels.
PROGRAM_JSON_LIMITS = JsonLimits(max_bytes=64 << 20, max_depth=64, max_values=2_000_000)
#: The weights config only lists tensors: smaller limits.
WEIGHTS_CONFIG_LIMITS = JsonLimits(max_bytes=32 << 20, max_depth=16, max_values=2_000_000)
_NOT_PT2 = "not a torch.export .pt2 archive"
#: Installed libraries whose output classes a saved program may name as pytree nodes.
PYTREE_LIBRARIES = frozenset({"transformers", "diffusers", "timm", "torchvision"})
_UNREGISTERED_PYTREE = re.compile(r"Deserializing ([\w.]+) in pytree is not registered")


def load(path: Path, options: AnalysisOptions) -> LoadedModel:
    """Load ``path`` as an ExportedProgram archive; convert it to a dispatch-level Graph."""
    require_nonempty_file(path)
    model_name, program_json = _read_program_json(path)
    program, unloaded_ops = _deserialize(path, _parse_program(path, program_json))
    tied = _tied_weights(path, model_name)
    from trnport.analyzers.loaders.torch.fx_graph import graph_from_exported_program

    try:
        graph = graph_from_exported_program(program, path.stem,
                                            backend_kernels=options.backend_kernels)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc
    from trnport.analyzers.loaders.torch.fx_graph import drop_tied_weights

    drop_tied_weights(graph, tied)
    graph.metadata["pt2_model_name"] = model_name
    check_pinned_inputs(graph, options.input_shapes, options.input_dtypes)
    diagnostics = [f"custom op {name} is not registered here (its library is not loaded): "
                   "analysed as an opaque op with the shapes the program records"
                   for name in unloaded_ops]
    return LoadedModel(graph=graph, format="pt2", path=path, diagnostics=diagnostics)


def _read_program_json(path: Path) -> tuple[str, bytearray]:
    """Check the archive layout and return (model name, the program's JSON bytes)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            root = _archive_root(path, archive, names)
            models = sorted(
                n[len(root) + len("models/"):-len(".json")]
                for n in names
                if n.startswith(f"{root}models/") and n.endswith(".json")
            )
            if not models:
                raise InputError(f"{path}: {_NOT_PT2} (the archive holds no models/*.json)")
            model_name = "model" if "model" in models else models[0]
            info = archive.getinfo(f"{root}models/{model_name}.json")
            return model_name, read_bounded_json(archive, info, PROGRAM_JSON_LIMITS,
                                                 f"{path}: program JSON")
    except InputError:
        raise
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path}: {_NOT_PT2} ({first_line(exc)})") from exc
    except (OSError, EOFError, ValueError, RuntimeError) as exc:  # truncated or corrupt member
        raise InputError(f"{path}: cannot read the archive: {first_line(exc)}") from exc


def _tied_weights(path: Path, model_name: str) -> dict[str, str]:
    """Duplicate name → first name of weights the archive stores once under several names.

    ``torch.export.save`` writes a shared tensor (tied embeddings) once and points every name
    at the same ``path_name`` in ``data/weights/<model>_weights_config.json``; only that JSON
    is read. An archive without it (or with one this loader does not understand) ties nothing.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            root = names[0].split("/", 1)[0] + "/" if names and "/" in names[0] else ""
            entry = f"{root}data/weights/{model_name}_weights_config.json"
            if entry not in names:
                return {}
            config = json.loads(read_bounded_json(archive, archive.getinfo(entry),
                                                  WEIGHTS_CONFIG_LIMITS, entry)).get("config")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, AttributeError,
            RecursionError, InputError):
        return {}
    if not isinstance(config, dict):
        return {}
    first_name: dict[str, str] = {}
    tied: dict[str, str] = {}
    for name, entry_info in config.items():
        if not isinstance(entry_info, dict) or not isinstance(entry_info.get("path_name"), str):
            continue
        meta = entry_info.get("tensor_meta")
        # the same bytes viewed with another offset or shape is a different tensor
        key = json.dumps([entry_info["path_name"], meta.get("storage_offset"), meta.get("sizes"),
                          meta.get("strides"), meta.get("dtype")] if isinstance(meta, dict)
                         else [entry_info["path_name"]], sort_keys=True)
        kept = first_name.setdefault(key, name)
        if kept != name:
            tied[name] = kept
    return tied


def _archive_root(path: Path, archive: zipfile.ZipFile, names: list[str]) -> str:
    """The folder every entry lives in (``<name>/``), after checking ``archive_format``."""
    root = names[0].split("/", 1)[0] + "/" if names and "/" in names[0] else ""
    format_entry = f"{root}archive_format"
    marker = read_bounded(archive, format_entry, 64) if format_entry in names else None
    if marker is not None and marker.strip() == b"pt2":
        return root
    if any(n.endswith("serialized_exported_program.json") for n in names):
        raise InputError(
            f"{path}: a torch.export archive in the pre-2.7 layout; re-save it with "
            "torch.export.save from a current torch"
        )
    raise InputError(f"{path}: {_NOT_PT2} (no archive_format entry)")


def _parse_program(path: Path, program_json: bytearray) -> dict:
    """The program JSON as Python objects, parsed before torch is imported (the text is
    within limits, so this is bounded) and with the text released as soon as it is parsed."""
    try:
        program = json.loads(program_json)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"{path}: program JSON is corrupt: {first_line(exc)}") from exc
    finally:
        del program_json[:]
    if not isinstance(program, dict):
        raise InputError(f"{path}: program JSON does not match torch's schema: it is not "
                         "an object")
    return program


def _deserialize(path: Path, program_dict: dict) -> tuple[Any, list[str]]:
    """ExportedProgram from its JSON, with meta tensors standing in for every weight, and
    the custom ops it uses that had to be stood in for (their library is not loaded)."""
    import torch
    from torch._export.serde import schema
    from torch._export.serde.serialize import ExportedProgramDeserializer, _dict_to_dataclass

    try:
        serialized = _dict_to_dataclass(schema.ExportedProgram, program_dict)
    except Exception as exc:  # the schema walker raises KeyError/TypeError/... on bad fields
        raise InputError(f"{path}: program JSON does not match torch's schema: "
                         f"{first_line(exc)}") from exc
    state_dict, constants = _meta_weights(path, serialized, torch)
    from trnport.analyzers.loaders.torch.unloaded_ops import define_unloaded_ops

    graph = serialized.graph_module.graph
    try:
        unloaded = define_unloaded_ops(graph, graph.tensor_values)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc
    imported: set[str] = set()
    while True:
        try:
            program = ExportedProgramDeserializer().deserialize(
                serialized, state_dict, constants, None
            )
            break
        except Exception as exc:
            if not _import_pytree_owner(exc, imported):
                raise InputError(f"{path}: torch cannot deserialize the program: "
                                 f"{first_line(exc)}") from exc
    _weights_as_graph_fakes(program, torch)
    return program, unloaded


def _import_pytree_owner(error: Exception, imported: set[str]) -> bool:
    """Import the library that registers a pytree type the program names, if it is trusted.

    A program exported from a Hugging Face model returns ``transformers.modeling_outputs``
    classes, which only exist as pytree nodes once transformers is imported. Only installed
    libraries on :data:`PYTREE_LIBRARIES` are imported, each at most once; never a module
    the file could choose freely.
    """
    match = _UNREGISTERED_PYTREE.search(str(error))
    if match is None:
        return False
    module = match.group(1).rsplit(".", 1)[0]
    if module.split(".")[0] not in PYTREE_LIBRARIES or module in imported:
        return False
    imported.add(module)
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _weights_as_graph_fakes(program: Any, torch: Any) -> None:
    """Swap the meta weights for the placeholders' own fake tensors.

    The meta tensors only satisfy the deserializer's signature check. Decomposition retraces
    with the weights, and a ``meta`` weight next to a ``cpu`` input fails the device check; the
    placeholder's FakeTensor has the recorded device and belongs to the program's fake mode.
    """
    from torch.export.graph_signature import InputKind

    placeholders = {n.name: n for n in program.graph.nodes if n.op == "placeholder"}
    for spec in program.graph_signature.input_specs:
        if spec.kind not in (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR):
            continue
        fake = placeholders[spec.arg.name].meta.get("val")
        if fake is None:
            continue
        # ExportedProgram exposes these dicts read-only; they are its own storage
        store = program._state_dict if spec.target in program._state_dict else program._constants
        if spec.kind == InputKind.PARAMETER:
            # keep the recorded requires_grad: decompositions differ for frozen weights
            # (embedding_bag becomes _embedding_bag_forward_only when nothing needs a gradient)
            recorded = store.get(spec.target)
            requires_grad = bool(getattr(recorded, "requires_grad", False))
            fake = torch.nn.Parameter(fake, requires_grad=requires_grad)
        store[spec.target] = fake


def _meta_weights(path: Path, serialized: Any, torch: Any) -> tuple[dict, dict]:
    """State dict and constants as ``meta`` tensors shaped like the graph's placeholders."""
    from torch._export.serde.serialize import deserialize_scalar_type

    graph = serialized.graph_module.graph
    state_dict: dict[str, Any] = {}
    constants: dict[str, Any] = {}
    for spec in serialized.graph_module.signature.input_specs:
        kind = spec.type
        if kind == "parameter":
            target, arg, store = spec.parameter.parameter_name, spec.parameter.arg, state_dict
        elif kind == "buffer":
            target, arg = spec.buffer.buffer_name, spec.buffer.arg
            # torch keeps non-persistent buffers with the constants, not in the state dict
            store = state_dict if spec.buffer.persistent else constants
        elif kind == "tensor_constant":
            target, arg = spec.tensor_constant.tensor_constant_name, spec.tensor_constant.arg
            store = constants
        elif kind == "custom_obj":
            raise InputError(
                f"{path}: the program holds TorchBind custom objects, which cannot be read "
                "without running their code"
            )
        else:
            continue
        meta = graph.tensor_values.get(arg.name)
        if meta is None:
            raise InputError(f"{path}: no shape recorded for weight {target!r}")
        try:
            sizes = [s.as_int for s in meta.sizes]
            strides = [s.as_int for s in meta.strides]
            if any(not isinstance(n, int) for n in (*sizes, *strides)):
                raise ValueError("symbolic weight shape")
            tensor = torch.empty_strided(
                sizes, strides, dtype=deserialize_scalar_type(meta.dtype), device="meta"
            )
        except Exception as exc:
            raise InputError(f"{path}: unusable shape for weight {target!r}: "
                             f"{first_line(exc)}") from exc
        if kind == "parameter":
            tensor = torch.nn.Parameter(tensor, requires_grad=bool(meta.requires_grad))
        store[target] = tensor
    return state_dict, constants
