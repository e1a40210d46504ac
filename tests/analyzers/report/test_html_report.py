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
    full_report,
    hostile_report,
    with_per_core,
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
    memory = with_per_core(report.memory, status=status)
    html = render_html(dataclasses.replace(report, memory=memory))
    assert re.findall(r'class="stage state-(\w+)"', html)[3] == state


def test_findings_are_grouped_by_severity_then_code_with_a_rule_page_each():
    report = hostile_report()
    html = render_html(report)
    groups = re.findall(r'<details class="group sev-(\w+)"[^>]*\bopen>\s*<summary>\s*'
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
    grid = [c for c in report.memory.fit_grid.cells if c.pp == 1]
    cells = re.findall(r'<td class="fit-([a-z-]+)', html)
    assert Counter(cells) == Counter(fit_state(cell.status) for cell in grid)
    assert html.count(" chosen\"") == 1
    # one small table per sequence length, each with a row per TP degree
    captions = re.findall(r"<caption>seq (\d+)</caption>", html)
    assert captions == ["1024", "2048"]
    rows = re.findall(r'<th scope="row">TP (\d+)</th>', html)
    assert rows == ["1", "2", "4", "8"] * len(captions)
    # component bars: one rect per component, and the usable-HBM line
    components = report.memory.per_core.components
    assert len(re.findall(r'<rect class="c\d"', html)) == len(components)
    assert '<line class="hbm"' in html
    # FLOPs by module: one bar per module
    assert len(re.findall(r'<span class="bar"', html)) == len(report.memory.compute.by_module)


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


def _section(html: str, ident: str) -> str:
    start = html.index(f'id="{ident}"')
    return html[start:html.index("</section>", start)]


def test_full_report_keeps_hostile_names_as_text_in_the_new_sections():
    html = render_html(full_report())
    for payload in (SCRIPT_NODE, IMG_OP, SVG_MODULE, QUOTED_PATH):
        assert payload not in html, payload
    page = parse(html)
    text = "".join(page.text)
    # the diff line and the apply command carry model names; both are shown as text
    assert f"-    y = torch.sort(x)  # {SCRIPT_NODE}" in text
    assert f"trnport rewrite '{QUOTED_PATH}' --apply RW101" in text
    assert sum(1 for tag, _ in page.tags if tag == "script") == 1
    assert not [(t, a) for t, attrs in page.tags for a in attrs if a.startswith("on")]


def test_banner_shows_flops_coverage_and_share_of_hbm():
    html = render_html(full_report())
    banner = _section(html, "summary")
    assert '<span class="metric-value">91.0%</span><span class="metric-label">FLOPs coverage' \
        in banner
    assert 'fit-metric fit-fits"><span class="metric-value">73%</span>' in banner
    # a report without a FLOP estimate says so rather than 0%
    assert '<span class="metric-value">—</span><span class="metric-label">FLOPs coverage' \
        in render_html(hostile_report())


def test_findings_of_every_hazard_family_are_grouped_with_category_and_rule_docs():
    report = full_report()
    html = render_html(report)
    findings = _section(html, "findings")
    docs = load_rule_docs()
    for code in ("TRN302", "TRN310", "TRN501", "TRN601", "TRN701"):
        assert findings.count(f'<span class="code">{code}</span>') == 1, code
        if code in docs:
            assert f'href="#rule-{code}"' in findings and f'id="rule-{code}"' in html
    # errors first: the porting lint error sits under Errors, the hazards under Warnings
    listed = findings.split('id="sev-error"')[1]  # after the search and filter controls
    errors, warnings = listed.split('id="sev-warning"')
    assert "TRN701" in errors and "TRN310" in warnings and "TRN310" not in errors
    assert '<span class="category">recompilation</span>' in findings
    assert "edges 64, 128, 256, 512" in findings  # the bucket edges reach the reader
    # the location links to its file and names it file:line (breaking only between tokens)
    assert '<a class="src" href="file:///src/train.py"' in findings
    assert "<code>/src/train.py:88</code>" in findings.replace("<wbr>", "")
    # a group whose findings share one fix states it once
    assert findings.count("Replace the operator with supported primitives.") == 2  # + TRN102
    assert '<p class="group-fix"><span class="label">Fix for all</span>' in findings


def test_compiler_evidence_provenance_is_labelled_per_finding_and_summarised():
    html = render_html(full_report())
    findings, about = _section(html, "findings"), _section(html, "about")
    assert '<span class="prov prov-compiler-probe">compiler-probe</span> torch_neuronx.analyze' \
        in findings
    assert '<span class="prov prov-imported">imported</span> neuronx-cc log' in findings
    for kind, count in (("rule", 9), ("compiler-probe", 1), ("imported", 1)):
        assert re.search(rf'<span class="prov prov-{kind}">{kind}</span> [^<]+<b>{count}</b>',
                         about), kind


def test_long_finding_groups_fold_after_five():
    report = full_report()
    many = tuple(dataclasses.replace(report.findings[2], nodes=(f"n{i}",)) for i in range(12))
    html = render_html(dataclasses.replace(report, findings=many))
    assert html.count('<article class="finding') == 12
    assert "<summary>7 more TRN202 findings</summary>" in html
    head = html[:html.index('class="more-findings"')]
    assert head.count('<article class="finding') == 5


def test_rewrites_are_ranked_with_gains_apply_command_and_a_coloured_diff():
    html = render_html(full_report())
    rewrites = _section(html, "rewrites")
    # rank order, whatever order the report listed them in
    assert rewrites.index('id="rewrite-RW101"') < rewrites.index('id="rewrite-RW-int64-to-int32"')
    assert '<span class="rank">#1</span>' in rewrites
    assert '<span class="tag tag-auto">automated</span>' in rewrites
    for gain in ("2 nodes onto the device", "3.50 GFLOP onto the device",
                 "1 host round trip removed", "1 finding cleared", "3 findings cleared"):
        assert gain in rewrites, gain
    assert '<a class="code" href="#rule-TRN101">TRN101</a>' in rewrites
    assert re.search(r'<figure class="apply">.*?<pre><code>trnport rewrite ', rewrites, re.S)
    diff = re.search(r'<figure class="diff">.*?<pre><code>(.*?)</code></pre>', rewrites, re.S)
    assert diff, "no diff"
    lines = re.findall(r'<span class="d-([a-z]+)">', diff.group(1))
    assert lines == ["file", "file", "hunk", "context", "del", "add"]
    assert "&lt;script&gt;" in diff.group(1)
    assert "suggestion (not verified)" in rewrites
    # raw keys no longer leak into the page as facts
    assert not re.search(r"<dt>(findings.cleared|host.round|nodes.on|flops.on|rank|automated|"
                         r"diff|apply)", rewrites)
    assert ">False<" not in rewrites and ">True<" not in rewrites


def test_flops_by_module_tree_and_flops_by_status_are_drawn():
    html = render_html(full_report())
    memory = _section(html, "memory")
    assert 'id="flops"' in memory and 'href="#flops"' in html
    assert memory.count('<span class="seg st-') == 2  # supported, unsupported
    assert "FLOPs coverage <b>91.0%</b>" in memory
    rows = re.findall(r'<tr><th scope="row" style="padding-left: ([0-9.]+)rem"><code>(.*?)</code>',
                      memory)
    assert [label for _, label in rows][:2] == ["model.layers", "model.layers.0"]
    assert float(rows[1][0]) > float(rows[0][0])  # the child is indented under its parent
    assert '<td class="num">93%</td>' in memory


def test_component_bars_against_hbm_and_a_breakdown_when_the_model_is_small():
    report = full_report()
    memory = _section(render_html(report), "memory")
    assert '<rect class="hbm-room"' in memory and '<line class="hbm"' in memory
    assert "73% of usable HBM per core" in memory
    assert "breakdown" not in memory
    tiny = with_per_core(report.memory, components={"weights": 3000, "activations": 1000},
                         total_bytes=4000, utilization=0.0)
    small = _section(render_html(dataclasses.replace(report, memory=tiny)), "memory")
    assert "breakdown" in small
    assert len(re.findall(r'<rect class="c\d"', small)) == 4  # against HBM + breakdown
    assert "&lt;0.01% of usable HBM per core" in small
    assert "<b>3.91 KiB</b> of 23.00 GiB" in small


def test_print_css_opens_everything_and_wraps_code():
    from trnport.analyzers.report.html_renderer import templates_dir

    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    js = (templates_dir() / "report.js").read_text(encoding="utf-8")
    printing = css[css.index("@media print"):]
    assert "white-space: pre-wrap" in printing and ".scroll { overflow: visible; }" in printing
    assert "tr[hidden] { display: table-row !important; }" in printing
    assert "beforeprint" in js and "d.open = true" in js
