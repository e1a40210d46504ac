"""CI mode of ``trnport check``: --fail-on, --min-coverage, --baseline FILE|DIR|last,
--select/--ignore, configuration files, --jobs and the combined exit code."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.app.check_models import (
    TINY_CNN,
    copy_tiny_cnn,
    expected_exit,
    json_report,
    with_custom_op,
    with_renamed_nodes,
)
from tests.helpers import assert_one_line_error, run_cli


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    """The tiny CNN with one extra custom-domain node, and both models' JSON reports."""
    folder = tmp_path_factory.mktemp("models")
    model = with_custom_op(folder)
    base = folder / "tiny_cnn.json"
    base.write_text(json.dumps(json_report(TINY_CNN)))
    return model, base, json_report(model)


def _new_findings(extended_report: dict, base: dict) -> list[dict]:
    old = {(f["code"], tuple(f["ops"])) for f in base["findings"]}
    return [f for f in extended_report["findings"] if (f["code"], tuple(f["ops"])) not in old]


@pytest.mark.parametrize("fail_on", ["error", "warning", "info", "none"])
def test_fail_on_sets_the_exit_code_from_the_severities_found(extended, fail_on):
    model, _, report = extended
    assert report["findings"], "the extended model must have findings"
    result = run_cli("check", str(model), "--no-history", "--fail-on", fail_on, "-q")
    assert result.code == expected_exit(report, fail_on), result.stderr


def test_min_coverage_fails_only_below_the_threshold():
    coverage = json_report(TINY_CNN)["summary"]["coverage_pct"]
    below = run_cli("check", str(TINY_CNN), "--no-history", "--fail-on", "none", "-q",
                    "--min-coverage", str(min(100.0, coverage + 0.5)))
    at = run_cli("check", str(TINY_CNN), "--no-history", "--fail-on", "none", "-q",
                 "--min-coverage", str(coverage))
    assert at.code == 0
    assert below.code == (1 if coverage < 100 else 0)


def test_baseline_file_fails_only_on_new_findings(extended, tmp_path):
    model, base, report = extended
    new = _new_findings(report, json.loads(base.read_text()))
    assert len(new) == 1 and new[0]["ops"][0].endswith("FancyNorm")
    junit = tmp_path / "gate.xml"
    result = run_cli("check", str(model), "--no-history", "--fail-on", "info", "--baseline",
                     str(base), "--format", "junit", "-o", str(junit))
    assert result.code == 1, result.stderr
    assert "(1 new)" in result.stdout
    failed = [c for c in ET.parse(junit).getroot().iter("testcase")
              if c.find("failure") is not None]
    assert len(failed) == 1
    assert "FancyNorm" in failed[0].find("failure").text
    # the same model against its own report: nothing is new
    own = tmp_path / "own.json"
    own.write_text(json.dumps(report))
    assert run_cli("check", str(model), "--no-history", "--fail-on", "info", "-q",
                   "--baseline", str(own)).code == 0


def test_baseline_survives_renamed_nodes(extended, tmp_path):
    _, base, _ = extended
    renamed = with_renamed_nodes(tmp_path)
    renamed_report = json_report(renamed)
    assert {n for f in renamed_report["findings"] for n in f["nodes"]}.isdisjoint(
        {n for f in json.loads(base.read_text())["findings"] for n in f["nodes"]})
    result = run_cli("check", str(renamed), "--no-history", "--fail-on", "info", "-q",
                     "--baseline", str(base))
    assert result.code == 0, result.stderr


def test_baseline_folder_matches_models_by_report_name(extended, tmp_path):
    model, base, _ = extended
    folder = tmp_path / "baseline"
    folder.mkdir()
    (folder / "extended.json").write_text(base.read_text())  # the old model's findings
    result = run_cli("check", str(model), str(copy_tiny_cnn(tmp_path / "m")), "--no-history",
                     "--fail-on", "info", "--baseline", str(folder), "--output-dir",
                     str(tmp_path / "out"), "--format", "json")
    lines = result.stdout.splitlines()
    assert "(1 new)" in lines[0]  # extended.onnx vs the tiny CNN's findings
    tiny_total = len(json_report(TINY_CNN)["findings"])
    assert f"({tiny_total} new)" in lines[1]  # no tiny_cnn.json: all new


