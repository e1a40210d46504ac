"""Run a Python model file (only with ``--trust-code``) and export what it defines.

The file must define ``model`` (an ``nn.Module``, or a zero-argument callable returning one)
and ``example_inputs`` (a tuple of forward arguments, a zero-argument callable returning one,
or a list of such tuples: several input shapes, recorded for the recompilation analysis).
The program is exported with the first tuple (and the file's optional ``dynamic_shapes``,
as ``torch.export`` takes it); node locations point into the file because ``runpy`` runs it
under its real path.
"""

from __future__ import annotations

import inspect
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

from trnport.analyzers.errors import InputError, TrustRequiredError
from trnport.analyzers.loaders.base import LoadedModel, first_line, require_nonempty_file
from trnport.analyzers.loaders.torch.guards import DataDependentGuardError
from trnport.analyzers.loaders.torch.pins import check_pinned_inputs
from trnport.analyzers.options import AnalysisOptions

RUN_NAME = "__trnport_model__"


def load(path: Path, options: AnalysisOptions) -> LoadedModel:
    """Execute ``path`` (trusted), take ``model`` and ``example_inputs``, export and convert."""
    if not options.trust_code:
        raise TrustRequiredError(
            f"{path}: running a Python model file executes its code; pass --trust-code to "
            "allow it"
        )
    require_nonempty_file(path)
    path = path.resolve()
    from trnport.analyzers.loaders.torch.fx_graph import (
        drop_tied_weights,
        export_program,
        graph_from_exported_program,
        tied_weights,
    )

    with _file_folder_importable(path):
        namespace = _run_file(path)
        model = _model_from(path, namespace)
        input_sets = _example_inputs_from(path, namespace)
        if options.mode == "training":
            model.train()
        else:
            model.eval()
        try:
            program = export_program(model, input_sets[0],
                                     dynamic_shapes=namespace.get("dynamic_shapes"))
        except DataDependentGuardError as exc:
            program, graph = None, _graph_past_guard(path, model, input_sets[0], exc)
        except InputError as exc:
            raise InputError(f"{_where_raised(path, exc.__cause__ or exc)}: {exc}") from exc
    if program is not None:
        try:
            graph = graph_from_exported_program(program, path.stem,
                                                backend_kernels=options.backend_kernels)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from exc
    drop_tied_weights(graph, tied_weights(model))
    graph.metadata["input_shape_sets"] = [_shapes(inputs) for inputs in input_sets]
    graph.metadata["source_file"] = str(path)
    check_pinned_inputs(graph, options.input_shapes, options.input_dtypes)
    return LoadedModel(graph=graph, format="python", path=path)


def _graph_past_guard(path: Path, model: Any, inputs: tuple, error: Any) -> Any:
    """The graph ``torch.jit.trace`` records when export stopped at a data-dependent guard
    (an empty graph when tracing fails too); the guard and what it left out are recorded in
    its metadata for the export-guard rule and the summary."""
    from trnport.analyzers.graph import Graph
    from trnport.analyzers.loaders.torch.guards import guard_site, traced_graph

    site = guard_site(error.__cause__, prefer_file=str(path)) if error.__cause__ else error.site
    trace_error = None
    try:
        graph = traced_graph(model, inputs, path.stem)
    except InputError as exc:
        graph, trace_error = Graph(name=path.stem), str(exc)
    graph.metadata["export_guard"] = {
        "expression": site.expression, "file": site.file, "line": site.line, "code": site.code,
        "captured_by": None if trace_error else "torch.jit.trace", "trace_error": trace_error,
    }
    gap = (f"the whole model: torch.export stopped at the data-dependent guard at "
           f"{site.where}, and {trace_error}" if trace_error else
           f"control flow past the data-dependent guard at {site.where}: the ops are those "
           "torch.jit.trace recorded for the example inputs")
    graph.metadata.setdefault("not_analysed", []).append(gap)
    return graph


