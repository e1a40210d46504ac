"""Settings for ``trnport check`` from trnport.toml or pyproject.toml [tool.trnport]: found
from the working directory upwards, checked strictly, and overridden by the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trnport.app.cli.baseline import BaselineSource, load_baseline_file
from trnport.app.cli.config import config_for, find_config, load_config, merge_settings
from trnport.app.cli.main import build_parser
from trnport.app.cli.parser import UsageError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_nearest_config_wins_and_trnport_toml_beats_pyproject(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.trnport]\ntarget = 'trn1'\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "pyproject.toml"
    write(tmp_path / "a" / "pyproject.toml", "[project]\nname = 'other'\n")
    assert find_config(deep) == tmp_path / "pyproject.toml"  # no [tool.trnport] there
    write(tmp_path / "a" / "trnport.toml", "target = 'inf2'\n")
    assert find_config(deep) == tmp_path / "a" / "trnport.toml"
    write(tmp_path / "a" / "b" / "trnport.toml", "[tool.trnport]\ntarget = 'trn3'\n")
    assert load_config(find_config(deep)).values == {"target": "trn3"}


def test_keys_are_long_option_names_and_paths_are_relative_to_the_file(tmp_path):
    config = load_config(write(tmp_path / "trnport.toml", """
models = ["m/a.onnx", "m/b.onnx"]
fail-on = "warning"
min_coverage = 95
seq-len = 128
select = "TRN1,TRN2"
ignore = ["unsupported-op"]
format = ["junit", "sarif"]
output-dir = "reports"
baseline = "last"
jobs = 2
zero1 = true
"""))
    assert config.values == {
        "models": [str(tmp_path / "m/a.onnx"), str(tmp_path / "m/b.onnx")],
        "fail_on": "warning", "min_coverage": 95.0, "seq_len": 128,
        "select": ["TRN1", "TRN2"], "ignore": ["unsupported-op"],
        "formats": ["junit", "sarif"], "output_dir": str(tmp_path / "reports"),
        "baseline": "last", "jobs": 2, "zero1": True,
    }


@pytest.mark.parametrize(("text", "fragment"), [
    ("target = 'h100'", "target: expected one of trn1"),
    ("batch = 0", "batch: expected a whole number of at least 1"),
    ("batch = true", "batch: expected a whole number"),
    ("min-coverage = 101", "min-coverage: expected a percentage"),
    ("format = ['pdf']", "unknown report format 'pdf'"),
    ("select = ['XYZ9']", "'XYZ9' matches no rule"),
    ("ignore = ['TRN999']", "'TRN999' matches no rule"),
    ("colour = 'blue'", "unknown key 'colour'"),
    ("trust-code = true", "cannot allow running model code"),
    ("target = ", "is not valid TOML"),
    ("[tool]\ntrnport = 3", "[tool.trnport] must be a table"),
])
def test_bad_config_is_a_one_line_usage_error_naming_file_and_key(tmp_path, text, fragment):
    path = write(tmp_path / "trnport.toml", text + "\n")
    with pytest.raises(UsageError) as caught:
        load_config(path)
    message = str(caught.value)
    assert fragment in message and str(path) in message
    assert "\n" not in message


def test_command_line_wins_over_config_which_wins_over_defaults(tmp_path):
    write(tmp_path / "trnport.toml", "target = 'inf2'\nfail-on = 'warning'\nbatch = 4\n")
    parser = build_parser()
    from trnport.app.cli.check_command import _DEFAULTS

    args = parser.parse_args(["check", "m.onnx", "--target", "trn1"])
    assert args.target == "trn1" and args.fail_on is None  # unset options parse as None
    merged = merge_settings(args, config_for(None, False, tmp_path), _DEFAULTS)
    assert (merged.target, merged.fail_on, merged.batch, merged.mode) == (
        "trn1", "warning", 4, "inference")
    isolated = merge_settings(args, config_for(None, True, tmp_path), _DEFAULTS)
    assert (isolated.fail_on, isolated.batch) == ("error", 1)


def test_explicit_config_file_must_exist(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        config_for(tmp_path / "missing.toml", False, tmp_path)


def test_baseline_file_must_be_a_trnport_json_report(tmp_path):
    with pytest.raises(UsageError, match="not valid JSON"):
        load_baseline_file(write(tmp_path / "a.json", "{oops"))
    with pytest.raises(UsageError, match="not a trnport JSON report"):
        load_baseline_file(write(tmp_path / "b.json", json.dumps({"findings": []})))
    with pytest.raises(UsageError, match="no such file or folder"):
        BaselineSource(str(tmp_path / "nowhere.json"))


def test_baseline_folder_gives_each_model_its_own_report(tmp_path):
    finding = {"code": "TRN101", "ops": ["aten.sort.default"],
               "location": {"file": "/x/m.py", "line": 3, "module": "head"}}
    write(tmp_path / "base" / "net.json",
          json.dumps({"schema": "trnport.report/1", "findings": [finding, finding]}))
    source = BaselineSource(str(tmp_path / "base"))
    found = source.for_model(Path("models/net.onnx"), "net", "trn2", "inference")
    assert sum(found.keys.values()) == 2
    missing = source.for_model(Path("models/other.onnx"), "other", "trn2", "inference")
    assert sum(missing.keys.values()) == 0 and "missing" in missing.label


def test_recompilation_and_input_shape_keys(tmp_path):
    config = load_config(write(tmp_path / "trnport.toml", """
