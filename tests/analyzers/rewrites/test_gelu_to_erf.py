"""RW-gelu-to-erf: the opset-20 Gelu that torch.onnx (dynamo) writes for nn.GELU, which
onnx2torch cannot convert and no older opset has, becomes the formula the ONNX spec defines
it by; both approximations, outputs equal within float rounding, the model valid."""

from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto, helper

from tests.analyzers.rewrites.models import model, tensor
from trnport.analyzers.rewrites.onnx.engine import apply_rewrites
from trnport.analyzers.rewrites.verify import verify

RW = "RW-gelu-to-erf"
F = TensorProto.FLOAT


def gelu_model(approximate="none", elem=F):
    node = helper.make_node("Gelu", ["x"], ["y"], name="act", approximate=approximate,
                            doc_string="model.py:7")
    return model([node], [tensor("x", elem, [4, 8])], [tensor("y", elem, [4, 8])], opset=20)


@pytest.mark.parametrize(("approximate", "ops"), [
    ("none", ["Div", "Erf", "Add", "Mul", "Mul"]),
    ("tanh", ["Mul", "Mul", "Mul", "Add", "Mul", "Tanh", "Add", "Mul", "Mul"]),
])
def test_gelu_becomes_its_formula_with_equal_outputs(approximate, ops):
    original = gelu_model(approximate)
    result = apply_rewrites(original, [RW])
    assert [a.node for a in result.applied] == ["act"]
    onnx.checker.check_model(result.model, full_check=True)
    assert [n.op_type for n in result.model.graph.node] == ops
    assert result.model.graph.node[-1].output[0] == "y"
    assert {n.doc_string for n in result.model.graph.node} == {"model.py:7"}
    proof = verify(original, result.model)
    assert proof.ok, proof.summary()


def test_gelu_on_an_unknown_element_type_is_refused_with_the_reason():
    unknown = gelu_model()
    unknown.graph.input[0].type.tensor_type.elem_type = TensorProto.UNDEFINED  # x untyped
    result = apply_rewrites(unknown, [RW])
    assert not result.applied
    assert result.refusals[0].reason == ("the element type of input 'x' of Gelu is not "
                                         "float16, float32 or float64")
