"""Pick a loader by what the path is, and return the model as a :class:`Graph`.

One sub-package per format family: ``onnx/`` (protobuf, shape inference, external data),
``torch/`` (``.pt2``, TorchScript, Python model files, the shared FX → IR conversion, layer
replication, ``--input-shape`` pins) and ``hf/`` (Hugging Face configs, built on the meta
device). Each loader module imports its framework inside ``load`` so that reading an ONNX file
never imports torch, and nothing here imports Qt.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trnport.analyzers.errors import InputError, UnsupportedFormatError
from trnport.analyzers.loaders.base import LoadedModel, require_nonempty_file
from trnport.analyzers.options import AnalysisOptions

# format → module (inside this package) whose ``load(path, options)`` reads it
_LOADER_MODULES = {
    "onnx": "onnx.loader",
    "pt2": "torch.pt2",
    "torchscript": "torch.torchscript",
    "python": "torch.python_file",
    "hf-config": "hf.loader",
}
# PyTorch archives, whose content decides between the .pt2 and the TorchScript reader
_ARCHIVE_FORMATS = frozenset({"pt2", "torchscript"})
_TORCH_FORMATS = frozenset({"pt2", "torchscript", "python", "hf-config"})
# formats whose example inputs are not the user's to pin, and what to use instead (a .pt
# TorchScript file may turn out to be a torch.export archive: its loader checks for itself)
_NO_INPUT_PINS = {
    "hf-config": "a Hugging Face config: its inputs come from --batch and --seq-len",
}
_SUFFIX_FORMATS = {
    ".onnx": "onnx",
    ".pt2": "pt2",
    ".pt": "torchscript",
    ".ts": "torchscript",
    ".pth": "torchscript",
    ".jit": "torchscript",
    ".py": "python",
}
ACCEPTED = (
    ".onnx, .pt2, .pt/.ts (TorchScript), .py (with --trust-code), config.json or a model folder"
)


def detect_format(path: Path) -> str:
    """The format of ``path``, from its name (and for folders, their ``config.json``)."""
    if path.is_dir():
        if (path / "config.json").is_file():
            return "hf-config"
        raise UnsupportedFormatError(f"{path}: folder has no config.json; expected {ACCEPTED}")
    if path.suffix.lower() == ".json":
        return "hf-config"
    fmt = _SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(
            f"{path}: unrecognised model file extension {path.suffix or '(none)'!r}; "
            f"expected {ACCEPTED}"
        )
    return fmt


def load_model(
    path: str | Path,
    options: AnalysisOptions,
    progress: Callable[[str], None] | None = None,
) -> LoadedModel:
    """Load ``path`` into a graph; raise :class:`InputError` with a one-line reason if unusable."""
    path = Path(path)
    if not path.is_dir():
        require_nonempty_file(path)
    fmt = detect_format(path)
    if options.input_shapes and fmt in _NO_INPUT_PINS:
        raise InputError(f"{path}: --input-shape does not apply to {_NO_INPUT_PINS[fmt]}")
    if progress:
        progress(f"loading {fmt} model")
    if fmt in _ARCHIVE_FORMATS:
        from trnport.analyzers.loaders.torch.archive import reader_format

        fmt = reader_format(path, fmt)
    if fmt in _TORCH_FORMATS:
        _require_supported_torch(path)
    module = importlib.import_module(f"{__name__}.{_LOADER_MODULES[fmt]}")
    if fmt == "onnx":
        return module.load(path, options)

    def load(loader: Callable[[Path, AnalysisOptions], Any] = module.load) -> Any:
        from trnport.analyzers.loaders.torch.captured_warnings import (
            as_diagnostics,
            torch_warnings_captured,
        )

        notes: list[str] = []
        with torch_warnings_captured(notes):  # the engine never prints; the report says it
            loaded = loader(path, options)
        if loaded is not None:
            loaded.diagnostics.extend(as_diagnostics(notes))
        return loaded

    # a Python file is only run (or its cached graph reused) with --trust-code
    if options.cache_dir and (fmt != "python" or options.trust_code):
        from trnport.analyzers.loaders.cache import CACHED_FORMATS, AnySize, Retype, cached_load

        if fmt in CACHED_FORMATS:
            any_size = retype = None
            if hasattr(module, "load_any_size"):
                any_size = AnySize(lambda: load(module.load_any_size), module.specialise_sizes)
            if hasattr(module, "retype_dtype"):
                retype = Retype(module.retype_sources, module.retype_dtype)
            return cached_load(path, fmt, options, load, any_size, retype)
    return load()


def _require_supported_torch(path: Path) -> None:
    """Refuse, in one line, a torch outside the lines the loaders are written for: export
    APIs, decomposition tables and the archive format differ across releases."""
    from importlib import metadata

    from trnport.analyzers.environment import SUPPORTED_TORCH, torch_supported

    try:
        version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        raise InputError(f"{path}: reading PyTorch models needs torch ({SUPPORTED_TORCH}); "
                         "it is not installed here") from None
    if not torch_supported(version):
        raise InputError(f"{path}: torch {version} is installed; trnport reads PyTorch models "
                         f"with torch {SUPPORTED_TORCH} (the lines of torch-neuronx 2.9 and "
                         "TorchNeuron)")


__all__ = ["ACCEPTED", "LoadedModel", "detect_format", "load_model"]
