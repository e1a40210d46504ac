"""Reading an ONNX model needs neither ``import onnx`` (NumPy, ml_dtypes) nor NumPy: the
protobuf classes and the C++ shape inference are loaded alone, and small attribute tensors
are read with ``struct`` — with the same values as onnx's own ``numpy_helper``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.helpers import SAMPLES
from trnport.analyzers.loaders.onnx.attributes import _float32, _small_values, plain_values

ARRAYS = [
    np.array([1e-5, -65504.0, 0.1, 3.4e38], dtype=np.float32),
    np.array([[1, 2], [3, 4]], dtype=np.int64),
    np.array([-128, 0, 127], dtype=np.int8),
    np.array([0, 255], dtype=np.uint8),
    np.array([-3, 40000 - 65536], dtype=np.int16),
    np.array([7, 65535], dtype=np.uint16),
    np.array([2**31 - 1, -(2**31)], dtype=np.int32),
    np.array([2**32 - 1], dtype=np.uint32),
    np.array([2**64 - 1], dtype=np.uint64),
    np.array([True, False, True], dtype=np.bool_),
    np.array([0.5, -2.0, 65504.0], dtype=np.float16),
    np.array([0.1, 1e300], dtype=np.float64),
    np.array(3.0, dtype=np.float32),
]


def _numpy_values(tensor):
    return [_float32(v) if tensor.data_type == TensorProto.FLOAT else v
            for v in numpy_helper.to_array(tensor).reshape(-1).tolist()]


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_raw_data_reads_as_numpy_helper_reads_it(array):
    tensor = numpy_helper.from_array(array, "t")
    assert tensor.raw_data
    assert plain_values(tensor) == _numpy_values(tensor)


@pytest.mark.parametrize(("data_type", "values"), [
    (TensorProto.FLOAT, [1e-5, 2.5]), (TensorProto.INT64, [-1, 2**40]),
    (TensorProto.INT32, [5, -6]), (TensorProto.BOOL, [True, False]),
    (TensorProto.DOUBLE, [0.1, -2.0]), (TensorProto.UINT64, [2**63]),
    (TensorProto.INT8, [-5, 7]), (TensorProto.FLOAT16, [0.5, -1.5]),
])
def test_typed_fields_read_as_numpy_helper_reads_them(data_type, values):
    tensor = helper.make_tensor("t", data_type, [len(values)], values)
    assert not tensor.raw_data
    assert plain_values(tensor) == _numpy_values(tensor)


def test_bfloat16_and_inconsistent_tensors():
    bf16 = helper.make_tensor("b", TensorProto.BFLOAT16, [3], [1.0, -2.5, 0.1])
    assert plain_values(bf16) == [1.0, -2.5, pytest.approx(0.1, rel=1e-2)]
    short = TensorProto(name="s", data_type=TensorProto.FLOAT, dims=[4],
                        raw_data=np.zeros(3, np.float32).tobytes())
    assert _small_values(short) is None


def test_float32_shortest_decimal_and_edges():
    assert _float32(1e-5) == 1e-05 and _float32(0.1) == 0.1
    assert _float32(1e39) == float("inf") and _float32(-1e39) == float("-inf")
    assert _float32(float("nan")) != _float32(float("nan"))


def test_an_onnx_check_imports_neither_onnx_nor_numpy(tmp_path):
    # a model the converter takes as it is
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["h"], name="/fc/MatMul"),
         helper.make_node("Relu", ["h"], ["y"], name="/act/Relu")], "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        initializer=[numpy_helper.from_array(np.ones((8, 4), np.float32), "w")])
    path = tmp_path / "mlp.onnx"
    path.write_bytes(helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    nodes, heavy = _analysed_in_a_fresh_process(path, "report.model.nodes")
    assert nodes == 2
    assert heavy == [], heavy


def test_planning_a_converter_fix_does_not_import_onnx_either():
    # tiny_cnn has converter errors: its report plans an opset downgrade from onnx's schemas
    planned, heavy = _analysed_in_a_fresh_process(SAMPLES / "tiny_cnn.onnx",
                                                  "report.summary.converter_fix is not None")
    assert planned
    assert heavy == [], heavy


def _analysed_in_a_fresh_process(path, expression: str) -> tuple:
    """``expression`` of the report of ``path``, and which heavy modules analysing it
    imported, from a fresh interpreter."""
    probe = ("import json, sys\n"
             "from trnport.analyzers.api import analyze\n"
             f"report = analyze({str(path)!r})\n"
             f"print(json.dumps([{expression}, sorted(m for m in ('onnx', 'numpy', "
             "'ml_dtypes', 'torch') if m in sys.modules)]))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return tuple(json.loads(result.stdout.strip().splitlines()[-1]))
