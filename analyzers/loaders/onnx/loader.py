"""ONNX models: read the protobuf (never its external data), infer shapes, build the IR.

The file is parsed with ``onnx.load(..., load_external_data=False)``: weights kept in
external files stay on disk, and inline weights are dropped from memory before shape
inference (which only needs their dims and dtype). Bad files become one-line
:class:`InputError`\\ s; a shape-inference failure is only a diagnostic. Plain graphs are
inferred once per distinct node configuration (:mod:`.shared_inference`), others as a whole
(in a forked child while the nodes are converted, :mod:`.forked`). This module never
imports torch.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

from trnport.analyzers.collector import collector_paused
from trnport.analyzers.errors import InputError
from trnport.analyzers.loaders.base import LoadedModel, first_line, require_nonempty_file
from trnport.analyzers.loaders.onnx.absurd_shapes import type_absurd_shapes
from trnport.analyzers.loaders.onnx.external import ExternalDataGuard
from trnport.analyzers.loaders.onnx.forked import ForkedInference, can_fork
from trnport.analyzers.loaders.onnx.graph import GraphConverter
from trnport.analyzers.loaders.onnx.shared_inference import may_share, shared_value_types
from trnport.analyzers.loaders.onnx.types import ONNX_DTYPES, shorten
from trnport.analyzers.options import AnalysisOptions

FORMAT = "onnx"
#: Protobuf cannot parse a message this large; such models must use external data.
MAX_PROTOBUF_BYTES = 2**31 - 1
#: Inline tensors with more elements than this lose their bytes before shape inference;
#: shape-carrying constants (Reshape targets, axes) are integer and far smaller and keep theirs.
KEEP_INLINE_ELEMENTS = 4096
#: Non-integer inline tensors keep their bytes only up to this many elements: the float
#: inputs shape inference reads (Resize scales, Range bounds) hold one number per axis.
KEEP_INLINE_FLOAT_ELEMENTS = 64
#: TensorProto element types that can carry shapes, axes or indices (the integer types)
_INTEGER_TYPES = frozenset(number for number, name in ONNX_DTYPES.items()
                           if name.startswith(("int", "uint")))
#: default-domain ops that start shape data propagation, or hold subgraphs that may
_DATA_SOURCES = frozenset({"Shape", "Size", "Constant", "ConstantOfShape",
                           "If", "Loop", "Scan", "SequenceMap"})
#: IR versions beyond this are taken as garbage decoded from a non-ONNX file.
MAX_IR_VERSION = 64
# Leading bytes of formats people mistake for ONNX, and what to call them.
_MAGIC = (
    (b"PK\x03\x04", "it is a zip archive, e.g. a .pt2 or TorchScript file"),
    (b"\x89PNG", "it is a PNG image"),
    (b"\xff\xd8\xff", "it is a JPEG image"),
    (b"GIF8", "it is a GIF image"),
    (b"%PDF", "it is a PDF document"),
    (b"\x1f\x8b", "it is gzip-compressed"),
    (b"\x7fELF", "it is an executable"),
    (b"\x80\x02", "it is a Python pickle"),
    (b"\x80\x04", "it is a Python pickle"),
    (b"\x80\x05", "it is a Python pickle"),
    (b"\x93NUMPY", "it is a NumPy array file"),
)


def load(path: Path, options: AnalysisOptions) -> LoadedModel:
    """Load the ONNX model at ``path`` into the IR, without reading external data."""
    path = Path(path)
    model, data = _read(path)
    diagnostics: list[str] = []
    try:
        pin_input_shapes(model, options.input_shapes, options.input_dtypes)
        if options.input_shapes or not declares_every_shape(model.graph):
            # the bytes as read stand for the model only while nothing in it was changed
            dropped = _drop_inline_weights(model.graph)
            if options.input_shapes or dropped:
                data = b""
            data_prop = has_shape_data(model)
            converted = None
            if may_share(model, data_prop):
                converted = _convert_sharing(path, model, data or None, data_prop, diagnostics)
            elif can_fork(model):
                converted = _convert_while_inferring(path, model, data or None, data_prop,
                                                     diagnostics)
            if converted is not None:
                data = b""
                inferred, shapes, graph, converter, guard = converted
            else:
                inferred = infer_shapes(model, diagnostics, data or None, data_prop)
                shapes = "declared" if inferred is model else "inferred"
                graph = None
        else:
            inferred, shapes, graph = model, "declared", None
        data = b""
        if graph is None:
            guard = ExternalDataGuard(path)
            converter = GraphConverter(guard)
            with collector_paused():
                graph = converter.convert(inferred.graph, default_name=path.stem)
    except InputError as error:
        raise type(error)(f"{path}: {error}") from error
    type_absurd_shapes(inferred.graph, graph)
    graph.metadata.update(model_metadata(inferred, graph.inputs))
    graph.metadata["shapes"] = shapes
    diagnostics += converter.notes + guard.diagnostics()
    if len(inferred.functions):
        names = sorted(f"{f.domain}::{f.name}" for f in inferred.functions)
        diagnostics.append(f"model defines {len(names)} local function(s) whose bodies are "
                           f"not expanded: {', '.join(shorten(n, 60) for n in names[:5])}")
    return LoadedModel(graph=graph, format=FORMAT, path=path, diagnostics=diagnostics)


def _convert_sharing(path: Path, model: Any, data: bytes | None, data_prop: bool,
                     diagnostics: list[str]) -> tuple[Any, str, Any, Any, Any] | None:
    """:func:`_convert_while_inferring`'s answer with the types from
    :mod:`.shared_inference`, which infers each distinct node configuration once, after the
    nodes are converted; when it refuses the graph, the whole-graph inference runs then. None
    when conversion fails (the sequential path then raises its own error)."""
    guard = ExternalDataGuard(path)
    converter = GraphConverter(guard)
    try:
        with collector_paused():
            deferred = converter.convert_untyped(model.graph, default_name=path.stem)
    except InputError:
        return None
    if converter.subgraphs:
        return None
    shared = shared_value_types(model, deferred.graph.nodes, deferred.graph.params,
                                converter.readable_initializers, converter.op_keys, data_prop)
    with collector_paused():
        if shared is not None:
            graph = converter.attach_shared_types(deferred, shared)
            return model, "inferred", graph, converter, guard
        inferred = infer_shapes(model, diagnostics, data, data_prop)
        graph = converter.attach_types(deferred, inferred.graph)
    return model, "declared" if inferred is model else "inferred", graph, converter, guard


def _convert_while_inferring(path: Path, model: Any, data: bytes | None, data_prop: bool,
                             diagnostics: list[str]) -> tuple[Any, str, Any, Any, Any]:
    """``(inferred model, shapes, graph, converter, guard)`` as the sequential path gives
    them, with shape inference in a forked child while the nodes are converted here.

    A graph with subgraphs, or one that fails to convert, is converted again from the whole
    inferred model, so that subgraph types and error messages are exactly the sequential ones.
    """
    job = ForkedInference(model, data, functools.partial(infer_shapes, data_prop=data_prop))
    try:
        guard = ExternalDataGuard(path)
        converter = GraphConverter(guard)
        try:
            with collector_paused():
                deferred = converter.convert_untyped(model.graph, default_name=path.stem)
                if not converter.subgraphs:
                    typed, inferred = job.typed_graph(diagnostics)
                    graph = converter.attach_types(deferred, typed)
                    return model, "inferred" if inferred else "declared", graph, converter, guard
        except InputError:
            pass
        full = job.full_model(diagnostics)
        guard = ExternalDataGuard(path)
        converter = GraphConverter(guard)
        with collector_paused():
            graph = converter.convert(full.graph, default_name=path.stem)
        return full, "declared" if full is model else "inferred", graph, converter, guard
    finally:
        job.close()


def read_model(path: Path) -> Any:
    """The parsed ``ModelProto`` of ``path``, or an InputError saying why it is not one."""
    return _read(path)[0]


def _read(path: Path) -> tuple[Any, bytes]:
    """:func:`read_model`, plus the file's bytes (parsed exactly as ``onnx.load`` does)."""
    from trnport.analyzers.loaders.onnx.proto import model_from_bytes

    require_nonempty_file(path)
    size = path.stat().st_size
    if size > MAX_PROTOBUF_BYTES:
        raise InputError(f"{path}: not a valid ONNX model ({size} bytes is over the 2 GiB "
                         "protobuf limit; large models keep their weights in external data)")
    with open(path, "rb") as handle:
        head = handle.read(8)
        for magic, what in _MAGIC:
            if head.startswith(magic):
                raise InputError(f"{path}: not a valid ONNX model ({what})")
        try:
            data = head + handle.read()
        except OSError as exc:
            raise InputError(f"{path}: not a valid ONNX model ({first_line(exc)})") from exc
    try:
        model = model_from_bytes(data)
    except Exception as exc:  # protobuf's DecodeError, onnx's own errors
        reason = "corrupt or truncated protobuf data" if type(exc).__name__ == "DecodeError" \
            else first_line(exc)
        raise InputError(f"{path}: not a valid ONNX model ({reason})") from exc
    reason = _envelope_problem(model)
    if reason:
        raise InputError(f"{path}: not a valid ONNX model ({reason})")
    return model, data