class _file_folder_importable:
    """The file's folder on ``sys.path`` while it runs and exports; its modules dropped after.

    Helper modules imported from that folder are removed from ``sys.modules`` again so a
    second model file with a same-named helper gets its own, not a stale one.
    """

    def __init__(self, path: Path) -> None:
        self.folder = str(path.parent)

    def __enter__(self) -> None:
        self.modules_before = set(sys.modules)
        sys.path.insert(0, self.folder)

    def __exit__(self, *_exc: object) -> None:
        try:
            sys.path.remove(self.folder)
        except ValueError:
            pass
        for name in set(sys.modules) - self.modules_before:
            module_file = getattr(sys.modules.get(name), "__file__", None) or ""
            if module_file.startswith(self.folder):
                sys.modules.pop(name, None)


def _run_file(path: Path) -> dict[str, Any]:
    try:
        return runpy.run_path(str(path), run_name=RUN_NAME)
    except SyntaxError as exc:
        where = f"{path}:{exc.lineno}" if exc.lineno else str(path)
        raise InputError(f"{where}: syntax error: {exc.msg}") from exc
    except (Exception, SystemExit) as exc:  # the user's code may raise anything, even exit()
        raise InputError(f"{_where_raised(path, exc)}: running the file raised "
                         f"{type(exc).__name__}: {first_line(exc)}") from exc


def _where_raised(path: Path, exc: BaseException) -> str:
    """``file:line`` of the deepest frame of ``exc``'s traceback that is in the model file."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == str(path):
            line = frame.lineno
    return f"{path}:{line}" if line else str(path)


def _model_from(path: Path, namespace: dict[str, Any]) -> Any:
    import torch

    if "model" not in namespace:
        raise InputError(f"{path}: defines no `model` (an nn.Module or a function returning one)")
    model = _call_if_factory(path, "model", namespace["model"], torch.nn.Module)
    if not isinstance(model, torch.nn.Module):
        raise InputError(f"{path}: `model` must be a torch.nn.Module (or a zero-argument "
                         f"function returning one), not {type(model).__name__}")
    return model


def _example_inputs_from(path: Path, namespace: dict[str, Any]) -> list[tuple]:
    if "example_inputs" not in namespace:
        raise InputError(f"{path}: defines no `example_inputs` (a tuple of forward arguments)")
    inputs = _call_if_factory(path, "example_inputs", namespace["example_inputs"], (tuple, list))
    input_sets = inputs if isinstance(inputs, list) else [inputs]
    if not input_sets or not all(isinstance(item, tuple) for item in input_sets):
        hint = " (wrap a single tensor as `(x,)`)" if _is_tensor(inputs) else ""
        raise InputError(f"{path}: `example_inputs` must be a tuple or a non-empty list of "
                         f"tuples, not {_describe(inputs)}{hint}")
    return input_sets


def _call_if_factory(path: Path, label: str, value: Any, wanted: type | tuple) -> Any:
    """``value`` itself, or what it returns when it is a zero-argument factory."""
    if isinstance(value, wanted) or not callable(value):
        return value
    if _required_parameters(value):
        raise InputError(f"{path}: `{label}` must be a value or a function taking no arguments; "
                         f"it requires {', '.join(_required_parameters(value))}")
    try:
        return value()
    except Exception as exc:
        raise InputError(f"{_where_raised(path, exc)}: calling `{label}` raised "
                         f"{type(exc).__name__}: {first_line(exc)}") from exc


def _required_parameters(function: Any) -> list[str]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # builtins without a signature: just try calling them
        return []
    return [
        p.name for p in signature.parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                               p.KEYWORD_ONLY)
    ]


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _describe(value: Any) -> str:
    if isinstance(value, list):
        kinds = sorted({type(v).__name__ for v in value})
        return f"a list of {', '.join(kinds)}" if kinds else "an empty list"
    return type(value).__name__


def _shapes(inputs: tuple) -> list[list[int] | None]:
    """The shape of each tensor argument (None for non-tensor arguments)."""
    return [list(item.shape) if _is_tensor(item) else None for item in inputs]
