"""``trnport check`` writes every report format, validated against its own schema, and
writes files atomically."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from tests.app.check_models import TINY_CNN, copy_tiny_cnn, with_custom_op
from tests.helpers import REPO, assert_one_line_error, run_cli
from trnport.app.cli.output import SUFFIXES

REPORT_SCHEMA = json.loads((REPO / "resources" / "schemas" / "report.schema.json").read_text())
ALL_FORMATS = "text,json,html,junit,sarif,markdown,model-explorer"


def sarif_schema() -> dict:
    from tests.analyzers.report.test_sarif_report import sarif_schema as shipped

    return shipped()


def test_every_format_is_written_per_model_and_valid(tmp_path):
    models = [copy_tiny_cnn(tmp_path / "m"), with_custom_op(tmp_path / "m")]
    out = tmp_path / "reports"
    result = run_cli("check", *map(str, models), "--no-history", "--fail-on", "none",
                     "--format", ALL_FORMATS, "--output-dir", str(out))
    assert result.code == 0, result.stderr
    expected = {f"{stem}{suffix}" for stem in ("tiny_cnn", "extended")
                for suffix in SUFFIXES.values()}
    assert {p.name for p in out.iterdir()} == expected  # and no temporary files left
    for stem in ("tiny_cnn", "extended"):
        report = json.loads((out / f"{stem}.json").read_text())
        jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
        sarif = json.loads((out / f"{stem}.sarif").read_text())
        jsonschema.Draft4Validator(sarif_schema()).validate(sarif)
        assert len(sarif["runs"][0]["results"]) == len(report["findings"])
        suite = ET.parse(out / f"{stem}.junit.xml").getroot().find("testsuite")
        finding_cases = [c for c in suite.findall("testcase")
                         if c.find("system-out") is not None or c.find("failure") is not None]
        assert len(finding_cases) == len(report["findings"])
        html = (out / f"{stem}.html").read_text()
        assert f"verdict-{report['summary']['verdict']}" in html
        assert (out / f"{stem}.md").read_text().startswith("### ")
        assert report["summary"]["verdict"] in (out / f"{stem}.txt").read_text().lower()
        overlay = json.loads((out / f"{stem}.model-explorer.json").read_text())
        assert overlay, "the Model Explorer overlay holds the model's graph"
    # the summary line per model tells the verdict and the gate
    assert result.stdout.count("gate passed") == 2


def test_default_output_is_text_on_stdout_and_quiet_prints_nothing():
    loud = run_cli("check", str(TINY_CNN), "--no-history", "--fail-on", "none")
    assert loud.code == 0 and "verdict:" in loud.stdout
    quiet = run_cli("check", str(TINY_CNN), "--no-history", "--fail-on", "none", "--quiet")
    assert quiet.code == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_combinable_formats_hold_several_models_in_one_output_file(tmp_path):
    models = [copy_tiny_cnn(tmp_path), with_custom_op(tmp_path)]
    sarif = tmp_path / "all.sarif"
    result = run_cli("check", *map(str, models), "--no-history", "--fail-on", "none",
                     "--format", "sarif", "--output", str(sarif))
    assert result.code == 0, result.stderr
    log = json.loads(sarif.read_text())
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    models_in_run = [m["model"] for m in log["runs"][0]["properties"]["models"]]
    assert [p.rsplit("/", 1)[-1] for p in models_in_run] == ["tiny_cnn.onnx", "extended.onnx"]
    junit = tmp_path / "all.xml"
    assert run_cli("check", *map(str, models), "--no-history", "--fail-on", "none",
                   "--format", "junit", "-o", str(junit)).code == 0
    assert len(ET.parse(junit).getroot().findall("testsuite")) == 2
    assert_one_line_error(run_cli("check", *map(str, models), "--format", "html", "-o",
                                  str(tmp_path / "x.html")), "--output takes one model")


def test_an_existing_report_is_replaced_whole(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old report " * 10000)
    result = run_cli("check", str(TINY_CNN), "--no-history", "--fail-on", "none",
                     "--format", "html", "--output", str(target))
    assert result.code == 0, result.stderr
    text = target.read_text()
    assert text.startswith("<!doctype html>") and text.rstrip().endswith("</html>")
    assert "old report" not in text
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_an_unwritable_destination_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_cli("check", str(TINY_CNN), "--no-history", "--format", "json",
                     "--output-dir", str(blocker / "reports"))
    assert_one_line_error(result, "cannot write", "reports")


@pytest.mark.parametrize("fmt", ["json", "junit", "sarif", "markdown", "html"])
def test_each_format_on_stdout_is_the_same_as_in_a_file(tmp_path, fmt):
    on_stdout = run_cli("check", str(TINY_CNN), "--no-history", "--fail-on", "none",
                        "--format", fmt)
    target = tmp_path / f"r{SUFFIXES[fmt]}"
    in_file = run_cli("check", str(TINY_CNN), "--no-history", "--fail-on", "none",
                      "--format", fmt, "-o", str(target), "--quiet")
    assert on_stdout.code == in_file.code == 0
    assert on_stdout.stdout == target.read_text()
