"""Turn a ``torch.export`` program into the framework-neutral :class:`Graph`.

Shared by every PyTorch loader that goes through ``torch.export`` (``.pt2`` files, Python model
files, Hugging Face configs). It is only imported from inside those loaders, and still
imports torch inside its functions so that importing it costs nothing.

What the converter reads from each FX node's ``meta`` (as torch 2.13 fills it):

- ``val``: a FakeTensor (or a tuple of them for multi-output ops, or a SymInt) giving the
  shape and dtype; tensor data is never read, so programs on the ``meta`` device work.
- ``stack_trace``: the Python frames that created the op, outermost first. The innermost
  frame is usually inside ``torch/nn/modules``; the location is the innermost frame *outside*
  torch and outside installed libraries (``site-packages``: transformers, timm...), i.e. the
  line the user wrote that called into them; the innermost library frame is kept as the
  location's ``library`` detail. A model built from a Hugging Face config has no user frame:
  its module path is the attribution and the transformers line the detail.
- ``nn_module_stack``: ordered outermost to innermost; the last entry's path (``layers.0.mlp``)
  is the module.
- ``from_node``: provenance. After ``run_decompositions`` its first entry is the node of the
  pre-decomposition graph, whose ``target`` is the op the user's code produced
  (``aten.linear.default`` for the ``t`` + ``addmm`` it became); that is ``source_op``.
  (``original_aten`` names the op *after* decomposition in torch 2.13, so it is not used.)

Bookkeeping nodes carry no computation the Neuron compiler sees and are not emitted:
``operator.getitem`` (it only picks one result of a multi-output op; its name becomes one of
that op's outputs), ``aten._assert_tensor_metadata`` / ``aten._assert_scalar`` /
``aten.sym_constrain_range*`` (export-time checks), ``aten.sym_size`` / ``sym_numel`` /
``sym_stride`` / ``sym_storage_offset`` and Python arithmetic on SymInts (shape
computation, folded into the consuming op's attributes as a symbol string), ``aten.alias`` and
``aten.lift_fresh_copy`` (no-op views/copies of a constant; consumers are rewired to the
aliased value).
"""

from __future__ import annotations

import contextlib
import io
import logging
import operator
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from trnport.analyzers.errors import InputError
from trnport.analyzers.graph import Graph, Node, Param, SourceLocation, Value
from trnport.analyzers.graph.ir import UNKNOWN_LOCATION
from trnport.analyzers.loaders.base import first_line
from trnport.analyzers.loaders.torch.guards import (
    DataDependentGuardError,
    guard_site,
    is_data_dependent_guard,
)
from trnport.analyzers.loaders.torch.opaque import decompose_tolerantly, restore_opaque_nodes

if TYPE_CHECKING:
    import torch

_SKIPPED_OPS = frozenset({
    "aten._assert_tensor_metadata.default",
    "aten._assert_scalar.default",
    "aten.sym_constrain_range.default",
    "aten.sym_constrain_range_for_size.default",
    "aten.sym_size.int",
    "aten.sym_size.default",
    "aten.sym_numel.default",
    "aten.sym_stride.int",
    "aten.sym_stride.default",
    "aten.sym_storage_offset.default",
})
_MAX_PROVENANCE_DEPTH = 16
_ALIAS_OPS = frozenset({"aten.alias.default", "aten.lift_fresh_copy.default"})
_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_STRICT_PATH_ITEM = re.compile(r"\[['\"]?([^'\"\]]+)['\"]?\]")


def export_program(
    module: Any,
    args: tuple,
    kwargs: dict | None = None,
    *,
    dynamic_shapes: Any = None,
) -> torch.export.ExportedProgram:
    """``torch.export.export(strict=False)``; any export failure becomes a one-line InputError
    (a :class:`DataDependentGuardError` when a data-dependent guard stopped it)."""
    import torch

    try:
        with warnings.catch_warnings(), _quiet_torch_loggers():
            # torch's own deprecation chatter is not the user's problem; the engine never prints
            warnings.simplefilter("ignore", FutureWarning)
            return torch.export.export(
                module, tuple(args), kwargs or None, dynamic_shapes=dynamic_shapes, strict=False
            )
    except InputError:
        raise
    except Exception as exc:  # export raises many unrelated types for untraceable code
        message = f"torch.export failed: {_export_failure_summary(exc)}"
        if is_data_dependent_guard(exc):
            program = _draft_export(module, args, kwargs, dynamic_shapes)
            if program is not None:
                return program
            raise DataDependentGuardError(message, guard_site(exc)) from exc
        raise InputError(message) from exc


