"""The HTML report in a real browser (headless Chromium): it renders, hostile names stay
text and run nothing, and the operator table sorts, filters and searches.

Screenshots are kept in test-artifacts/ for people to look at.
"""

from __future__ import annotations

import re

import pytest

from tests.analyzers.report.browser import (
    ARTIFACTS,
    dump_dom,
    pdf_text,
    pixel_colours,
    print_pdf,
    run_harness,
    screenshot,
)
from tests.analyzers.report.report_samples import (
    IMG_OP,
    SCRIPT_NODE,
    SVG_MODULE,
    full_report,
    hostile_report,
)
from trnport.analyzers.report.gate import evaluate_gate
from trnport.analyzers.report.html_renderer import render_html

pytestmark = pytest.mark.slow

BLOCKED_RED = (180, 35, 24)  # the verdict pill of a blocked report (--bad in report.css)

# Drives the page like a person and records what the table showed, in a <pre>.
HARNESS = """
(function () {
  var out = {};
  var visible = function () {
    return Array.prototype.filter.call(document.querySelectorAll('#op-table tbody tr'),
      function (r) { return !r.hidden; }).map(function (r) { return r.cells[0].textContent; });
  };
  out.initial = visible().length;
  out.shownText = document.getElementById('op-shown').textContent;
  var search = document.getElementById('op-search');
  search.value = 'FFT';
  search.dispatchEvent(new Event('input'));
  out.search = visible();
  search.value = '';
  search.dispatchEvent(new Event('input'));
  document.querySelector('.filters input[value=supported]').click();
  out.withoutSupported = visible().length;
  document.querySelector('.filters input[value=supported]').click();
  var nodes = document.querySelectorAll('#op-table th')[2];
  nodes.click();
  out.ascending = Array.prototype.map.call(document.querySelectorAll('#op-table tbody tr'),
    function (r) { return Number(r.cells[2].textContent); });
  nodes.click();
  out.descending = Array.prototype.map.call(document.querySelectorAll('#op-table tbody tr'),
    function (r) { return Number(r.cells[2].textContent); });
  out.title = document.title;
  var pre = document.createElement('pre');
  pre.id = 'harness';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"""


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_hostile_names_render_as_text_and_run_nothing(tmp_path):
    html = render_html(hostile_report(), evaluate_gate(hostile_report(), "error"))
    page = tmp_path / "hostile.html"
    page.write_text(html, encoding="utf-8")
    dom = dump_dom(page)
    # Our own script ran (the policy's hash admits it) ...
    assert "showing 8 of 8" in dom
    # ... and none of the payloads did: each would have changed the title.
    assert _title(dom) == _title(html)
    assert "pwned" not in _title(dom)
    # Chromium keeps them as text nodes: serialised escaped, never as elements.
    assert "&lt;script&gt;document.title='pwned-script'&lt;/script&gt;" in dom
    assert "&lt;img src=x onerror=\"document.title='pwned-img'\"&gt;" in dom
    for payload in (SCRIPT_NODE, IMG_OP, SVG_MODULE):
        assert payload not in dom
    assert len(re.findall(r"<script\b", dom)) == 1
    assert not re.search(r"<(img|svg)\b[^>]*\bon(error|load)=", dom)


def test_report_screenshot_shows_the_rendered_page():
    ARTIFACTS.mkdir(exist_ok=True)
    page = ARTIFACTS / "report-hostile.html"
    page.write_text(render_html(hostile_report(), evaluate_gate(hostile_report(), "warning",
                                                                min_coverage=90.0)),
                    encoding="utf-8")
    png = screenshot(page, ARTIFACTS / "report-hostile.png")
    colours = pixel_colours(png)
    # A blank or unstyled page has a handful of colours; this one has text, chips, bars.
    assert len(colours) > 200
    assert BLOCKED_RED in colours


def test_operator_table_sorts_filters_and_searches(tmp_path):
    report = hostile_report()
    result = run_harness(render_html(report), HARNESS, tmp_path)
    counts = [row.count for row in report.operators]
    assert result["initial"] == len(report.operators)
    assert result["shownText"] == f"showing {len(counts)} of {len(counts)}"
    assert result["search"] == ["aten.fft_rfft.default"]
    supported = sum(1 for row in report.operators if row.status == "supported")
    assert result["withoutSupported"] == len(report.operators) - supported
    assert result["ascending"] == sorted(counts)
    assert result["descending"] == sorted(counts, reverse=True)


def test_report_of_a_real_model_from_the_cli_renders(tmp_path):
    from tests.helpers import SAMPLES, run_cli

    ARTIFACTS.mkdir(exist_ok=True)
    page = ARTIFACTS / "report-tiny_cnn.html"
    result = run_cli("check", str(SAMPLES / "tiny_cnn.onnx"), "--no-history", "--fail-on",
                     "none", "--format", "html", "--output", str(page))
    assert result.code == 0, result.stderr
    dom = dump_dom(page)
    rows = len(re.findall(r'<tr data-status="', dom))
    assert rows > 0 and f"showing {rows} of {rows}" in dom
    png = screenshot(page, ARTIFACTS / "report-tiny_cnn.png")
    assert len(pixel_colours(png)) > 200


def test_full_report_renders_its_new_sections_as_text(tmp_path):
    report = full_report()
    page = tmp_path / "full.html"
    page.write_text(render_html(report), encoding="utf-8")
    dom = dump_dom(page)
    assert "pwned" not in _title(dom)
    assert len(re.findall(r"<script\b", dom)) == 1
    for text in ("FLOPs coverage", "recompilation-per-input-shape", "edges 64, 128, 256, 512",
                 "compiler-probe", "3.50 GFLOP onto the device", "Change to your source",
                 "-    y = torch.sort(x)  # &lt;script&gt;"):
        assert text in dom, text


def test_full_report_screenshot_and_print_keep_everything(tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    report = full_report()
    page = ARTIFACTS / "report-full.html"
    page.write_text(render_html(report, evaluate_gate(report, "error")), encoding="utf-8")
    png = screenshot(page, ARTIFACTS / "report-full.png", height=3000)
    assert BLOCKED_RED in pixel_colours(png)
    pdf = print_pdf(page, ARTIFACTS / "report-full.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    text = pdf_text(pdf)
    if text is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; the PDF was written")
    flat = " ".join(text.split())
    # every section, every finding code and every operator made it onto paper
    for heading in ("Porting checklist", "Findings", "Operators", "Memory and compute",
                    "FLOPs by module", "Rewrites", "Versions and provenance", "Rule reference"):
        assert heading in flat, heading
    for finding in report.findings:
        assert finding.code in flat, finding.code
    for row in report.operators:
        assert row.op.split(".")[0].split("<")[0] in flat, row.op
    # folded details are opened for print: the last of nine nodes is there
    assert "fft_8" in flat
    # long code wraps instead of running off the page
    assert "--apply RW101" in flat
