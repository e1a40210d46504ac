"""Each automated rewrite: the op sequence after, checker validity, equal outputs on random
inputs (onnxruntime), and the exact refusal reason for a near miss."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto

from tests.analyzers.rewrites import models
from trnport.analyzers.rewrites.onnx.engine import apply_rewrites
from trnport.analyzers.rewrites.verify import random_inputs, verify


def rewrite(model, rewrite_id):
    result = apply_rewrites(model, [rewrite_id])
    onnx.checker.check_model(result.model)
    return result


def ops(model):
    return [node.op_type for node in model.graph.node]


def assert_proven(original, rewritten, feeds=None):
    proof = verify(original, rewritten, feeds=feeds)
    assert proof.ok, proof.reason
    assert proof.max_abs <= 1e-5


@pytest.mark.parametrize("elem", [TensorProto.INT32, TensorProto.INT64])
def test_integer_topk_runs_in_float_and_keeps_outputs(elem):
    original = models.integer_topk(elem)
    result = rewrite(original, "RW-topk-int-to-float")
    assert ops(result.model) == ["Cast", "TopK", "Cast"]
    assert_proven(original, result.model)


def test_float_topk_is_refused_with_its_reason():
    result = rewrite(models.integer_topk(TensorProto.FLOAT), "RW-topk-int-to-float")
    assert not result.applied
    assert [r.reason for r in result.refusals] == [
        "input 'x' of TopK is float, not an integer tensor"]


@pytest.mark.parametrize("op", ["MatMul"])
def test_integer_matmul_runs_in_float(op):
    original = models.integer_matmul(op=op)
    result = rewrite(original, "RW-int-matmul-to-float")
    assert ops(result.model) == ["Cast", "Cast", "MatMul", "Cast"]
    assert_proven(original, result.model)


def test_float_matmul_is_refused_with_its_reason():
    result = rewrite(models.integer_matmul(TensorProto.FLOAT), "RW-int-matmul-to-float")
    assert [r.reason for r in result.refusals] == [
        "input 'a' of MatMul is float, not an integer tensor"]


@pytest.mark.parametrize("axis", [-1, 0])
def test_one_hot_becomes_compare_with_range(axis):
    original = models.one_hot(axis=axis)
    result = rewrite(original, "RW-one-hot-compare-arange")
    assert "OneHot" not in ops(result.model)
    assert ops(result.model)[-1] == "Where" and "Equal" in ops(result.model)
    assert_proven(original, result.model)
    # negative and out-of-range indices behave as in OneHot
    feeds = {"idx": np.array([[-1, -7, -8, 0, 6], [7, 3, 2, 1, 100]], dtype=np.int64)}
    assert_proven(original, result.model, feeds)


def test_one_hot_with_runtime_depth_is_refused():
    result = rewrite(models.one_hot(depth_is_constant=False), "RW-one-hot-compare-arange")
    assert ops(result.model) == ["OneHot"]
    assert [r.reason for r in result.refusals] == ["depth 'depth' of OneHot is not a constant"]


def test_causal_mask_with_float_min_becomes_finite():
    original = models.causal_softmax()
    result = rewrite(original, "RW-finite-mask-fill")
    assert ops(result.model) == ["Add", "Softmax"]
    mask = {i.name: onnx.numpy_helper.to_array(i) for i in result.model.graph.initializer}
    assert np.isfinite(next(iter(mask.values()))).all()
    assert next(iter(mask.values())).min() == pytest.approx(-1e4)
    assert_proven(original, result.model)


def test_where_fill_feeding_relu_is_refused():
    result = rewrite(models.masked_softmax(through_softmax=False), "RW-finite-mask-fill")
    assert [r.reason for r in result.refusals] == [
        "the masked values feed Relu 'relu' before any Softmax, so the fill value would "
        "change its result"]


def test_fully_masked_rows_fail_verification():
    """-inf on a fully masked row gives NaN; -1e4 gives numbers: the outputs change, so
    the rewrite is refused by the proof even though its check passed."""
    original = models.masked_softmax()
    result = rewrite(original, "RW-finite-mask-fill")
    assert result.applied
    feeds = random_inputs(original)
    feeds["mask"][0, 0, :] = False
    proof = verify(original, result.model, feeds=feeds)
    assert not proof.ok
    assert proof.reason == ("output 'y' has NaN where the original has none, or the reverse")


@pytest.mark.parametrize(("reduce", "keepdims", "after"), [
    ("ReduceSum", 0, ["Where", "ReduceSum", "Identity"]),
    ("ReduceMean", 1, ["Where", "ReduceSum", "Cast", "ReduceSum", "Div", "Reshape"]),
])
def test_masked_gather_reduction_becomes_fixed_shape_where(reduce, keepdims, after):
    original = models.masked_reduce(reduce, keepdims)
    result = rewrite(original, "RW-mask-with-where")
    assert ops(result.model) == after
    assert_proven(original, result.model)


def test_masked_gather_used_elementwise_is_refused():
    result = rewrite(models.masked_reduce(then="Relu"), "RW-mask-with-where")
    assert ops(result.model) == ["NonZero", "Transpose", "GatherND", "Relu"]
    assert [r.reason for r in result.refusals] == [
        "the gathered values feed Relu 'after', not a full ReduceSum/ReduceMean, so their "
        "data-dependent shape is observable"]


def test_rewrite_leaves_the_input_model_unchanged():
    original = models.integer_topk()
    before = original.SerializeToString()
    apply_rewrites(original, ["RW-topk-int-to-float"])
    assert original.SerializeToString() == before


def test_verification_reports_a_changed_output():
    original = models.integer_topk()
    changed = models.integer_topk()
    changed.graph.initializer[0].CopyFrom(
        onnx.numpy_helper.from_array(np.array([2], dtype=np.int64), "k"))
    proof = verify(original, changed)
    assert not proof.ok and "has shape" in proof.reason
