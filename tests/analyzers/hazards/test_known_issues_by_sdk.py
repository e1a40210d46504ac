"""TRN502: a model that hits a documented, later-fixed Neuron bug gets the finding on the
affected SDK lines, naming the fixing release, and not on the fixed line or later ones."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.helpers import assert_one_line_error, run_cli
from trnport.analyzers.api import analyze
from trnport.analyzers.kb import load_kb
from trnport.analyzers.options import AnalysisOptions

MODEL = '''\
import torch

class KnownIssues(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.dilated = torch.nn.Conv2d(4, 4, kernel_size=2, dilation=3)
        self.wide = torch.nn.Conv2d(4, 4, kernel_size=3, dilation=2)
        self.pool = torch.nn.MaxPool2d(2)

    def forward(self, x, ids):
        y = self.dilated(x)
        y = self.wide(y)
        y = self.pool(y)
        scores = y.clamp(min=float("-inf"), max=10.0)
        buckets = ids // 3
        return scores, buckets

model = KnownIssues()
example_inputs = (torch.randn(1, 4, 16, 16), torch.arange(8))
'''
#: source line of each pattern in MODEL
DILATED, WIDE, POOL, CLAMP, DIVIDE = 11, 12, 13, 14, 15


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("known") / "known_issues.py"
    path.write_text(MODEL)
    return path


def _trn502(path, **options):
    report = analyze(path, AnalysisOptions(trust_code=True, target="trn1", **options))
    return {f.location.line: f for f in report.findings if f.code == "TRN502"}


def test_old_profile_flags_each_documented_pattern_and_names_the_fixing_release(model_file):
    found = _trn502(model_file, sdk="2.26")
    assert sorted(found) == [DILATED, CLAMP, DIVIDE]  # the 3x3 kernel at dilation 2 is fine
    cc_2_30 = load_kb().profile("2.30").neuronx_cc
    conv = found[DILATED]
    assert conv.severity == "warning" and conv.category == "numerical"
    assert "known wrong result on Neuron SDK 2.26" in conv.message
    assert f"fixed in Neuron 2.30 (neuronx-cc {cc_2_30})" in conv.message
    assert conv.fix.startswith("Upgrade to Neuron 2.30 or later; on 2.26, ")
    assert "release-notes/components/compiler.html" in conv.provenance.source
    assert "fixed in Neuron 2.29" in found[CLAMP].message
    # at dispatch level an integer floor division arrives whole, as floor_divide
    assert found[DIVIDE].ops == ("aten.floor_divide.default",)


def test_current_profile_has_no_known_issue_finding(model_file):
    assert _trn502(model_file) == {}
    assert _trn502(model_file, sdk="2.30") == {}


def test_each_issue_stops_at_its_fixing_release(model_file):
    assert sorted(_trn502(model_file, sdk="2.28")) == [DILATED, CLAMP, DIVIDE]
    assert sorted(_trn502(model_file, sdk="2.29")) == [DILATED, DIVIDE]  # clamp fixed in 2.29


def test_max_pool_gradient_is_flagged_in_training_only(model_file):
    training = _trn502(model_file, sdk="2.18", mode="training")
    assert POOL in training and "select-and-scatter" in training[POOL].message
    assert POOL not in _trn502(model_file, sdk="2.18")


def test_oldest_profile_2_18_is_accepted_on_the_cli(model_file):
    result = run_cli("check", str(model_file), "--trust-code", "--no-history", "--sdk", "2.18",
                     "--target", "inf2", "--format", "text")
    assert result.code == 0, result.stderr  # warnings only: below --fail-on error
    assert "SDK profile 2.18 (neuronx-cc 2.13.72.0)" in result.stdout
    assert "TRN502" in result.stdout and "fixed in Neuron 2.30" in result.stdout


def test_trn2_on_a_line_before_it_existed_is_a_one_line_error(model_file):
    result = run_cli("check", str(model_file), "--trust-code", "--no-history", "--sdk", "2.20",
                     "--target", "trn2")
    assert_one_line_error(result, "Neuron SDK 2.20 supports no PyTorch stack on trn2 (its "
                                  "targets: inf2, trn1, trn1n); choose another --sdk or --target")


def _onnx_conv(path, dilations):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 12, 12])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    weight = numpy_helper.from_array(np.ones((2, 2, 2, 2), dtype=np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", dilations=dilations)
    graph = helper.make_graph([node], "conv", [x], [y], initializer=[weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path))
    return path


def test_onnx_convolution_with_dilation_beyond_the_kernel(tmp_path):
    dilated = _onnx_conv(tmp_path / "dilated.onnx", [3, 3])
    report = analyze(dilated, AnalysisOptions(sdk="2.25", target="inf2"))
    (finding,) = [f for f in report.findings if f.code == "TRN502"]
    assert finding.nodes == ("conv",) and "fixed in Neuron 2.30" in finding.message
    plain = _onnx_conv(tmp_path / "plain.onnx", [2, 2])
    report = analyze(plain, AnalysisOptions(sdk="2.25", target="inf2"))
    assert not [f for f in report.findings if f.code == "TRN502"]
