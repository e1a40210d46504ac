"""Read a TorchScript archive (``torch.jit.save``) into a :class:`Graph`; refuse plain pickles.

A ``torch.export`` archive named ``.pt`` never gets here: the format dispatch sends it to the
``.pt2`` reader (:mod:`trnport.analyzers.loaders.torch.archive`), and sends here a ``.pt2`` that
holds a pickle.

``.pt``/``.pth`` files are often not TorchScript but ``torch.save`` pickles: a state dict or
a whole pickled module. Unpickling runs whatever the pickle names, so such files are only
*scanned* (``pickletools``, nothing executed) to say why they cannot be analysed: a pickle that
imports anything beyond the tensor-rebuild machinery is refused as unsafe, a plain state dict
is refused for holding no graph.

TorchScript archives are first held to size and nesting limits (:mod:`.torchscript_limits`:
``torch.jit.load`` trusts its input, and a small hostile archive can exhaust memory or crash
it), then loaded with ``torch.jit.load``, whose C++ unpickler only builds TorchScript types
(it never imports Python modules); the only code it can run is TorchScript itself (a
scripted class's ``__setstate__``), limited to registered ops. It does read every
weight into memory: TorchScript has no shapes-only load.

The graph is inlined and walked; ops keep TorchScript's overload-less names (``aten.conv2d``).
Constants, list construction and attribute reads (``prim::Constant``, ``ListConstruct``,
``GetAttr``...) are bookkeeping: they are folded into attributes and parameter names instead
of becoming nodes, as are shape queries (``aten::size``, ``dim``...) and ops that touch no
tensor (int arithmetic, string formatting). ``prim::If``/``prim::Loop`` stay, with their blocks
as subgraphs. A saved archive keeps no tensor shapes, so values carry only what the graph's
types still say (usually nothing but parameter shapes).
"""

from __future__ import annotations

import itertools
import pickletools
import re
import zipfile
from pathlib import Path
from typing import Any

from trnport.analyzers.errors import InputError, UnsafeInputError
from trnport.analyzers.graph import Graph, Node, Param, SourceLocation, Value
from trnport.analyzers.loaders.base import LoadedModel, first_line, require_nonempty_file
from trnport.analyzers.loaders.torch.torchscript_limits import (
    check_entry_sizes,
    check_torchscript_archive,
)
from trnport.analyzers.options import AnalysisOptions

_NOT_MODEL = "not a TorchScript archive or torch.save file"
#: Globals a weights-only pickle may name: tensor rebuilders, storage classes, dtypes.
_SAFE_TORCH_UTILS = frozenset({
    "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
    "_rebuild_parameter_with_state", "_rebuild_sparse_tensor", "_rebuild_qtensor",
    "_rebuild_meta_tensor_no_storage", "_rebuild_device_tensor_from_cpu_tensor",
})
_SAFE_TORCH_NAMES = frozenset({"Size", "device", "dtype", "float8_e4m3fn", "float8_e5m2"})
_STRING_OPS = frozenset({"SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8",
                         "SHORT_BINSTRING", "BINSTRING", "STRING"})
_KEPT_PRIM = frozenset({"prim::If", "prim::Loop", "prim::PythonOp", "prim::CallFunction",
                        "prim::CallMethod"})
_SHAPE_QUERIES = frozenset({"aten::size", "aten::dim", "aten::numel", "aten::stride",
                            "aten::len", "aten::__is__", "aten::__isnot__"})
_TRACE_FRAME = re.compile(r"^(.+)\((\d+)\): \S+$", re.MULTILINE)
_SCRIPT_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+)', re.MULTILINE)
_HIERARCHY_ITEM = re.compile(r"([^.()]+)\([^()]*\)")


