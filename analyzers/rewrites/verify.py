"""Proof that a rewritten ONNX model keeps the outputs: onnx.checker, then onnxruntime on
seeded random inputs, every output compared within a tolerance (absolute and relative)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_TOLERANCE = 1e-5
_SYMBOLIC_DIM = 3


@dataclass(frozen=True)
class Verification:
    ok: bool
    max_abs: float
    max_rel: float
    tolerance: float
    reason: str = ""

    def summary(self) -> str:
        verdict = "outputs equal" if self.ok else f"refused: {self.reason}"
        return (f"{verdict} (max abs error {self.max_abs:.3g}, max rel error "
                f"{self.max_rel:.3g}, tolerance {self.tolerance:g})")


def verify(original: Any, rewritten: Any, tolerance: float = DEFAULT_TOLERANCE, seed: int = 0,
           feeds: dict[str, np.ndarray] | None = None) -> Verification:
    """Check ``rewritten`` and compare its outputs with ``original``'s on random inputs."""
    import onnx

    try:
        onnx.checker.check_model(rewritten)
    except Exception as error:  # checker raises ValidationError and friends
        return Verification(False, 0.0, 0.0, tolerance, f"onnx.checker: {_line(error)}")
    feeds = feeds if feeds is not None else random_inputs(original, seed)
    try:
        expected = _run(original, feeds)
    except Exception as error:
        return Verification(False, 0.0, 0.0, tolerance,
                            f"the original model does not run on random inputs: {_line(error)}")
    try:
        actual = _run(rewritten, feeds)
    except Exception as error:
        return Verification(False, 0.0, 0.0, tolerance,
                            f"the rewritten model does not run: {_line(error)}")
    return compare(expected, actual, tolerance)


def compare(expected: dict[str, np.ndarray], actual: dict[str, np.ndarray],
            tolerance: float) -> Verification:
    max_abs = max_rel = 0.0
    for name, want in expected.items():
        got = actual.get(name)
        if got is None or got.shape != want.shape:
            shape = None if got is None else got.shape
            return Verification(False, max_abs, max_rel, tolerance,
                                f"output '{name}' has shape {shape}, expected {want.shape}")
        if got.dtype != want.dtype:
            return Verification(False, max_abs, max_rel, tolerance,
                                f"output '{name}' is {got.dtype}, expected {want.dtype}")
        a, b = want.astype(np.float64), got.astype(np.float64)
        same_special = (np.isnan(a) & np.isnan(b)) | ((a == b) & np.isinf(a))
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            return Verification(False, max_abs, max_rel, tolerance,
                                f"output '{name}' has NaN where the original has none, "
                                "or the reverse")
        diff = np.where(same_special, 0.0, np.abs(a - b))
        diff = np.nan_to_num(diff, nan=np.inf)
        rel = diff / np.maximum(np.abs(np.nan_to_num(a)), np.finfo(np.float64).tiny)
        if diff.size:
            max_abs = max(max_abs, float(diff.max()))
            max_rel = max(max_rel, float(np.where(diff == 0, 0.0, rel).max()))
            if (diff > tolerance + tolerance * np.abs(np.nan_to_num(a))).any():
                return Verification(False, max_abs, max_rel, tolerance,
                                    f"output '{name}' differs by up to {max_abs:.3g}, "
                                    f"over the tolerance {tolerance:g}")
    return Verification(True, max_abs, max_rel, tolerance)


def random_inputs(model: Any, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded inputs for every graph input that is not an initializer: floats from a
    normal distribution, integers in [0, 8), booleans at random; symbolic dims are 3."""
    from onnx import helper

    rng = np.random.default_rng(seed)
    initializers = {init.name for init in model.graph.initializer}
    feeds = {}
    for info in model.graph.input:
        if info.name in initializers:
            continue
        tensor = info.type.tensor_type
        dtype = helper.tensor_dtype_to_np_dtype(tensor.elem_type)
        shape = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else _SYMBOLIC_DIM
                 for d in tensor.shape.dim]
        if dtype == np.bool_:
            feeds[info.name] = rng.random(shape) < 0.5
        elif np.issubdtype(dtype, np.integer):
            feeds[info.name] = rng.integers(0, 8, size=shape).astype(dtype)
        else:
            feeds[info.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def _run(model: Any, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(model.SerializeToString(), options,
                                           providers=["CPUExecutionProvider"])
    names = [out.name for out in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds), strict=True))


def _line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
