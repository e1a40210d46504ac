"""JUnit XML parses and fails exactly the gated findings; the Markdown summary is safe to
paste into a pull request."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections import Counter

from tests.analyzers.report.report_samples import (
    IMG_OP,
    SCRIPT_NODE,
    clean_report,
    full_report,
    hostile_report,
)
from trnport.analyzers.report.gate import evaluate_gate, finding_key
from trnport.analyzers.report.junit_renderer import render_junit, render_junit_many
from trnport.analyzers.report.markdown_renderer import code, render_markdown, text
from trnport.analyzers.report.rule_docs import load_rule_docs


def cases(xml: str) -> list[ET.Element]:
    return ET.fromstring(xml).findall("./testsuite/testcase")


def test_junit_parses_and_counts_add_up():
    report = hostile_report()
    root = ET.fromstring(render_junit(report, evaluate_gate(report, "warning", 90.0)))
    suite = root.find("testsuite")
    testcases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(testcases) == int(root.get("tests"))
    failures = [c for c in testcases if c.find("failure") is not None]
    assert int(suite.get("failures")) == len(failures) == 5  # 4 findings + coverage
    # one case per finding, one per rule without findings, one for --min-coverage
    quiet_rules = set(load_rule_docs()) - {f.code for f in report.findings}
    assert len(testcases) == len(report.findings) + len(quiet_rules) + 1


def test_junit_fails_only_findings_at_or_above_fail_on():
    report = hostile_report()
    testcases = cases(render_junit(report, evaluate_gate(report, "error")))
    failed = [c.get("classname") for c in testcases if c.find("failure") is not None]
    assert failed == ["trnport.TRN101.unsupported-op"] * 2
    warning = next(c for c in testcases if c.get("classname") == "trnport.TRN202.int64-downcast")
    assert warning.find("failure") is None
    assert "int64 values are narrowed" in warning.find("system-out").text


def test_junit_reports_baseline_findings_as_skipped():
    report = hostile_report()
    gate = evaluate_gate(report, "error", baseline=Counter([finding_key(report.findings[0])]))
    testcases = cases(render_junit(report, gate))
    assert sum(c.find("skipped") is not None for c in testcases) == 1
    assert sum(c.find("failure") is not None for c in testcases) == 1


def test_junit_keeps_hostile_names_as_text_and_locations_as_attributes():
    report = hostile_report()
    first = cases(render_junit(report))[0]
    assert first.get("file") == report.findings[0].location.file
    assert first.get("line") == "42"
    body = first.find("failure").text
    assert SCRIPT_NODE in body and IMG_OP in first.get("name")


def test_junit_survives_characters_xml_cannot_hold():
    report = hostile_report()
    weird = report.findings[0].__class__(**{**report.findings[0].__dict__,
                                            "message": "bad\x00byte\x1bhere"})
    xml = render_junit(report.__class__(**{**report.__dict__, "findings": (weird,)}))
    assert "bad\ufffdbyte\ufffdhere" in ET.fromstring(xml).find(".//failure").get("message")


def test_junit_suites_for_several_models_and_passing_rules_respect_select():
    gate = evaluate_gate(clean_report(), select=("TRN2",))
    root = ET.fromstring(render_junit_many([clean_report(), hostile_report()], [gate, None]))
    suites = root.findall("testsuite")
    assert len(suites) == 2
    clean_codes = {c.get("classname").split(".")[1] for c in suites[0].findall("testcase")}
    assert clean_codes == {code for code in load_rule_docs() if code.startswith("TRN2")}
    assert root.get("failures") == "2"


def test_markdown_summary_has_verdict_counts_checklist_and_findings():
    report = hostile_report()
    md = render_markdown(report, evaluate_gate(report, "error", 90.0))
    assert md.startswith("### 🔴 trnport:")
    assert "**blocked**" in md
    assert "| 61.5% | — | 2 | 2 | 0 | 39 |" in md
    assert "**CI gate failed**" in md
    for stage in ("Loaded", "Normalised", "Operator coverage", "Memory fit", "Hazards",
                  "Rewrites"):
        assert f" {stage} |" in md
    rows = [line for line in md.splitlines() if re.match(r"\| (❌|⚠️) \| TRN", line)]
    code_rows = [line for line in rows if re.search(r" \| \d+ \|$", line)]
    finding_rows = [line for line in rows if line not in code_rows]
    assert len(finding_rows) == len(report.findings)
    # one summary row per code, with its category and count
    assert "| ❌ | TRN101 unsupported-op | unsupported op | 2 |" in code_rows
    assert len(code_rows) == len({f.code for f in report.findings})
    assert "| Fit per NeuronCore at PP 1 (seq 2048) | batch 1 | batch 4 | batch 16 |" in md
    tp1 = next(line for line in md.splitlines() if line.startswith("| TP 1 |"))
    assert tp1 == "| TP 1 | 🟩 69% (chosen) | 🟩 81% | 🟥 128% |"


def test_markdown_neutralises_html_pipes_and_mentions():
    md = render_markdown(hostile_report())
    # Outside code spans (where GitHub shows text literally) no tag survives unescaped.
    prose = re.sub(r"(`+) .*? \1", "", md)
    assert not re.search(r"(?<!\\)<(script|img|svg)", prose)
    assert SCRIPT_NODE not in prose and IMG_OP not in prose
    assert f"` {IMG_OP} `" in md
    # every table row keeps its column count despite '|' in names
    assert text("a|b") == "a\\|b"
    assert code("x`y|z") == "`` x`y\\|z ``"
    assert "@\u200bteam" in text("ping @team")
    assert text("<b>&</b>") == "\\<b\\>&amp;\\</b\\>"


def test_markdown_tables_keep_their_shape():
    md = render_markdown(hostile_report())
    for table in re.findall(r"((?:^\|.*\|$\n?)+)", md, re.M):
        rows = table.strip().splitlines()
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, rows


def test_markdown_for_a_clean_report_is_short_and_green():
    md = render_markdown(clean_report())
    assert md.startswith("### 🟢")
    assert "No findings for this target." in md
    assert "Operators not fully supported" not in md


def test_junit_carries_new_codes_flops_coverage_and_rule_doc_links():
    report = full_report()
    root = ET.fromstring(render_junit(report, evaluate_gate(report, "warning")))
    (suite,) = root.findall("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["flops_coverage_pct"] == "90.98"
    cases = suite.findall("testcase")
    names = {c.get("classname") for c in cases}
    for rule in ("TRN302", "TRN310", "TRN501", "TRN601", "TRN701"):
        assert any(n.startswith(f"trnport.{rule}.") for n in names), rule
    lint = next(c for c in cases if c.get("classname").startswith("trnport.TRN701."))
    assert lint.get("file") == "/src/train.py" and lint.get("line") == "88"
    failure = lint.find("failure")
    assert failure is not None and "docs: " in failure.text and "TRN701.md" in failure.text
    probe = [c for c in cases if "failureAt neuronx-cc" in c.get("name")]
    assert "source: compiler-probe: torch_neuronx.analyze" in probe[0].find("failure").text


def test_markdown_has_flops_coverage_a_row_per_code_and_ranked_rewrites(monkeypatch):
    report = full_report()
    md = render_markdown(report)
    assert "| Coverage | FLOPs coverage | Errors |" in md
    assert "| 61.5% | 91.0% | 5 | 6 | 0 | 39 |" in md
    for rule in ("TRN302", "TRN310", "TRN501", "TRN601", "TRN701"):
        assert re.search(rf"^\| (❌|⚠️) \| {rule} [a-z0-9-]+ \| [a-z ]+ \| \d+ \|$", md,
                         re.M), rule
    assert "<summary><b>Rewrites (2)</b></summary>" in md
    first, second = md.index("1. ` RW101 ` (automated)"), md.index("2. ` RW-int64-to-int32 `")
    assert first < second
    assert "```sh\ntrnport rewrite" in md
    diff = md[md.index("```diff"):]
    assert diff.splitlines()[1] == "--- a/model.py"
    assert f"-    y = torch.sort(x)  # {SCRIPT_NODE}" in diff  # verbatim inside a fence
    assert "Compute: 32.97 TFLOP per step, 91.0% of it" in md
    # codes link to hosted rule pages only when there are hosted pages
    assert "[TRN701](" not in md
    monkeypatch.setenv("TRNPORT_RULE_DOCS_URL", "https://example.test/rules")
    assert "[TRN701](https://example.test/rules/TRN701.md)" in render_markdown(report)


def test_markdown_fences_outgrow_backticks_in_a_diff():
    report = full_report()
    rewrites = list(report.rewrites)
    rewrites[1] = dataclasses.replace(rewrites[1],
                                      diff="--- a\n+++ b\n@@ -1 +1 @@\n-x = '```'\n+y = 1\n")
    md = render_markdown(dataclasses.replace(report, rewrites=tuple(rewrites)))
    assert "````diff\n--- a" in md and "-x = '```'\n+y = 1\n````" in md
