"""The HTML report: self-contained, escaped, complete — checked on the markup itself
(the browser checks are in test_html_report_in_chromium.py)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from tests.analyzers.report.report_samples import (
    IMG_OP,
    QUOTED_PATH,
    SCRIPT_NODE,
    SVG_MODULE,
    clean_report,
    hostile_report,
)
from trnport.analyzers.report.gate import evaluate_gate, finding_key
from trnport.analyzers.report.html_renderer import markdown_to_html, render_html
from trnport.analyzers.report.memory_view import fit_state
from trnport.analyzers.report.rule_docs import load_rule_docs


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def test_hostile_names_are_escaped_everywhere_they_appear():
    html = render_html(hostile_report())
    for payload in (SCRIPT_NODE, IMG_OP, SVG_MODULE, QUOTED_PATH):
        assert payload not in html, payload
    page = parse(html)
    text = "".join(page.text)
    # The payloads are there, as text: node, op, module and path all show to the reader.
    for payload in (SCRIPT_NODE, IMG_OP, SVG_MODULE, QUOTED_PATH):
        assert payload in text, payload
    assert [tag for tag, _ in page.tags if tag in ("img", "iframe", "object", "embed")] == []
    assert sum(1 for tag, _ in page.tags if tag == "script") == 1
    # No attribute anywhere is an event handler.
    assert not [(t, a) for t, attrs in page.tags for a in attrs if a.startswith("on")]


def test_page_is_self_contained_and_its_policy_admits_only_its_own_script():
    html = render_html(hostile_report())
    page = parse(html)
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset"):
            value = attrs.get(name) or ""
            assert not re.match(r"(?i)\s*(https?:|//|javascript:)", value), (tag, name, value)
    assert not [attrs for tag, attrs in page.tags if tag == "link"]
    policy = next(a["content"] for t, a in page.tags if a.get("http-equiv") ==
                  "Content-Security-Policy")
    assert "default-src 'none'" in policy
    script = page.scripts[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy


def test_every_in_page_link_has_a_target():
    html = render_html(hostile_report(), evaluate_gate(hostile_report()))
    page = parse(html)
    ids = {attrs["id"] for _, attrs in page.tags if attrs.get("id")}
    links = {attrs["href"][1:] for _, attrs in page.tags
             if (attrs.get("href") or "").startswith("#")}
    assert links and links <= ids, links - ids


def test_sections_of_the_staged_report_are_present():
    html = render_html(hostile_report())
    ids = {attrs.get("id") for _, attrs in parse(html).tags}
    for section in ("summary", "checklist", "findings", "operators", "memory", "rewrites",
                    "about", "rules"):
        assert section in ids, section
    stages = re.findall(r'class="stage state-(\w+)"', html)
    assert len(stages) == 6
    titles = re.findall(r'class="stage-title">\d\. ([^<]+)<', html)
    assert titles == ["Loaded", "Normalised", "Operator coverage", "Memory fit", "Hazards",
                      "Rewrites"]
    # 11 unsupported nodes make coverage fail; the chosen layout fits.
    assert stages[2] == "fail" and stages[3] == "ok"


@pytest.mark.parametrize(("status", "state"), [("tight", "warn"), ("does_not_fit", "fail")])
def test_memory_stage_follows_the_fit_of_the_chosen_layout(status, state):
    report = hostile_report()
    memory = {**report.memory, "per_core": {**report.memory["per_core"], "status": status}}
    html = render_html(dataclasses.replace(report, memory=memory))
    assert re.findall(r'class="stage state-(\w+)"', html)[3] == state


def test_findings_are_grouped_by_severity_then_code_with_a_rule_page_each():
    report = hostile_report()
    html = render_html(report)
    groups = re.findall(r'<details class="group sev-(\w+)" open>\s*<summary>\s*'
                        r'<span class="code">(TRN\d+)</span>', html)
    assert groups == [("error", "TRN101"), ("warning", "TRN202"), ("warning", "TRN102")]
    docs = load_rule_docs()
    for code in {f.code for f in report.findings}:
        assert f'id="rule-{code}"' in html
        # the embedded page carries the rule's own documented sections
        assert docs[code].summary.split(":")[0] in html
    assert html.count('class="finding') == len(report.findings)


def test_operator_table_has_one_row_per_operator_with_status_for_filtering():
    report = hostile_report()
    html = render_html(report)
    rows = re.findall(r'<tr data-status="(\w+)">', html)
    assert Counter(rows) == Counter(r.status for r in report.operators)
    assert re.findall(r'<th data-sort="(\w+)"', html) == ["text", "status", "number", "text",
                                                          "text"]


def test_memory_heatmap_has_a_cell_per_grid_entry_in_its_fit_state():
    report = hostile_report()
    html = render_html(report)
    grid = [c for c in report.memory["fit_grid"]["cells"] if c["pp"] == 1]
    cells = re.findall(r'<td class="fit-([a-z-]+)', html)
    assert Counter(cells) == Counter(fit_state(cell["status"]) for cell in grid)
    assert html.count(" chosen\"") == 1
    rows = re.findall(r'<th scope="row">TP (\d+)</th>', html)
    assert rows == ["1", "2", "4", "8"]
    # component bars: one rect per component, and the usable-HBM line
    components = report.memory["per_core"]["components"]
    assert len(re.findall(r'<rect class="c\d"', html)) == len(components)
    assert '<line class="hbm"' in html
    # FLOPs by module: one bar per module
    assert len(re.findall(r'<span class="bar"', html)) == len(report.memory["compute"]
                                                              ["by_module"])


def test_rewrites_show_before_and_after_code_escaped():
    html = render_html(hostile_report())
    assert 'id="rewrite-RW101"' in html and 'href="#rewrite-RW101"' in html
    assert "torch.topk(scores, k=scores.shape[-1])" in html
    assert "# &lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in html


def test_gate_marks_failing_and_new_findings():
    report = hostile_report()
    baseline = Counter([finding_key(report.findings[1])])
    gate = evaluate_gate(report, "error", baseline=baseline, baseline_label="main.json")
    html = render_html(report, gate)
    assert html.count('class="tag tag-fail">fails gate') == 1
    assert html.count('class="tag tag-new">new') == 3
    assert html.count('class="tag tag-old">in baseline') == 1
    assert "CI gate failed" in html


def test_a_clean_report_is_ready_and_says_what_is_missing():
    html = render_html(clean_report())
    assert "verdict-ready" in html
    assert "No findings for this target" in html
    assert "This report has no memory analysis" in html
    assert 'id="rules"' not in html


def test_rule_markdown_is_escaped_before_formatting():
    html = str(markdown_to_html("Use `a<b>` and **<i>x</i>**\n\n```python\nif a < b:\n```"))
    assert html == ("<p>Use <code>a&lt;b&gt;</code> and <strong>&lt;i&gt;x&lt;/i&gt;</strong>"
                    "</p><pre><code>if a &lt; b:</code></pre>")


def test_rendering_is_deterministic():
    assert render_html(hostile_report()) == render_html(hostile_report())
