"""Where an ONNX node came from in the user's code, as far as the exporter recorded it.

The torch dynamo exporter (``torch.onnx.export(..., dynamo=True)``) writes these
``metadata_props`` on every node it emits (checked against torch 2.13):

- ``pkg.torch.onnx.name_scopes``: the module path, one cumulative entry per nesting level,
  ending with the FX node's name (``['', 'encoder', 'encoder.layer.0', ..., 'linear_2']``);
- ``pkg.torch.onnx.class_hierarchy``: the module classes along that path, ending with the
  ATen op (``[..., 'torch.nn.modules.linear.Linear', 'aten.linear.default']``);
- ``pkg.torch.onnx.stack_trace``: the Python frames, outermost first;
- ``pkg.torch.onnx.fx_node``: the FX node's text, with ``target=torch.ops.aten...``;
- ``namespace``: ``name: class`` pairs joined by ``/`` (used when name_scopes is missing).

The older TorchScript exporter writes no metadata but scopes node names instead
(``/encoder/layer.0/attention/self/query/MatMul``). Both are read here, with caches keyed
on the raw strings because thousands of nodes repeat the same trace.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from trnport.analyzers.graph import UNKNOWN_LOCATION, SourceLocation

NAME_SCOPES = "pkg.torch.onnx.name_scopes"
CLASS_HIERARCHY = "pkg.torch.onnx.class_hierarchy"
STACK_TRACE = "pkg.torch.onnx.stack_trace"
FX_NODE = "pkg.torch.onnx.fx_node"
NAMESPACE = "namespace"

_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_FX_TARGET = re.compile(r"target=([A-Za-z0-9_.]+)")
# Frames inside the framework itself never name the user's code. Model libraries
# (transformers, torchvision) stay: their files are the model's source.
_FRAMEWORK_FILE = re.compile(
    r"[\\/](?:site|dist)-packages[\\/](?:torch|functorch|onnxscript|onnx)[\\/]"
    r"|[\\/]torch[\\/](?:nn|_[a-z_]+|fx|export|onnx|utils|autograd|ao)[\\/]"
)


def join_scopes(scopes: list[str]) -> str | None:
    """A dotted module path from scope segments, cumulative (``a``, ``a.b``) or not (``a``, ``b``).

    >>> join_scopes(["layer1", "layer1.0", "conv1"])
    'layer1.0.conv1'
    """
    parts: list[str] = []
    for scope in scopes:
        if not scope:
            continue
        if parts and scope.startswith(parts[-1] + "."):
            parts[-1] = scope
        else:
            parts.append(scope)
    return ".".join(parts) or None


def _string_list(text: str) -> list[str]:
    """Parse the repr of a list of strings, fast for the exporter's plain names."""
    if text == "[]":
        return []
    if text.startswith("['") and text.endswith("']") and "\\" not in text and '"' not in text:
        return text[2:-2].split("', '")
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return []
    return [str(item) for item in parsed] if isinstance(parsed, list | tuple) else []