def load(path: Path, options: AnalysisOptions) -> LoadedModel:
    """Load a TorchScript archive; refuse pickles (unsafe, or weights without a graph)."""
    require_nonempty_file(path)
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if zipfile.is_zipfile(path):
        with _open_zip(path) as archive:
            names = archive.namelist()
            if any("/code/" in n or n.startswith("code/") for n in names):
                check_torchscript_archive(path, archive)
            else:
                check_entry_sizes(path, archive)
                pickle_name = next((n for n in names if n.endswith("data.pkl")), None)
                if pickle_name is None:
                    raise InputError(f"{path}: {_NOT_MODEL} (a zip without data.pkl)")
                with archive.open(pickle_name) as stream:
                    try:
                        references = [_global_references(stream)]
                    except Exception as exc:
                        raise InputError(f"{path}: {_NOT_MODEL} (corrupt pickle: "
                                         f"{first_line(exc)})") from exc
                _refuse_pickle(path, references)
    elif magic.startswith(b"PK"):
        raise InputError(f"{path}: zip archive is truncated or corrupt")
    else:
        _refuse_pickle(path, _legacy_pickle_references(path))
    if options.input_shapes:
        raise InputError(f"{path}: --input-shape does not apply to a TorchScript archive: it "
                         "records no input shapes to pin")
    module = _jit_load(path)
    graph = script_graph(module, path.stem)
    return LoadedModel(graph=graph, format="torchscript", path=path)


def script_graph(module: Any, name: str) -> Graph:
    """The :class:`Graph` of a TorchScript module in memory (a saved or a traced one)."""
    return _ScriptConverter(module).convert(name)


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path}: zip archive is truncated or corrupt: {first_line(exc)}") from exc


def _jit_load(path: Path) -> Any:
    import torch

    try:
        module = torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:  # the C++ reader raises RuntimeError for any corruption
        raise InputError(f"{path}: torch.jit.load failed: {first_line(exc)}") from exc
    return module


# ---- pickles: scanned, never loaded ------------------------------------------------------
def _legacy_pickle_references(path: Path) -> list[list[tuple[str, str]]]:
    """Globals of each pickle at the start of a non-zip file, read as a stream.

    Legacy ``torch.save`` writes five small pickles (magic number, protocol, system info, the
    object, storage keys) before the raw tensor bytes; the bytes are never read.
    """
    references = []
    with open(path, "rb") as stream:
        for _ in range(5):
            try:
                references.append(_global_references(stream))
            except Exception as exc:  # not a pickle (any more): stop where the pickles end
                if not references:
                    raise InputError(f"{path}: {_NOT_MODEL} ({first_line(exc)})") from exc
                break
    return references


def _refuse_pickle(path: Path, references: list[list[tuple[str, str]]]) -> None:
    """Raise UnsafeInputError if any pickle imports code, else InputError (no graph)."""
    saw_tensor = False
    for module, name in (ref for pickle_refs in references for ref in pickle_refs):
        if not _is_weights_only_global(module, name):
            raise UnsafeInputError(
                f"{path}: pickle would import {module}.{name}; refusing to unpickle untrusted code"
            )
        saw_tensor = saw_tensor or module.startswith("torch")
    if saw_tensor:
        raise InputError(
            f"{path}: holds only weights (a state_dict), no graph; save the model with "
            "torch.export.save or torch.jit.save"
        )
    raise InputError(f"{path}: holds pickled data, not a model graph; save the model with "
                     "torch.export.save or torch.jit.save")


def _global_references(stream: Any) -> list[tuple[str, str]]:
    """Every (module, name) a pickle would import, from GLOBAL and STACK_GLOBAL opcodes.

    STACK_GLOBAL takes its two names from the stack; they are tracked through the memo. A name
    that cannot be resolved statically is reported as ``?``, which is never allowed.
    """
    found: list[tuple[str, str]] = []
    memo: dict[int, Any] = {}
    recent: list[Any] = []  # values pushed by string and memo-get opcodes, newest last
    for opcode, arg, _pos in pickletools.genops(stream):
        name = opcode.name
        if name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            found.append((module, attr))
        elif name == "STACK_GLOBAL":
            module, attr = (recent[-2], recent[-1]) if len(recent) >= 2 else (None, None)
            found.append((module if isinstance(module, str) else "?",
                          attr if isinstance(attr, str) else "?"))
            recent.clear()
        elif name in _STRING_OPS:
            recent.append(arg if isinstance(arg, str) else bytes(arg).decode("latin-1"))
        elif name in ("BINGET", "LONG_BINGET", "GET"):
            recent.append(memo.get(int(arg)))
        elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
            memo[int(arg)] = recent[-1] if recent else None
        elif name == "MEMOIZE":
            memo[len(memo)] = recent[-1] if recent else None
        elif name not in ("PROTO", "FRAME"):
            recent.append(None)
    return found


