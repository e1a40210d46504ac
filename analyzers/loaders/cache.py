"""A disk cache of loaded PyTorch and Hugging Face graphs, so that analysing the same model
again for another target, TP, PP, SDK line or stack (or fp8 after bf16, the same build)
skips the export.

An entry is keyed by everything the loaded graph depends on: the model's bytes (for a Python
file also the ``.py`` files beside it, which it may import; for a Hugging Face folder its
``config.json``), the format, the loader options that reach the export (pinned input shapes,
and for configs the dtype the model is built in, batch and sequence length; training runs,
which trace a backward from the live exported program, are not cached), the torch and
transformers versions, and the source of the loaders and the graph IR themselves — so a changed
trnport never reads an entry it did not write. Entries are pickles written by this user into
this user's cache folder; one that cannot be read is deleted and rebuilt. The
folder is kept under :data:`MAX_BYTES`, oldest entries first.

A Hugging Face config analysed at a second batch or sequence length is exported once more
with its sizes symbolic (:class:`AnySize`); that entry, keyed without the sizes, serves
every later batch and length of at least 2 without exporting. A size of 1 stays fixed (a
static export folds it away), so batch 1 and batch ≥ 2 have an entry each. The first
analysis stays a plain export, which is faster.

A config analysed in another dtype is made from an entry of the model built in a dtype the
format can retype from (:class:`Retype`; for configs bf16 or fp16 to fp32, and between the
two), its exact entry or its any-size one, before anything is exported.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from importlib import metadata
from pathlib import Path

from trnport.analyzers.loaders.base import LoadedModel
from trnport.analyzers.options import AnalysisOptions

#: formats whose loading is worth caching (an export); ONNX files are read directly
CACHED_FORMATS = frozenset({"pt2", "torchscript", "python", "hf-config"})
MAX_BYTES = 1024 * 2**20
_SUFFIX = ".graph.pickle"
#: marks a model analysed at some size: the next size asks for the any-size export
_SEEN_SUFFIX = ".seen"
#: marks a model whose any-size export was declined or failed: it is not tried again
_DECLINED_SUFFIX = ".declined"
_MARKERS = (_SEEN_SUFFIX, _DECLINED_SUFFIX)
#: what a marker is counted as against MAX_BYTES (a file system block)
_MARKER_BYTES = 4096
_PROGRAM = "exported_program"


@dataclass(frozen=True)
class AnySize:
    """How a format exports once for many sizes: ``load()`` gives the graph with its sizes
    symbolic (None when the model does not allow it), ``specialise(loaded, options)`` that
    graph at the options' sizes (raising :class:`NotSpecialised` for sizes it does not
    cover)."""

    load: Callable[[], LoadedModel | None]
    specialise: Callable[[LoadedModel, AnalysisOptions], LoadedModel]


@dataclass(frozen=True)
class Retype:
    """How a format gives the graph of a model built in another dtype: ``sources(options)``
    are the options whose graph can be turned into the options' graph, and
    ``retype(loaded, source, options)`` does it, adding a note that says so (raising
    :class:`NotRetyped` where the two builds may trace differently)."""

    sources: Callable[[AnalysisOptions], tuple[AnalysisOptions, ...]]
    retype: Callable[[LoadedModel, AnalysisOptions, AnalysisOptions], LoadedModel]


def cached_load(path: Path, fmt: str, options: AnalysisOptions,
                load: Callable[[], LoadedModel], any_size: AnySize | None = None,
                retype: Retype | None = None) -> LoadedModel:
    """``load()``'s result, from the cache in ``options.cache_dir`` when an entry matches
    (with ``any_size``, also when an any-size entry covers the options' sizes; with
    ``retype``, also from an entry of the model built in another dtype)."""
    if options.mode == "training":
        return load()  # the backward is traced from the live exported program
    folder = Path(options.cache_dir or "")
    key = entry_key(path, fmt, options)
    entry = folder / f"{key}{_SUFFIX}"
    loaded = _read(entry)
    if loaded is not None:
        os.utime(entry)  # most recently used: evicted last
        note = ("graph reused from the cache (same model, loader options and torch); "
                "--no-cache rebuilds it")
        return replace(loaded, path=path, diagnostics=[*loaded.diagnostics, note])
    seen = folder / f"{entry_key(path, fmt, options, sizes='none')}{_SEEN_SUFFIX}"
    if any_size is not None:
        loaded = _any_size_load(folder, entry_key(path, fmt, options, sizes="any"), False,
                                path, options, any_size)
        if loaded is not None:
            return loaded
    if retype is not None:
        loaded = _retyped_load(folder, path, fmt, options, any_size, retype)
        if loaded is not None:
            _touch(seen)
            return loaded
    if any_size is not None:
        loaded = _any_size_load(folder, entry_key(path, fmt, options, sizes="any"),
                                seen.exists(), path, options, any_size)
        if loaded is not None:
            return loaded
        _touch(seen)
    loaded = load()
    _write(folder, entry, loaded)
    return loaded


def _any_size_load(folder: Path, family: str, seen: bool, path: Path,
                   options: AnalysisOptions, any_size: AnySize) -> LoadedModel | None:
    """The graph at the options' sizes from the family's any-size entry, exported now when
    the model was ``seen`` at another size before; None when a plain export is the way."""
    from trnport.analyzers.graph.specialise import NotSpecialised

    entry = folder / f"{family}{_SUFFIX}"
    general = _read(entry)
    if general is not None:
        os.utime(entry)
        note = ("graph specialised to these sizes from the cached export at any size (same "
                "model, loader options and torch); --no-cache rebuilds it")
    elif seen and not (declined := folder / f"{family}{_DECLINED_SUFFIX}").exists():
        general = any_size.load()
        if general is None:  # not a token-batch model, or its export fixes a size
            _touch(declined)
            return None
        _write(folder, entry, general)
        note = ("exported once with its batch and sequence length symbolic (a size of 1 "
                "stays fixed), as the model was analysed at another size before; later "
                "sizes reuse that export")
    else:
        return None
    try:  # at this path: an entry may come from a copy of the model in another folder
        loaded = any_size.specialise(replace(general, path=path), options)
    except NotSpecialised:
        return None
    return replace(loaded, diagnostics=[*loaded.diagnostics, note])


def _retyped_load(folder: Path, path: Path, fmt: str, options: AnalysisOptions,
                  any_size: AnySize | None, retype: Retype) -> LoadedModel | None:
    """The graph of the model built in the options' dtype, from the cached graph of it
    built in another dtype at these sizes (its exact or any-size entry); None when there is
    none that can be retyped."""
    from trnport.analyzers.graph.retype import NotRetyped

    for source in retype.sources(options):
        loaded = _read(entry := folder / f"{entry_key(path, fmt, source)}{_SUFFIX}")
        if loaded is not None:
            os.utime(entry)
            loaded = replace(loaded, path=path)
        elif any_size is not None:
            loaded = _any_size_load(folder, entry_key(path, fmt, source, sizes="any"), False,
                                    path, source, any_size)
        if loaded is None:
            continue
        try:
            return retype.retype(loaded, source, options)
        except NotRetyped:
            continue
    return None


def entry_key(path: Path, fmt: str, options: AnalysisOptions, sizes: str = "exact") -> str:
    """The entry's name: a digest of the model's content, loader options, versions and the
    loaders' code. ``sizes`` says how the options' batch and length count: ``exact``, ``any``
    (the any-size entry for them) or ``none`` (the model at whatever size)."""
    digest = hashlib.sha256()
    for part in (fmt, _code_digest(), _versions(), *_option_parts(fmt, options, sizes)):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    # which file is the model: a Python file's neighbours are read too, so the same folder
    # gives each of its model files the same content set
    digest.update(b"model\0" + path.name.encode("utf-8", "surrogateescape") + b"\0")
    for content in _content_files(path, fmt):
        digest.update(content.name.encode("utf-8", "surrogateescape"))
        digest.update(_file_digest(content))
    return digest.hexdigest()[:40]


def _option_parts(fmt: str, options: AnalysisOptions, sizes: str = "exact") -> list[str]:
    parts = [options.mode, repr(sorted(options.input_shapes.items())),
             repr(sorted(options.input_dtypes.items())), repr(sorted(options.backend_kernels))]
    if fmt == "hf-config":
        from trnport.analyzers.loaders.hf.loader import BUILD_DTYPES

        # the dtype the model is built in: fp8 analyses the bf16 model, so they share it
        parts.append(BUILD_DTYPES[options.dtype])
        if sizes == "exact":
            parts += [str(options.batch), str(options.seq_len)]
        elif sizes == "any":  # a size of 1 stays fixed in an any-size export
            parts += ["any-size", f"batch {'1' if options.batch == 1 else 'any'}",
                      f"seq_len {'1' if options.seq_len == 1 else 'any'}"]
        else:
            parts.append("any size seen")
    return parts


def _content_files(path: Path, fmt: str) -> list[Path]:
    if fmt == "hf-config":
        return [path / "config.json" if path.is_dir() else path]
    if fmt == "python":
        return sorted({path, *path.parent.glob("*.py")})
    return [path]


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


@cache
def _versions() -> str:
    found = []
    for name in ("torch", "transformers"):
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=none")
    return ",".join(found)


@cache
def _code_digest() -> str:
    """The source of the loaders and the graph IR: what decides the cached graph."""
    import trnport.analyzers

    root = Path(trnport.analyzers.__file__).parent
    digest = hashlib.sha256()
    for source in sorted([*(root / "loaders").rglob("*.py"), *(root / "graph").rglob("*.py"),
                          root / "options.py"]):
        digest.update(str(source.relative_to(root)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _read(entry: Path) -> LoadedModel | None:
    try:
        with entry.open("rb") as handle:
            loaded = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception:  # a torn or foreign entry: drop it and rebuild
        entry.unlink(missing_ok=True)
        return None
    return loaded if isinstance(loaded, LoadedModel) else None


def _write(folder: Path, entry: Path, loaded: LoadedModel) -> None:
    """Store ``loaded`` atomically; a cache that cannot be written is skipped."""
    # the exported program (kept for tracing a backward) is not data: leave it out
    metadata = loaded.graph.metadata
    program = metadata.pop(_PROGRAM, None)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".entry-")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(loaded, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)
        finally:
            Path(temporary).unlink(missing_ok=True)
        _evict(folder)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return
    finally:
        if program is not None:
            metadata[_PROGRAM] = program


def _touch(marker: Path) -> None:
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        return  # a cache that cannot be written is skipped


def _evict(folder: Path, limit: int = MAX_BYTES) -> None:
    entries = []
    for item in (*folder.glob(f"*{_SUFFIX}"), *(m for suffix in _MARKERS
                                                 for m in folder.glob(f"*{suffix}"))):
        try:
            stat = item.stat()
        except OSError:
            continue
        size = _MARKER_BYTES if item.suffix in _MARKERS else stat.st_size
        entries.append((stat.st_mtime, size, item))
    total = sum(size for _, size, _ in entries)
    for _, size, item in sorted(entries):
        if total <= limit:
            break
        item.unlink(missing_ok=True)
        total -= size