class ProvenanceReader:
    """Turns node metadata and names into ``(SourceLocation, source_op)``, with caches."""

    def __init__(self) -> None:
        self._frames: dict[str, tuple[str | None, int | None]] = {}
        self._modules: dict[str, str | None] = {}
        self._scopes: dict[str, SourceLocation] = {}
        self._scope_paths: dict[str, tuple[str, str]] = {}
        self._locations: dict[tuple[str | None, int | None, str | None], SourceLocation] = {}
        self._ops: dict[str, str | None] = {}

    def from_metadata(self, entries: Any) -> tuple[SourceLocation, str | None]:
        """Location and original torch op from a node's ``metadata_props`` entries.

        Values are read only for the keys used, and parsed once per distinct string:
        they are long, and big graphs have tens of thousands of nodes.
        """
        scopes = trace = fx_node = hierarchy = namespace = None
        for entry in entries:
            key = entry.key
            if key == NAME_SCOPES:
                scopes = entry
            elif key == STACK_TRACE:
                trace = entry
            elif key == CLASS_HIERARCHY:
                hierarchy = entry
            elif key == FX_NODE:
                fx_node = entry
            elif key == NAMESPACE:
                namespace = entry
            if scopes is not None and trace is not None and hierarchy is not None:
                break  # the rest is not needed
        if scopes is not None:
            module = self._module_from_scopes(scopes.value)
        elif namespace is not None:
            module = self._module_from_namespace(namespace.value)
        else:
            module = None
        file, line = self._user_frame(trace.value) if trace is not None else (None, None)
        source_op = self._op_from_hierarchy(hierarchy.value) if hierarchy is not None else None
        if source_op is None and fx_node is not None:
            source_op = _fx_target(fx_node.value)
        return self._location(file, line, module), source_op

    def from_node_name(self, name: str) -> SourceLocation:
        """The module scope of a TorchScript-exporter name like ``/layer1/layer1.0/conv1/Conv``."""
        # the scope is all before the last "/", shared by the nodes of one module
        cut = name.rfind("/")
        if cut <= 0 or name[0] != "/":
            return UNKNOWN_LOCATION
        scope = name[:cut]
        location = self._scopes.get(scope)
        if location is None:
            location = self._scopes[scope] = self._location(
                None, None, self._scope_path(scope)[0] or None)
        return location

    def _scope_path(self, scope: str) -> tuple[str, str]:
        """``(module path, its last part)`` of a scope ``/a/b/c``, as :func:`join_scopes`
        joins ``["a", "b", "c"]``: built from the parent scope's, since a model's scopes
        nest (thousands of layers share ``/layers``), and kept for the scopes below."""
        paths = self._scope_paths
        unseen: list[str] = []
        while scope and scope not in paths:  # up to the nearest scope already joined
            unseen.append(scope)
            scope = scope[:max(scope.rfind("/"), 0)]
        module, last = paths[scope] if scope else ("", "")
        for scope in reversed(unseen):
            segment = scope[scope.rfind("/") + 1:]
            if segment:
                if module and segment.startswith(last + "."):  # a cumulative scope
                    module = module[:len(module) - len(last)] + segment
                else:
                    module = f"{module}.{segment}" if module else segment
                last = segment
            paths[scope] = (module, last)
        return module, last

    def _location(self, file: str | None, line: int | None,
                  module: str | None) -> SourceLocation:
        if file is None and module is None:
            return UNKNOWN_LOCATION
        key = (file, line, module)
        location = self._locations.get(key)
        if location is None:
            location = self._locations[key] = SourceLocation(file=file, line=line, module=module)
        return location

    def _module_from_scopes(self, text: str) -> str | None:
        # The last entry is the FX node itself, not a module; nodes of one module share
        # everything before it, which makes that prefix a good cache key.
        cut = text.rfind("', '")
        prefix = text[:cut] if cut > 0 else text
        if prefix not in self._modules:
            self._modules[prefix] = join_scopes(_string_list(text)[:-1])
        return self._modules[prefix]

    def _module_from_namespace(self, text: str) -> str | None:
        key = "ns:" + text
        if key not in self._modules:
            names = [segment.split(":", 1)[0].strip() for segment in text.split("/")]
            self._modules[key] = join_scopes(names[:-1])
        return self._modules[key]

    def _user_frame(self, trace: str) -> tuple[str | None, int | None]:
        cached = self._frames.get(trace)
        if cached is not None:
            return cached
        frames = _FRAME.findall(trace)
        chosen: tuple[str | None, int | None] = (None, None)
        for file, line in reversed(frames):
            if not _FRAMEWORK_FILE.search(file) and not file.startswith("<"):
                chosen = (file, int(line))
                break
        self._frames[trace] = chosen
        return chosen

    def _op_from_hierarchy(self, hierarchy: str) -> str | None:
        """The ATen op ending a class hierarchy list (``aten.linear.default``), if it is one."""
        if hierarchy not in self._ops:
            names = _string_list(hierarchy)
            last = names[-1] if names else ""
            self._ops[hierarchy] = last if last.startswith(("aten.", "prims.")) else None
        return self._ops[hierarchy]


def _fx_target(fx_node: str) -> str | None:
    """The call target in an FX node's text, e.g. ``higher_order.cond``."""
    match = _FX_TARGET.search(fx_node)
    return match.group(1).removeprefix("torch.ops.") if match else None