def _envelope_problem(model: Any) -> str | None:
    """Why a decoded message is not a usable ModelProto (protobuf decodes much garbage)."""
    if not 0 < model.ir_version <= MAX_IR_VERSION:
        return f"ir_version {model.ir_version} is missing or out of range"
    if not model.HasField("graph"):
        return "it has no graph"
    if model.ir_version >= 3 and not len(model.opset_import):
        return "it declares no opset"
    if not len(model.graph.node):
        return "its graph is empty"
    return None


def pin_input_shapes(model: Any, shapes: dict[str, tuple[int, ...]],
                     dtypes: dict[str, str] | None = None) -> None:
    """Replace symbolic dims of the named graph inputs by the sizes the user gave, and
    their element types by the dtypes given with them (shape inference then follows)."""
    if not shapes:
        return
    _pin_input_dtypes(model, dtypes or {})
    by_name = {info.name: info for info in model.graph.input}
    for name, sizes in shapes.items():
        info = by_name.get(name)
        if info is None or not info.type.HasField("tensor_type"):
            known = ", ".join(shorten(i.name, 40) for i in model.graph.input)
            raise InputError(f"no tensor input named '{shorten(name)}' (inputs: {known})")
        dims = info.type.tensor_type.shape.dim
        if not all(isinstance(size, int) and size >= 0 for size in sizes):
            raise InputError(f"pinned shape {list(sizes)} of input '{shorten(name)}' must "
                             "hold whole numbers")
        if len(dims) != len(sizes):
            raise InputError(f"input '{shorten(name)}' has rank {len(dims)}, but the pinned "
                             f"shape {list(sizes)} has rank {len(sizes)}")
        for axis, (dim, size) in enumerate(zip(dims, sizes, strict=True)):
            if dim.HasField("dim_value") and dim.dim_value != size:
                raise InputError(f"input '{shorten(name)}' has static size {dim.dim_value} "
                                 f"on axis {axis}, but the pinned shape asks for {size}")
            dim.dim_value = size


