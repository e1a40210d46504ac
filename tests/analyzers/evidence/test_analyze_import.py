"""Saved torch_neuronx.analyze() results become findings with the compiler's version."""

import json

import pytest

from tests.helpers import REPO
from trnport.analyzers.errors import InputError
from trnport.analyzers.evidence import load_analyze_file, parse_analyze_result
from trnport.analyzers.evidence.analyze_import import _Schema
from trnport.analyzers.evidence.model import PROBE

FIXTURES = REPO / "tests" / "fixtures" / "evidence"


def test_inference_result_gives_one_error_per_rejected_node_with_its_source_line():
    evidence = load_analyze_file(FIXTURES / "analyze_inference.json")
    assert evidence.neuronx_cc == "2.26.6360.0+a1b2c3d4"
    assert evidence.torch_neuronx == "2.9.0.2.15.32035"
    assert evidence.support_percentage == 80.0
    assert evidence.supported_ops == {"aten.linear": 2, "aten.relu": 1, "aten.log_softmax": 1}
    assert evidence.rejected_ops == {"aten.fft_fft", "aten.sort"}
    by_op = {f.ops[0]: f for f in evidence.findings}
    fft = by_op["aten.fft_fft"]
    assert (fft.code, fft.severity, fft.category) == ("TRN101", "error", "unsupported_op")
    assert "neuronx-cc 2.26.6360.0+a1b2c3d4 rejected it" in fft.message
    assert (fft.location.file, fft.location.line) == ("model.py", 6)
    assert fft.provenance.kind == "imported"
    assert "2.26.6360.0+a1b2c3d4" in fft.provenance.source
    assert "analyze_inference.json" in fft.provenance.source
    assert "could not lower it to HLO" in by_op["aten.sort"].message
    assert by_op["aten.sort"].location.line == 9


def test_training_result_reads_aten_and_hlo_parts_and_flags_complex_hlo_as_dtype():
    evidence = load_analyze_file(FIXTURES / "analyze_training.json")
    assert evidence.neuronx_cc == "2.5.0.28"
    assert evidence.supported_ops == {"aten.mul": 2, "aten.add": 1}
    assert evidence.rejected_ops == {"aten.mul"}
    codes = sorted(f.code for f in evidence.findings)
    assert codes == ["TRN101", "TRN203"]
    aten = next(f for f in evidence.findings if f.code == "TRN101")
    assert (aten.location.file, aten.location.line) == ("train.py", 24)
    hlo = next(f for f in evidence.findings if f.code == "TRN203")
    assert "c64[4]" in hlo.message and hlo.ops == ("aten.mul",)


def test_fully_supported_result_has_no_findings():
    result = {"neuronx_cc_version": "2.26", "support_percentage": "100.00%",
              "supported_operators": {"aten::linear": 2}, "unsupported_operators": []}
    evidence = parse_analyze_result(result, source="ok.json", kind=PROBE)
    assert evidence.findings == ()
    assert evidence.kind == PROBE
    assert evidence.support_percentage == 100.0


@pytest.mark.parametrize("document, fragment", [
    ([], "expected a JSON object"),
    ({"supported_operators": {}}, "missing key 'unsupported_operators'"),
    ({"schema": "trnport.report/1", "findings": []}, "missing key 'supported_operators'"),
    ({"supported_operators": [], "unsupported_operators": []}, "must be an object"),
    ({"supported_operators": {"aten::relu": "two"}, "unsupported_operators": []},
     "whole number"),
    ({"supported_operators": {"relu": 1}, "unsupported_operators": []}, "op kind"),
    ({"supported_operators": {}, "unsupported_operators": [{"failureAt": "neuronx-cc"}]},
     "no op 'kind'"),
    ({"supported_operators": {}, "unsupported_operators": [{"kind": "aten::sort"}]},
     "no 'failureAt'"),
    ({"supported_operators": {}, "unsupported_operators": [], "neuronx_cc_version": 2},
     "must be a string"),
])
def test_wrong_schema_is_refused_with_the_reason(document, fragment):
    with pytest.raises(_Schema, match=fragment.replace("(", r"\(")):
        parse_analyze_result(document, source="x.json")


@pytest.mark.parametrize("content, fragment", [
    (b"", "empty"),
    (b"  \n", "empty"),
    (b'{"supported_operators": {"aten::relu": 1}, "unsupp', "not valid JSON"),
    (bytes(range(256)) * 4, "binary"),
    (b"[1, 2, 3]", "not a torch_neuronx.analyze() result"),
])
def test_unreadable_files_raise_one_line_input_errors(tmp_path, content, fragment):
    path = tmp_path / "result.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        load_analyze_file(path)
    message = str(error.value)
    assert fragment in message and "\n" not in message and str(path) in message


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_analyze_file(tmp_path / "absent.json")


def test_result_round_trips_through_json_text(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"supported_operators": {}, "unsupported_operators": [
        {"kind": "aten::nonzero", "failureAt": "neuronx-cc"}]}))
    evidence = load_analyze_file(path)
    assert [f.ops for f in evidence.findings] == [("aten.nonzero",)]
    assert evidence.findings[0].location.file is None