@pytest.mark.parametrize(("args", "fragment"), [
    (("--baseline", "missing.json"), "no such file"),
    (("--select", "TRN9"), "'TRN9' matches no rule"),
    (("--ignore", "bogus-symbol"), "'bogus-symbol' matches no rule"),
    (("--jobs", "0"), "--jobs"),
])
def test_bad_gating_options_are_one_line_errors(args, fragment):
    assert_one_line_error(run_cli("check", str(TINY_CNN), "--no-history", *args), fragment)


def test_baseline_not_json_report_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert_one_line_error(run_cli("check", str(TINY_CNN), "--no-history", "--baseline",
                                  str(bad)), "not a trnport JSON report")


def test_baseline_last_uses_the_previous_session_in_the_history(extended, tmp_path):
    model, _, _ = extended
    env = {"TRNPORT_DB": str(tmp_path / "history.db"), "TRNPORT_NO_HISTORY": ""}
    first = run_cli("check", str(model), "--baseline", "last", env=env)
    assert_one_line_error(first, "no porting history yet")
    assert run_cli("check", str(model), "--fail-on", "none", "-q", env=env).code == 0
    again = run_cli("check", str(model), "--fail-on", "info", "--baseline", "last", "-q",
                    env=env)
    assert again.code == 0, again.stderr
    # another target has no session yet
    other = run_cli("check", str(model), "--target", "inf2", "--baseline", "last", env=env)
    assert_one_line_error(other, "no porting history yet", "inf2")


def test_select_and_ignore_change_what_fails(extended):
    model, _, report = extended
    codes = sorted({f["code"] for f in report["findings"]})
    ignored = run_cli("check", str(model), "--no-history", "--fail-on", "info", "--format",
                      "json", "--ignore", ",".join(codes))
    assert ignored.code == 0
    assert json.loads(ignored.stdout)["findings"] == []
    selected = json.loads(run_cli("check", str(model), "--no-history", "--fail-on", "none",
                                  "--format", "json", "--select", codes[0]).stdout)
    assert {f["code"] for f in selected["findings"]} == {codes[0]}


def test_config_file_supplies_models_and_gate_and_flags_win(extended, tmp_path):
    model, _, report = extended
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\n\n[tool.trnport]\nmodels = ["{model}"]\nfail-on = "info"\n'
        'format = "json"\n')
    sub = tmp_path / "src"
    sub.mkdir()
    from_config = run_cli("check", "--no-history", cwd=sub)
    assert from_config.code == expected_exit(report, "info"), from_config.stderr
    assert json.loads(from_config.stdout)["model"]["path"].endswith("extended.onnx")
    overridden = run_cli("check", "--no-history", "--fail-on", "none", cwd=sub)
    assert overridden.code == 0
    ignored = run_cli("check", str(TINY_CNN), "--no-history", "--no-config", "-q", cwd=sub)
    assert ignored.code == expected_exit(json_report(TINY_CNN), "error")


def test_bad_config_is_a_one_line_error_exit_2(tmp_path):
    (tmp_path / "trnport.toml").write_text("fail-on = 'sometimes'\n")
    assert_one_line_error(run_cli("check", str(TINY_CNN), cwd=tmp_path), "trnport.toml",
                          "fail-on")


@pytest.mark.slow
def test_jobs_give_the_same_reports_and_one_combined_exit_code(extended, tmp_path):
    model, _, report = extended
    models = [str(TINY_CNN), str(model)]
    serial = run_cli("check", *models, "--no-history", "--format", "json", "--fail-on",
                     "info")
    parallel = run_cli("check", *models, "--no-history", "--format", "json", "--fail-on",
                       "info", "--jobs", "2")
    assert parallel.stdout == serial.stdout
    assert parallel.code == serial.code == max(expected_exit(report, "info"),
                                                expected_exit(json_report(TINY_CNN), "info"))
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x08\x01garbage")
    mixed = run_cli("check", *models, str(broken), "--no-history", "--jobs", "2", "-q")
    assert mixed.code == 2
    assert mixed.stderr.count("\n") == 1 and "broken.onnx" in mixed.stderr
    clean = run_cli("check", *models, "--no-history", "--jobs", "2", "--fail-on", "none",
                    "-q")
    assert clean.code == 0