def _draft_export(module: Any, args: tuple, kwargs: dict | None, dynamic_shapes: Any) -> Any:
    """``torch.export.draft_export``: specialises each data-dependent guard to the value
    the example inputs take (what tracing does) and records it in ``program._report``;
    None when that fails too. torch's loggers are quietened: the engine never prints."""
    import torch

    try:
        with warnings.catch_warnings(), _quiet_torch_loggers():
            warnings.simplefilter("ignore")
            return torch.export.draft_export(
                module, tuple(args), kwargs or None, dynamic_shapes=dynamic_shapes, strict=False
            )
    except Exception:  # the original export error is the one worth reporting
        return None


@contextlib.contextmanager
def _quiet_torch_loggers() -> Iterator[None]:
    """Silence the export loggers, and the graph dump a failing export prints to stderr."""
    loggers = [logging.getLogger(name) for name in (
        "torch.export", "torch._export", "torch.fx.experimental.symbolic_shapes",
        "torch._dynamo", "torch.fx.experimental.recording")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _data_dependent_guards(ep: Any) -> list[dict[str, Any]]:
    """The data-dependent guards a draft export specialised: expression, the value taken,
    and the innermost user frame (line and code) that evaluated it."""
    report = getattr(ep, "_report", None)
    guards = []
    for failure in getattr(report, "failures", ()) or ():
        data = failure.data if isinstance(failure.data, dict) else {}
        if "expr" not in data:
            continue
        frames = [f for f in data.get("user_stack") or () if isinstance(f, dict)]
        frame = frames[-1] if frames else {}
        guards.append({"expr": str(data["expr"]), "result": str(data.get("result")),
                       "line": frame.get("line"), "code": frame.get("loc")})
    return guards


def _export_failure_summary(exc: BaseException) -> str:
    """The first line of an export error, plus the first ``- detail`` line that follows it.

    Constraint violations put the useful part on the second line ("Constraints violated
    (seq)!" then "- Not all values of seq ... satisfy the generated guard ...").
    """
    summary = first_line(exc)
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    detail = next((line for line in lines[1:3] if line.startswith("- ")), None)
    return f"{summary} {detail[:300]}" if detail else summary


def graph_from_exported_program(
    ep: Any, name: str, *, decompose: bool = True, backend_kernels: Iterable[str] = ()
) -> Graph:
    """Convert ``ep`` into a :class:`Graph`, first brought to dispatch level when ``decompose``.

    Dispatch level (:mod:`.dispatch_level`) is the op set a Neuron backend receives:
    functionalized ATen with the dispatcher's CompositeImplicitAutograd decompositions, except
    for the ``backend_kernels`` the backend implements itself. Each node keeps the op the
    user's code produced as ``source_op`` and its user-code location. Only ``meta["val"]``
    shapes and dtypes are read, never tensor data.
    """
    import torch

    from trnport.analyzers.loaders.torch.dispatch_level import to_dispatch_level

    guards = _data_dependent_guards(ep)
    opaque: list = []
    if decompose:
        ep, opaque = decompose_tolerantly(
            ep, lambda program: to_dispatch_level(program, backend_kernels),
            lambda exc: InputError(f"bringing {name} to dispatch level failed: "
                                   f"{first_line(exc)}"))
    converter = _Converter(torch)
    graph = converter.convert(ep.graph, name, ep.graph_signature)
    restore_opaque_nodes(graph, opaque)
    graph.metadata.update(
        torch_version=torch.__version__.split("+")[0],
        dynamic_dims=_dynamic_dims(graph),
        range_constraints={
            converter.sym_str(sym): f"[{rng.lower}, {rng.upper}]"
            for sym, rng in ep.range_constraints.items()
        },
    )
    if guards:
        graph.metadata["data_dependent_guards"] = guards
    constants = _small_constant_values(ep)
    if constants:
        graph.metadata["constant_values"] = constants
    # differentiated in training mode (trnport.analyzers.training); analyze() drops it
    graph.metadata["exported_program"] = ep
    return graph


#: lifted tensor constants with at most this many elements keep their values
_KEPT_CONSTANT_VALUES = 16


def _small_constant_values(ep: Any) -> dict[str, list[float]]:
    """The values of small lifted tensor constants (``torch.tensor(finfo.min)`` in a forward):
    the mask and range analyses read them. Meta tensors and larger constants are skipped."""
    found: dict[str, list[float]] = {}
    for target, tensor in (getattr(ep, "constants", None) or {}).items():
        numel = getattr(tensor, "numel", None)
        if numel is None or getattr(tensor, "is_meta", True) or numel() > _KEPT_CONSTANT_VALUES:
            continue
        if tensor.is_complex():
            continue
        try:
            found[target] = [float(v) if tensor.is_floating_point() else int(v)
                             for v in tensor.detach().reshape(-1).tolist()]
        except (RuntimeError, TypeError, ValueError):
            continue
    return found


def tied_weights(module: Any) -> dict[str, str]:
    """Duplicate name → first name of every parameter or buffer ``module`` shares under
    several names (tied embeddings: ``lm_head.weight`` is ``embed_tokens.weight``)."""
    first_name: dict[int, str] = {}
    tied: dict[str, str] = {}
    named = (*module.named_parameters(remove_duplicate=False),
             *module.named_buffers(remove_duplicate=False))
    for name, tensor in named:
        if tensor is None:
            continue
        kept = first_name.setdefault(id(tensor), name)
        if kept != name:
            tied[name] = kept
    return tied


def drop_tied_weights(graph: Graph, tied: dict[str, str]) -> None:
    """Count a tied weight once: ``torch.export`` lists each name of a shared tensor as its
    own parameter, so every duplicate name in ``tied`` is dropped from ``graph.params``."""
    if not tied:
        return
    graph.params = [p for p in graph.params if p.name not in tied]
    graph.metadata.setdefault("tied_parameters", {}).update(tied)


def _dynamic_dims(graph: Graph) -> dict[str, dict[int, str]]:
    """Input name → {axis: symbol} for every symbolic dimension of a user input."""
    dims: dict[str, dict[int, str]] = {}
    for input_name in graph.inputs:
        value = graph.values.get(input_name)
        if value is None or value.shape is None:
            continue
        symbolic = {axis: d for axis, d in enumerate(value.shape) if isinstance(d, str)}
        if symbolic:
            dims[input_name] = symbolic
    return dims


class _Converter:
    """One conversion: caches shared by all nodes (locations, symbol strings, schemas)."""

    def __init__(self, torch: Any) -> None:
        self.torch = torch
        self.torch_dir = os.path.dirname(torch.__file__) + os.sep
        self.op_overload = torch._ops.OpOverload
        self.hop = torch._ops.HigherOrderOperator
        self.fx_node = torch.fx.Node
        self.tensor = torch.Tensor
        self.sym_types = (torch.SymInt, torch.SymFloat, torch.SymBool)
        self.scalar_enums = (torch.dtype, torch.device, torch.layout, torch.memory_format)
        self._sym_cache: dict[Any, str] = {}
        self._location_cache: dict[tuple[str | None, str | None], SourceLocation] = {}
        self._frame_cache: dict[str, tuple[str | None, int | None]] = {}

    # ---- whole graphs -------------------------------------------------------------------
    def convert(self, fx_graph: Any, name: str, signature: Any = None) -> Graph:
        graph = Graph(name=name)
        aliases: dict[str, str] = {}
        kinds = self._placeholder_kinds(signature)
        param_inputs: dict[str, str] = {}
        getitem = operator.getitem
        for fx in fx_graph.nodes:
            kind = fx.op
            if kind == "placeholder":
                self._add_placeholder(graph, fx, kinds.get(fx.name), param_inputs)
            elif kind == "call_function":
                target = fx.target
                if target is getitem:
                    self._add_value(graph, fx.name, fx.meta.get("val"))
                    continue
                op = self.op_name(target)
                if op == "higher_order.with_effects" and len(fx.args) > 1 \
                        and isinstance(fx.args[1], self.op_overload):
                    op = self.op_name(fx.args[1])  # the token only orders the effectful op
                if op in _SKIPPED_OPS:
                    continue
                if op in _ALIAS_OPS:
                    source = fx.args[0] if fx.args else None
                    if isinstance(source, self.fx_node):
                        aliases[fx.name] = aliases.get(source.name, source.name)
                    continue
                if not isinstance(target, (self.op_overload, self.hop)) and self._is_symbolic(fx):
                    continue  # Python arithmetic on SymInts: shape bookkeeping
                graph.nodes.append(self._convert_node(graph, fx, op, aliases, getitem))
            elif kind == "output":
                graph.outputs = self._graph_outputs(fx, signature, aliases)
        if param_inputs:
            graph.metadata["param_inputs"] = param_inputs
        return graph

    def _placeholder_kinds(self, signature: Any) -> dict[str, tuple[str, str]]:
        """Placeholder name → (kind, fully qualified target) from the export signature."""
        if signature is None:
            return {}
        from torch.export.graph_signature import InputKind

        labels = {
            InputKind.USER_INPUT: "input",
            InputKind.PARAMETER: "parameter",
            InputKind.BUFFER: "buffer",
            InputKind.CONSTANT_TENSOR: "constant",
        }
        kinds = {}
        for spec in signature.input_specs:
            arg_name = getattr(spec.arg, "name", None)
            if arg_name is not None:
                kinds[arg_name] = (labels.get(spec.kind, "other"), spec.target or arg_name)
        return kinds

    def _add_placeholder(
        self, graph: Graph, fx: Any, kind: tuple[str, str] | None, param_inputs: dict[str, str]
    ) -> None:
        val = fx.meta.get("val")
        self._add_value(graph, fx.name, val)
        label, target = kind if kind else ("input", fx.name)
        if label == "input":
            graph.inputs.append(fx.name)
        elif label in ("parameter", "buffer", "constant") and isinstance(val, self.tensor):
            shape = tuple(d if type(d) is int else self.dim(d) for d in val.shape)
            graph.params.append(Param(target, shape, self.dtype_name(val.dtype), label))
            param_inputs[fx.name] = target

    def _graph_outputs(self, fx: Any, signature: Any, aliases: dict[str, str]) -> list[str]:
        if signature is not None:
            names = [n for n in signature.user_outputs if isinstance(n, str)]
        else:
            names = [a.name for a in _flatten(fx.args) if isinstance(a, self.fx_node)]
        return [aliases.get(n, n) for n in names]

    # ---- single nodes -------------------------------------------------------------------
    def _convert_node(
        self, graph: Graph, fx: Any, op: str, aliases: dict[str, str], getitem: Any
    ) -> Node:
        inputs: list[str] = []
        attributes: dict[str, Any] = {}
        subgraphs: list[Graph] = []
        arg_names = self._arg_names(fx.target)
        for index, arg in enumerate(fx.args):
            key = arg_names[index] if index < len(arg_names) else f"arg{index}"
            self._take_argument(key, arg, inputs, attributes, aliases, subgraphs, fx)
        for key, arg in fx.kwargs.items():
            self._take_argument(key, arg, inputs, attributes, aliases, subgraphs, fx)

        val = fx.meta.get("val")
        if isinstance(val, (tuple, list)):
            outputs = self._getitem_outputs(fx, getitem)
        else:
            outputs = (fx.name,)
            self._add_value(graph, fx.name, val)
        meta = fx.meta
        return Node(
            name=fx.name,
            op=op,
            inputs=tuple(inputs),
            outputs=outputs,
            attributes=attributes,
            source_op=self._source_op(meta, op),
            location=self.location(meta.get("stack_trace"), meta.get("nn_module_stack")),
            subgraphs=tuple(subgraphs),
            origin=self._origin_name(meta),
        )

    def _take_argument(
        self, key: str, arg: Any, inputs: list[str], attributes: dict[str, Any],
        aliases: dict[str, str], subgraphs: list[Graph], fx: Any,
    ) -> None:
        """Route one argument: tensors become inputs, everything else a plain attribute."""
        if isinstance(arg, self.fx_node):
            if arg.op == "get_attr":
                body = getattr(fx.graph.owning_module, str(arg.target), None)
                if body is not None and hasattr(body, "graph"):
                    subgraphs.append(self.convert(body.graph, str(arg.target)))
                    attributes[key] = str(arg.target)
                    return
            val = arg.meta.get("val")
            if isinstance(val, self.tensor) or isinstance(val, (tuple, list)) or val is None:
                inputs.append(aliases.get(arg.name, arg.name))
            else:
                attributes[key] = self.plain(val)
            return
        if isinstance(arg, (list, tuple)):
            tensors = [a for a in arg if isinstance(a, self.fx_node) and self._is_tensor_node(a)]
            if tensors:
                # a list of tensors (cat, index): inputs; the list itself is not an attribute
                inputs.extend(aliases.get(a.name, a.name) for a in tensors)
                return
        attributes[key] = self.plain(arg)

    def _getitem_outputs(self, fx: Any, getitem: Any) -> tuple[str, ...]:
        """Names of the getitem users in index order; "" for an unused result in between."""
        by_index: dict[int, str] = {}
        for user in fx.users:
            if user.target is getitem and isinstance(user.args[1], int):
                by_index[user.args[1]] = user.name
        if not by_index:
            return ()
        return tuple(by_index.get(i, "") for i in range(max(by_index) + 1))

    def _source_op(self, meta: dict, op: str) -> str | None:
        """The nearest ancestor op that differs from ``op`` along the ``from_node`` chain.

        Walking past same-op ancestors keeps the user's op when an already decomposed
        program (a saved ``.pt2``) is decomposed again.
        """
        origins = meta.get("from_node")
        for _ in range(_MAX_PROVENANCE_DEPTH):
            if not origins:
                return None
            origin = origins[0]
            target = getattr(origin, "target", None)
            if target != op and isinstance(target, str):
                # Python callables ("<built-in function mul>") are shape arithmetic, not ops
                return target if target[:1] != "<" and "." in target else None
            origins = getattr(origin, "from_node", None)
        return None

    @staticmethod
    def _origin_name(meta: dict) -> str | None:
        """The name this node had in the program as exported, before ``run_decompositions``
        (``linear`` for its ``permute`` and ``addmm``); tools that read the saved program
        (Model Explorer) know it by that name."""
        origins = meta.get("from_node")
        name = getattr(origins[0], "name", None) if origins else None
        return name if isinstance(name, str) else None

    def _is_tensor_node(self, node: Any) -> bool:
        val = node.meta.get("val")
        return val is None or isinstance(val, self.tensor)

    def _is_symbolic(self, fx: Any) -> bool:
        val = fx.meta.get("val")
        return isinstance(val, (*self.sym_types, int, float, bool))

    # ---- values, names and plain attributes ---------------------------------------------
    def _add_value(self, graph: Graph, name: str, val: Any) -> None:
        if isinstance(val, self.tensor):
            shape = tuple(d if type(d) is int else self.dim(d) for d in val.shape)
            graph.values[name] = Value(name, shape, self.dtype_name(val.dtype))

    def dim(self, size: Any) -> int | str:
        """A dimension: an int when static (even if typed SymInt), else the symbol string."""
        node = getattr(size, "node", None)
        if node is None:
            return int(size)
        constant = node.maybe_as_int()
        return constant if constant is not None else self.sym_str(node.expr)

    def sym_str(self, expr: Any) -> str:
        """``str`` of a sympy expression or SymInt, cached (sympy printing is slow)."""
        text = self._sym_cache.get(expr)
        if text is None:
            text = str(expr)
            self._sym_cache[expr] = text
        return text

    @staticmethod
    def dtype_name(dtype: Any) -> str:
        return str(dtype).removeprefix("torch.")

    def op_name(self, target: Any) -> str:
        if isinstance(target, self.op_overload):
            return str(target)
        if isinstance(target, self.hop):
            return f"higher_order.{target.name()}"
        module = getattr(target, "__module__", None) or ""
        return f"{module}.{getattr(target, '__name__', str(target))}".lstrip(".")

    @staticmethod
    def _arg_names(target: Any) -> list[str]:
        schema = getattr(target, "_schema", None)
        if schema is None:
            return []
        return [a.name for a in schema.arguments]

    def plain(self, value: Any) -> Any:
        """A Python-native copy of an attribute (dtypes by name, SymInts as strings)."""
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (list, tuple)):
            return [self.plain(v) for v in value]
        if isinstance(value, self.sym_types):
            return self.dim(value) if isinstance(value, self.torch.SymInt) else str(value)
        if isinstance(value, self.torch.dtype):
            return self.dtype_name(value)
        if isinstance(value, self.fx_node):
            val = value.meta.get("val")
            return self.plain(val) if not isinstance(val, self.tensor) else value.name
        if isinstance(value, self.scalar_enums):
            return str(value).removeprefix("torch.")
        return str(value)

    # ---- locations ------------------------------------------------------------------------
    def location(self, stack_trace: str | None, module_stack: dict | None) -> SourceLocation:
        module = _innermost_module(module_stack)
        if not stack_trace and module is None:
            return UNKNOWN_LOCATION
        key = (stack_trace, module)
        cached = self._location_cache.get(key)
        if cached is None:
            file, line, library = self._user_frame(stack_trace) if stack_trace \
                else (None, None, None)
            cached = SourceLocation(file, line, module, library)
            self._location_cache[key] = cached
        return cached

    def _user_frame(self, stack_trace: str) -> tuple[str | None, int | None, str | None]:
        """(file, line, library): the innermost frame in the user's code and the innermost
        frame in an installed library below it, ``package/path.py:line``.

        Frames in torch's own sources are never chosen (the innermost real frame is, when
        there is nothing else); without user code (a model built by transformers from a
        config) file and line are None. Generated code (``<eval_with_key>.5``, the FX retrace
        of a ``torch.cond``) is no file anyone can open, so it is never chosen.
        """
        cached = self._frame_cache.get(stack_trace)
        if cached is not None:
            return cached
        frames = [(f, int(n)) for f, n in _FRAME.findall(stack_trace) if not f.startswith("<")]
        outside = [f for f in frames if not f[0].startswith((self.torch_dir, "torch/"))]
        user = [f for f in outside if library_path(f[0]) is None]
        installed = [f for f in outside if library_path(f[0]) is not None]
        library = f"{library_path(installed[-1][0])}:{installed[-1][1]}" if installed else None
        if user:
            chosen: tuple[str | None, int | None, str | None] = (*user[-1], library)
        elif installed:
            chosen = (None, None, library)
        else:
            file, line = (frames or [(None, None)])[-1]
            chosen = (file, line, None)
        self._frame_cache[stack_trace] = chosen
        return chosen


_LIBRARY_ROOTS = ("site-packages", "dist-packages")


def library_path(file: str) -> str | None:
    """``transformers/models/llama/modeling_llama.py`` for a file of an installed package
    (under ``site-packages`` or ``dist-packages``), None for the user's own files."""
    parts = file.replace("\\", "/").split("/")
    for index in range(len(parts) - 1, -1, -1):
        if parts[index] in _LIBRARY_ROOTS and index + 1 < len(parts):
            return "/".join(parts[index + 1:])
    return None


def _innermost_module(module_stack: dict | None) -> str | None:
    if not module_stack:
        return None
    path = next(reversed(module_stack.values()))[0]
    if not isinstance(path, str) or not path or path.startswith("_empty_nn_module_stack"):
        return None
    if path.startswith("L["):  # strict-mode style: L['self'].layers[0].mlp
        path = _STRICT_PATH_ITEM.sub(r".\1", path.split("]", 1)[1]).lstrip(".")
    return path or None


def _flatten(items: Any) -> list[Any]:
    if isinstance(items, (list, tuple)):
        return [leaf for item in items for leaf in _flatten(item)]
    return [items]


__all__ = ["drop_tied_weights", "export_program", "graph_from_exported_program", "tied_weights"]