shapes = "traffic/lengths.csv"
max-graphs = 3
input-shape = ["ids=1x128:int64", "mask=1x128"]
"""))
    assert config.values == {
        "shapes": str(tmp_path / "traffic/lengths.csv"), "max_graphs": 3,
        "input_shape": [("ids", (1, 128), "int64"), ("mask", (1, 128), None)],
    }
    table = load_config(write(tmp_path / "t" / "trnport.toml",
                              "[tool.trnport.input-shape]\nids = '2x64:int32'\n"))
    assert table.values == {"input_shape": [("ids", (2, 64), "int32")]}


@pytest.mark.parametrize(("text", "fragment"), [
    ("max-graphs = 0", "max-graphs: expected a whole number from 1 to 1000"),
    ("max-graphs = 5000", "max-graphs: expected a whole number from 1 to 1000"),
    ("shapes = ''", "shapes: expected a non-empty string"),
    ("input-shape = 3", "input-shape: expected a list of NAME=DIMS[:DTYPE] strings"),
    ("input-shape = ['ids']", "input-shape: expected NAME=DIMS[:DTYPE]"),
    ("input-shape = ['ids=1xA']", "whole numbers"),
    ("input-shape = ['ids=1x2:float128']", "unknown dtype 'float128'"),
    ("input-shape = ['ids=1x2', 'ids=1x4']", "input 'ids' is given twice"),
])
def test_bad_recompilation_and_input_shape_values(tmp_path, text, fragment):
    path = write(tmp_path / "trnport.toml", text + "\n")
    with pytest.raises(UsageError) as caught:
        load_config(path)
    message = str(caught.value)
    assert fragment in message and str(path) in message and "\n" not in message


def test_config_shapes_and_input_shape_reach_the_analysis(tmp_path):
    from tests.analyzers.hazards import onnx_models
    from tests.helpers import assert_one_line_error, run_cli

    model = onnx_models.token_embedding(tmp_path / "tokens.onnx")
    write(tmp_path / "lengths.csv", "16\n64\n128\n")
    write(tmp_path / "trnport.toml",
          "shapes = 'lengths.csv'\nmax-graphs = 2\ninput-shape = ['ids=1x128:int32']\n")
    result = run_cli("check", str(model), "--format", "json", "--no-history", cwd=tmp_path)
    assert result.code == 0, result.stderr
    codes = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert "TRN310" in codes and "TRN302" not in codes and "TRN202" not in codes
    write(tmp_path / "trnport.toml", "max-graphs = 'four'\n")
    assert_one_line_error(run_cli("check", str(model), "--no-history", cwd=tmp_path),
                          "max-graphs: expected a whole number")