def _pin_input_dtypes(model: Any, dtypes: dict[str, str]) -> None:
    numbers = {name: number for number, name in ONNX_DTYPES.items()}
    by_name = {info.name: info for info in model.graph.input}
    for name, dtype in dtypes.items():
        info = by_name.get(name)
        if info is None or not info.type.HasField("tensor_type"):
            continue  # pin_input_shapes names the missing input
        if dtype not in numbers:
            raise InputError(f"unknown dtype '{shorten(dtype)}' for input '{shorten(name)}'")
        info.type.tensor_type.elem_type = numbers[dtype]


def declares_every_shape(graph: Any) -> bool:
    """True when the file already gives a shaped tensor type for every node output.

    The torch dynamo exporter writes such files; inferring again would only repeat what
    torch computed (and is most of the loading time of a big model). Graphs with
    subgraphs are always inferred, since their bodies are not looked at here.
    """
    shaped = {info.name for info in graph.value_info if info.type.tensor_type.HasField("shape")}
    shaped.update(info.name for info in graph.output
                  if info.type.tensor_type.HasField("shape"))
    shaped.add("")
    for node in graph.node:
        if not shaped.issuperset(node.output):
            return False
        for attribute in node.attribute:
            if attribute.type in (5, 10):  # GRAPH, GRAPHS
                return False
    return True


