"""Checks on ONNX external-data references, made without ever reading the data.

A tensor stored outside the model names its file in ``external_data["location"]``. ONNX
runtimes resolve it relative to the model's folder, so a location that is absolute, climbs
out with ``..`` or goes through a symlink that leaves the folder would make any later
consumer read an arbitrary file: such models are refused. Sizes come from the tensor's
dims and dtype; the files are only ``stat``-ed, to report a missing or short one.
"""

from __future__ import annotations

import math
import posixpath
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from trnport.analyzers.errors import InputError, UnsafeInputError
from trnport.analyzers.graph import DTYPE_BYTES
from trnport.analyzers.loaders.onnx.types import shorten


class ExternalDataGuard:
    """Validates every external tensor's location once per distinct location string.

    Errors are raised without the model path; the loader prefixes it.
    """

    def __init__(self, model_path: Path) -> None:
        self.folder = model_path.absolute().parent.resolve()
        self._files: dict[str, Path] = {}
        # location → (bytes the tensors need, name of the tensor reaching furthest)
        self._needed: dict[str, tuple[int, str]] = {}
        self.tensor_count = 0

    def check(self, tensor: Any, dtype: str) -> None:
        """Refuse an unsafe or missing location for ``tensor`` (an external TensorProto)."""
        entries = {entry.key: entry.value for entry in tensor.external_data}
        name = shorten(tensor.name)
        location = entries.get("location", "")
        if not location:
            raise InputError(f"external tensor '{name}' has no location")
        if location not in self._files:
            self._files[location] = self._resolve(location, name)
        self.tensor_count += 1
        offset = _whole_number(entries.get("offset", "0"), "offset", name)
        length = entries.get("length")
        if length is not None:
            size = _whole_number(length, "length", name)
        else:
            size = math.ceil(math.prod(tensor.dims) * DTYPE_BYTES.get(dtype, 0))
        end = offset + size
        if end > self._needed.get(location, (-1, ""))[0]:
            self._needed[location] = (end, name)

    def _resolve(self, location: str, tensor: str) -> Path:
        shown = shorten(location)
        if "\x00" in location:
            raise UnsafeInputError(f"external data location of tensor '{tensor}' contains a "
                                   "NUL byte; refusing it")
        windows = PureWindowsPath(location)
        if PurePosixPath(location).is_absolute() or windows.is_absolute() or windows.drive \
                or location.startswith(("/", "\\")):
            raise UnsafeInputError(
                f"external data location '{shown}' of tensor '{tensor}' is an absolute path; "
                "refusing to read outside the model's folder")
        # ".." counts whichever separator the model was written with
        normal = posixpath.normpath(location.replace("\\", "/"))
        target = (self.folder / location).resolve()
        if normal == ".." or normal.startswith("../") or not target.is_relative_to(self.folder):
            raise UnsafeInputError(
                f"external data location '{shown}' of tensor '{tensor}' escapes the model's "
                "folder; refusing to read it")
        if not target.exists():
            raise InputError(f"external data file '{shown}' not found next to model")
        if target.is_dir():
            raise InputError(f"external data location '{shown}' is a folder, not a file")
        return target

    def diagnostics(self) -> list[str]:
        """One line per external file shorter than its tensors need (checked by size only)."""
        notes = []
        for location, (needed, tensor) in sorted(self._needed.items()):
            target = self._files[location]
            if not target.is_file():
                continue  # a pipe or device: no size to compare
            actual = target.stat().st_size
            if actual < needed:
                notes.append(f"external data file '{shorten(location)}' has {actual} bytes but "
                             f"tensor '{tensor}' needs {needed}; the file looks truncated")
        return notes


def _whole_number(text: str, key: str, tensor: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise InputError(f"external tensor '{tensor}' has an invalid {key} {shorten(text, 30)!r}")
    return number
