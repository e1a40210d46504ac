"""TRN310 on an ONNX model with a symbolic sequence dim and the lengths seen in traffic
(`--shapes FILE`): graphs compiled without buckets, and the bucket edges for --max-graphs."""

import json

from tests.analyzers.hazards import onnx_models
from tests.helpers import REPO, assert_one_line_error, run_cli
from trnport.analyzers.api import analyze
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.recompile import read_lengths

LENGTHS = REPO / "tests" / "fixtures" / "hazards" / "observed_seq_lengths.csv"


def test_observed_lengths_on_a_symbolic_seq_dim_give_graphs_and_buckets(tmp_path):
    model = onnx_models.token_embedding(tmp_path / "tokens.onnx")
    options = AnalysisOptions(observed_lengths=read_lengths(LENGTHS), max_graphs=3)
    findings = analyze(model, options).findings
    (recompile,) = [f for f in findings if f.code == "TRN310"]
    assert recompile.category == "recompilation" and recompile.severity == "warning"
    assert "8 distinct input shapes in the observed lengths (--shapes) compile 8 graphs" \
        in recompile.message
    assert "at most 3: 3 graphs" in recompile.message
    assert "8 values 17..256 → edges 64, 128, 256" in recompile.message  # last: the longest
    assert [f.code for f in findings if f.code == "TRN302"] == ["TRN302"]  # the seq dim


def test_one_observed_length_or_none_is_not_recompilation(tmp_path):
    model = onnx_models.token_embedding(tmp_path / "tokens.onnx")
    assert "TRN310" not in {f.code for f in analyze(model, AnalysisOptions()).findings}
    single = AnalysisOptions(observed_lengths=(64, 64, 64))
    assert "TRN310" not in {f.code for f in analyze(model, single).findings}


def test_cli_shapes_file_and_max_graphs(tmp_path):
    model = onnx_models.token_embedding(tmp_path / "tokens.onnx")
    result = run_cli("check", str(model), "--shapes", str(LENGTHS), "--max-graphs", "2",
                     "--format", "json", "--no-history", "--no-config")
    assert result.code == 0, result.stderr
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "TRN310"]
    assert "at most 2: 2 graphs" in finding["message"]


def test_cli_bad_shapes_file_is_a_one_line_error(tmp_path):
    model = onnx_models.token_embedding(tmp_path / "tokens.onnx")
    bad = tmp_path / "lengths.csv"
    bad.write_text("12\nlots\n")
    assert_one_line_error(run_cli("check", str(model), "--shapes", str(bad), "--no-history",
                                  "--no-config"), "lengths.csv:2")