def infer_shapes(model: Any, diagnostics: list[str], data: bytes | None = None,
                 data_prop: bool | None = None) -> Any:
    """``model`` with inferred value shapes, or ``model`` itself (and a note) on failure.

    The caller has dropped ``model``'s big inline weights (:func:`_drop_inline_weights`).
    ``data`` is ``model`` exactly as serialized, when the caller has it (it saves serializing
    the model again); ``data_prop`` is :func:`has_shape_data` of it, when already known.
    """
    from trnport.analyzers.loaders.onnx.proto import infer_shapes as infer

    if data_prop is None:
        data_prop = has_shape_data(model)
    try:
        return infer(model if data is None else data, strict_mode=False, data_prop=data_prop)
    except Exception as exc:  # InferenceError, ValueError, RuntimeError from the C++ side
        diagnostics.append(f"shape inference failed ({first_line(exc)}); only the shapes "
                           "declared in the file are known")
        return model


def has_shape_data(model: Any) -> bool:
    """True when shape inference's data propagation could find anything to propagate.

    It carries integer data (a Reshape target built by Shape → Gather → Concat) from the
    only places data starts: Shape and Size outputs, Constant nodes, and integer
    initializers of rank 0 or 1 (onnx ``DataPropagationContextImpl::getInputData``). A
    graph with none of them gets the same shapes without it, and a 100k-node chain of
    float ops spends a quarter of its inference time in it. Subgraph bodies, sparse
    initializers, model-local functions and ops outside the default domain (which may
    carry subgraphs) are not looked into, so any of them keeps propagation on.
    """
    graph = model.graph
    if len(model.functions) or len(graph.sparse_initializer):
        return True
    for tensor in graph.initializer:
        if len(tensor.dims) <= 1 and tensor.data_type in _INTEGER_TYPES:
            return True
    ops = {(node.domain, node.op_type) for node in graph.node}
    return any(op in _DATA_SOURCES or domain not in ("", "ai.onnx") for domain, op in ops)


#: the fields of a TensorProto that hold its elements
_DATA_FIELDS = ("float_data", "int32_data", "int64_data", "double_data", "uint64_data",
                "string_data", "raw_data")


def _drop_inline_weights(graph: Any) -> int:
    """Clear the bytes of big inline initializers: only dims and dtype are used after this,
    and shape inference would otherwise copy every weight twice. Returns how many."""
    dropped = 0
    for tensor in graph.initializer:
        if tensor.data_location == 1:  # external: nothing inline
            continue
        count = math.prod(tensor.dims)
        if count > KEEP_INLINE_ELEMENTS or (
                count > KEEP_INLINE_FLOAT_ELEMENTS and tensor.data_type not in _INTEGER_TYPES):
            # onnx.proto: a tensor with raw_data leaves the typed fields empty, so the usual
            # layout has one field to clear (seven ClearField calls cost 3 µs a tensor)
            if tensor.HasField("raw_data"):
                tensor.ClearField("raw_data")
            else:
                for field in _DATA_FIELDS:
                    tensor.ClearField(field)
            dropped += 1
    return dropped


def model_metadata(model: Any, inputs: list[str]) -> dict[str, Any]:
    """Facts about the model that analyses read from ``Graph.metadata``; ``inputs`` are its
    graph inputs that are not initializers (the IR graph's ``inputs``)."""
    opset: dict[str, int] = {}
    for entry in model.opset_import:
        domain = "" if entry.domain == "ai.onnx" else entry.domain
        opset[domain] = entry.version
    return {
        "opset": opset,
        "default_opset": opset.get(""),
        "ir_version": model.ir_version,
        "producer_name": model.producer_name,
        "producer_version": model.producer_version,
        "model_inputs": list(inputs),
        # free-form key/values, e.g. the torch exporter's symbolic-dim ranges under
        # "pkg.torch.export.ExportedProgram.range_constraints"; cut to keep reports small
        "model_metadata": {p.key: shorten(p.value, 500) for p in model.metadata_props},
        "graph_metadata": {p.key: shorten(p.value, 500) for p in model.graph.metadata_props},
    }
