"""RW-reshape-allowzero-off: exporters write Reshape with allowzero=1, which onnx2torch
refuses; with a constant target shape holding no 0 the attribute changes nothing and is
dropped. A 0 in the shape, or a shape computed at run time, is refused with the reason."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper

from tests.analyzers.rewrites.models import const, model, tensor
from trnport.analyzers.rewrites.onnx.engine import apply_rewrites
from trnport.analyzers.rewrites.verify import verify
from trnport.analyzers.rewriting.onnx import reanalyse, rewrite_model

RW = "RW-reshape-allowzero-off"
F = TensorProto.FLOAT


def reshape_model(shape, *, constant=True, allowzero=1, opset=14):
    inputs = [tensor("x", F, [2, 3, 4])]
    initializers = []
    if constant:
        initializers.append(const("shape", np.array(shape, dtype=np.int64)))
    else:
        inputs.append(tensor("shape", TensorProto.INT64, [len(shape)]))
    node = helper.make_node("Reshape", ["x", "shape"], ["y"], name="flat", allowzero=allowzero,
                            doc_string="model.py:12")
    out_shape = [2, 12] if constant else None
    return model([node], inputs, [tensor("y", F, out_shape)], initializers, opset=opset)


def test_allowzero_dropped_outputs_equal_and_provenance_kept():
    original = reshape_model([2, -1])
    result = apply_rewrites(original, [RW])
    assert [a.node for a in result.applied] == ["flat"]
    onnx.checker.check_model(result.model, full_check=True)
    (node,) = result.model.graph.node
    assert node.op_type == "Reshape"
    assert [a.name for a in node.attribute] == []
    assert node.doc_string == "model.py:12"
    proof = verify(original, result.model)
    assert proof.ok and proof.max_abs == 0


def test_zero_in_shape_is_refused_with_reason():
    result = apply_rewrites(reshape_model([2, 0, -1]), [RW])
    assert not result.applied
    (refusal,) = result.refusals
    assert refusal.reason == ("target shape [2, 0, -1] holds a 0, which allowzero=1 makes a "
                              "zero-length dim")


def test_runtime_shape_is_refused_with_reason():
    result = apply_rewrites(reshape_model([2, -1], constant=False), [RW])
    assert not result.applied
    assert result.refusals[0].reason == "target shape 'shape' of Reshape is not a constant"


def test_reshape_without_allowzero_is_left_alone():
    result = apply_rewrites(reshape_model([2, -1], allowzero=0), [RW])
    assert not result.applied


def test_rewrite_clears_the_unsupported_finding(tmp_path):
    path = tmp_path / "flat.onnx"
    onnx.save(reshape_model([2, -1]), path)
    outcome = reanalyse(path, rewrite_model(onnx.load(path), [RW]))
    cleared = {(f.code, f.nodes) for f in outcome.cleared}
    assert ("TRN101", ("flat",)) in cleared, outcome.cleared
