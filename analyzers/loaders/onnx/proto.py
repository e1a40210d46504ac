"""The two parts of the onnx package that reading a model needs — its protobuf classes and
its C++ shape inference — without the cost of ``import onnx``.

``import onnx`` runs the package's ``__init__``, which imports its helpers, NumPy and
ml_dtypes: about 0.7 CPU-seconds, more than the whole analysis of a small model. The loader
needs none of that, so :func:`parts` loads the generated ``onnx_ml_pb2`` module and the
``onnx_cpp2py_export`` extension straight from the installed package, under their own
names. When the package is imported later (a rewrite, a test), Python finds those modules
already loaded and uses them, so there is one set of message classes either way. If the
package is laid out differently (another onnx release), this falls back to ``import onnx``.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

_PROTOS = "onnx.onnx_ml_pb2"
_NATIVE = "onnx.onnx_cpp2py_export"


@cache
def parts() -> SimpleNamespace:
    """``protos`` (the module of ``ModelProto``, ``GraphProto``, ``TensorProto``…) and
    ``native`` (the C++ extension, for ``native.shape_inference.infer_shapes``)."""
    if "onnx" not in sys.modules:
        try:
            return SimpleNamespace(protos=_load_alone(_PROTOS, "onnx_ml_pb2.py"),
                                   native=_load_alone(_NATIVE, "onnx_cpp2py_export*.so"))
        except Exception:  # another layout: take the package as it comes
            sys.modules.pop(_NATIVE, None)
    import onnx

    return SimpleNamespace(protos=sys.modules[_PROTOS], native=onnx.onnx_cpp2py_export)


def _load_alone(name: str, pattern: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec("onnx")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("onnx is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    matches = sorted(root.glob(pattern))
    if not matches:
        raise ImportError(f"onnx has no {pattern}")
    module_spec = importlib.util.spec_from_file_location(name, matches[0])
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {matches[0]}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def model_from_bytes(data: bytes) -> Any:
    """A ``ModelProto`` parsed from ``data``, as ``onnx.load_model_from_string`` does
    (protobuf's DecodeError for bytes it cannot decode or does not consume)."""
    from google.protobuf.message import DecodeError

    model = parts().protos.ModelProto()
    decoded = model.ParseFromString(data)
    if decoded is not None and decoded != len(data):
        raise DecodeError(f"protobuf decoding consumed {decoded} of {len(data)} bytes")
    return model


def graph_from_bytes(data: bytes) -> Any:
    return parts().protos.GraphProto.FromString(data)


def infer_shapes(model: Any, strict_mode: bool = False, data_prop: bool = False) -> Any:
    """``onnx.shape_inference.infer_shapes`` on a ``ModelProto`` or its bytes."""
    data = model if isinstance(model, bytes) else model.SerializeToString()
    inferred = parts().native.shape_inference.infer_shapes(data, False, strict_mode, data_prop)
    return model_from_bytes(inferred)