def _is_weights_only_global(module: str, name: str) -> bool:
    if module == "collections" and name == "OrderedDict":
        return True
    if module == "torch._utils":
        return name in _SAFE_TORCH_UTILS
    if module == "torch":
        return name.endswith("Storage") or name in _SAFE_TORCH_NAMES or _is_dtype_name(name)
    return False


def _is_dtype_name(name: str) -> bool:
    import torch

    return isinstance(getattr(torch, name, None), torch.dtype)


# ---- TorchScript graph --------------------------------------------------------------------
class _ScriptConverter:
    """Walk an inlined TorchScript graph; values named by debug name, weights by FQN."""

    def __init__(self, module: Any) -> None:
        import os

        import torch

        self.torch = torch
        self.module = module
        self.torch_dir = os.path.dirname(torch.__file__) + os.sep
        self.attr_paths: dict[str, str] = {}  # debug name of a GetAttr result → dotted path
        self.constants: dict[str, Any] = {}  # debug name → Python value
        self.tensor_lists: dict[str, list[str]] = {}  # ListConstruct of tensors → element names
        self._frame_cache: dict[str, tuple[str | None, int | None]] = {}
        self._schema_cache: dict[str, list[str]] = {}
        self._unnamed = itertools.count()

    def convert(self, name: str) -> Graph:
        graph = Graph(name=name)
        for param_name, tensor in self.module.named_parameters():
            self._add_param(graph, param_name, tensor, "parameter")
        for buffer_name, tensor in self.module.named_buffers():
            self._add_param(graph, buffer_name, tensor, "buffer")
        try:
            ts_graph = self.module.graph.copy()
            self.torch._C._jit_pass_inline(ts_graph)
        except Exception as exc:
            raise InputError(f"{name}: cannot inline the TorchScript graph: "
                             f"{first_line(exc)}") from exc
        inputs = list(ts_graph.inputs())
        if inputs:
            self.attr_paths[inputs[0].debugName()] = ""  # ``self``
        for value in inputs[1:]:
            graph.inputs.append(value.debugName())
            self._add_value(graph, value)
        graph.nodes = self._convert_block(ts_graph, graph)
        graph.outputs = [self._ref(v) for v in ts_graph.outputs()]
        graph.metadata["torch_version"] = self.torch.__version__.split("+")[0]
        return graph

    def _add_param(self, graph: Graph, name: str, tensor: Any, kind: str) -> None:
        dtype = str(tensor.dtype).removeprefix("torch.")
        graph.params.append(Param(name, tuple(tensor.shape), dtype, kind))
        graph.values[name] = Value(name, tuple(tensor.shape), dtype)

    def _convert_block(self, block: Any, graph: Graph) -> list[Node]:
        nodes: list[Node] = []
        for ts_node in block.nodes():
            kind = ts_node.kind()
            if kind.startswith("prim::") and kind not in _KEPT_PRIM:
                self._record_bookkeeping(ts_node, kind)
                continue
            if kind in _SHAPE_QUERIES or not self._touches_tensor(ts_node):
                continue  # shape queries and int/str arithmetic
            nodes.append(self._convert_node(ts_node, kind, graph))
        return nodes

    def _record_bookkeeping(self, ts_node: Any, kind: str) -> None:
        if kind == "prim::Constant":
            out = ts_node.output()
            try:
                self.constants[out.debugName()] = self._plain(out.toIValue())
            except Exception:  # functions/modules as constants have no plain value
                self.constants[out.debugName()] = str(out.type())
        elif kind == "prim::GetAttr":
            parent = self.attr_paths.get(ts_node.input().debugName())
            if parent is not None:
                attr = ts_node.s("name")
                self.attr_paths[ts_node.output().debugName()] = f"{parent}.{attr}".lstrip(".")
        elif kind == "prim::ListConstruct":
            items = list(ts_node.inputs())
            names = [v.debugName() for v in items]
            if items and all(n in self.constants for n in names):
                self.constants[ts_node.output().debugName()] = [self.constants[n] for n in names]
            elif any(self._is_tensor(v) for v in items):
                self.tensor_lists[ts_node.output().debugName()] = [self._ref(v) for v in items]

    def _convert_node(self, ts_node: Any, kind: str, graph: Graph) -> Node:
        inputs: list[str] = []
        attributes: dict[str, Any] = {}
        arg_names = _schema_argument_names(ts_node, self._schema_cache)
        for index, value in enumerate(ts_node.inputs()):
            key = arg_names[index] if index < len(arg_names) else f"arg{index}"
            debug_name = value.debugName()
            if debug_name in self.constants:
                attributes[key] = self.constants[debug_name]
            elif debug_name in self.tensor_lists:
                inputs.extend(self.tensor_lists[debug_name])
            else:
                inputs.append(self._ref(value))
        outputs = []
        for value in ts_node.outputs():
            outputs.append(value.debugName())
            self._add_value(graph, value)
        subgraphs = tuple(
            Graph(name=f"{kind}.block{i}", nodes=self._convert_block(block, graph))
            for i, block in enumerate(ts_node.blocks())
        )
        namespace, _, op = kind.partition("::")
        return Node(
            name=outputs[0] if outputs else f"{kind}_{next(self._unnamed)}",
            op=f"{namespace}.{op}",
            inputs=tuple(inputs),
            outputs=tuple(outputs),
            attributes=attributes,
            location=self._location(ts_node),
            subgraphs=subgraphs,
        )

    def _ref(self, value: Any) -> str:
        """Weights are named by their module path (``conv.weight``), everything else by value."""
        return self.attr_paths.get(value.debugName()) or value.debugName()

    def _is_tensor(self, value: Any) -> bool:
        return "Tensor" in str(value.type())

    def _touches_tensor(self, ts_node: Any) -> bool:
        return any(self._is_tensor(v) for v in (*ts_node.inputs(), *ts_node.outputs()))

    def _add_value(self, graph: Graph, value: Any) -> None:
        value_type = value.type()
        if not isinstance(value_type, self.torch._C.TensorType):
            return
        dtype = value_type.dtype()
        try:
            sizes = value_type.sizes()
        except RuntimeError:  # rank unknown
            sizes = None
        name = value.debugName()
        graph.values[name] = Value(
            name,
            tuple(sizes) if sizes is not None else None,
            str(dtype).removeprefix("torch.") if dtype is not None else None,
        )

    def _plain(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (list, tuple)):
            return [self._plain(v) for v in value]
        if isinstance(value, self.torch.dtype):
            return str(value).removeprefix("torch.")
        if isinstance(value, self.torch.Tensor):
            return f"tensor{list(value.shape)}"  # a folded constant: shape only, never data
        return str(value)

    def _location(self, ts_node: Any) -> SourceLocation:
        module = _module_path(ts_node)
        try:
            source = ts_node.sourceRange()
        except Exception:
            source = ""
        file, line = self._user_frame(source) if source else (None, None)
        return SourceLocation(file, line, module)

    def _user_frame(self, source: str) -> tuple[str | None, int | None]:
        """Innermost frame outside torch's sources; traced and scripted ranges differ in form."""
        cached = self._frame_cache.get(source)
        if cached is not None:
            return cached
        own_source = source.split("\nSerialized", 1)[0]  # the rest points into the archive
        frames = _TRACE_FRAME.findall(own_source) or _SCRIPT_FRAME.findall(own_source)
        # traced ranges list frames innermost first; scripted ones hold a single frame
        chosen = next(((f, int(n)) for f, n in frames if not f.startswith(self.torch_dir)), None)
        if chosen is None:
            chosen = (frames[0][0], int(frames[0][1])) if frames else (None, None)
        self._frame_cache[source] = chosen
        return chosen


def _schema_argument_names(ts_node: Any, cache: dict[str, list[str]]) -> list[str]:
    """Argument names from the node's schema (empty for nodes without one)."""
    try:
        schema = ts_node.schema()
    except Exception:
        return []
    if not schema or schema == "(no schema)":
        return []
    names = cache.get(schema)
    if names is None:
        import torch

        try:
            names = [a.name for a in torch._C.parse_schema(schema).arguments]
        except Exception:
            names = []
        cache[schema] = names
    return names


def _module_path(ts_node: Any) -> str | None:
    """``layer1.0.conv1`` from the scope (traced) or the inlined module hierarchy (loaded)."""
    scope = ts_node.scopeName()
    if scope:  # "__module.layer1/__module.layer1.0"
        return scope.rsplit("/", 1)[-1].removeprefix("__module.") or None
    try:
        hierarchy = ts_node.getModuleHierarchy()
    except Exception:
        return None
    parts = [p for p in _HIERARCHY_ITEM.findall(hierarchy)
             if p not in ("SELF", "UNKNOWN_INSTANCE", "TOP")]
    return ".".join(parts) or None
