"""The HTML report of a real model in headless Chromium: the fix-first list opens it, the
findings can be searched and filtered by severity, category and code, every location links
to its source, a dark system theme gets dark colours (light stays light, and print is
always light), jumps land below the sticky bar and long names wrap between tokens.

Screenshots (light and dark) and the printed PDF are kept in test-artifacts/.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.analyzers.report.browser import (
    ARTIFACTS,
    pdf_text,
    pixel_colours,
    png_rows,
    print_pdf,
    run_harness,
    screenshot,
)
from tests.helpers import SAMPLES, run_cli

pytestmark = pytest.mark.slow

WHITE = (255, 255, 255)  # the cards of the light page
DARK_CARD = (21, 28, 43)  # --card of the dark theme (report.css)

HARNESS = """
(function () {
  var out = {};
  var shown = function () {
    return Array.prototype.filter.call(document.querySelectorAll('article.finding'),
      function (a) { return !a.hidden; }).map(function (a) { return a.dataset.code; });
  };
  var search = document.getElementById('finding-search');
  out.all = shown();
  out.fixFirst = Array.prototype.map.call(document.querySelectorAll('#fix-first li'),
    function (li) { return li.textContent.replace(/\\s+/g, ' ').trim(); });
  search.value = 'symbolic';
  search.dispatchEvent(new Event('input'));
  out.search = shown();
  out.shownText = document.getElementById('finding-shown').textContent;
  search.value = '';
  search.dispatchEvent(new Event('input'));
  document.querySelector('input.sev-filter[value=error]').click();
  out.withoutErrors = shown();
  out.errorHeadingHidden = document.getElementById('sev-error').hidden;
  document.querySelector('input.sev-filter[value=error]').click();
  var code = document.getElementById('finding-code');
  code.value = 'TRN302';
  code.dispatchEvent(new Event('change'));
  out.code = shown();
  code.value = '';
  code.dispatchEvent(new Event('change'));
  var category = document.getElementById('finding-category');
  category.value = 'dynamic_shape';
  category.dispatchEvent(new Event('change'));
  out.category = shown();
  out.links = Array.prototype.map.call(document.querySelectorAll('article.finding a.src'),
    function (a) { return a.getAttribute('href'); });
  out.scrollMargin = getComputedStyle(document.getElementById('findings')).scrollMarginTop;
  out.codeWrap = getComputedStyle(document.querySelector('article.finding code')).overflowWrap;
  out.breaks = document.querySelectorAll('#op-table code wbr').length;
  var pre = document.createElement('pre');
  pre.id = 'harness';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "report-tiny_cnn-findings.html"
    result = run_cli("check", str(SAMPLES / "tiny_cnn.onnx"), "--no-history", "--format",
                     "html", "--output", str(path))
    assert result.code == 1, result.stderr  # the sample is blocked
    return path


def test_findings_search_and_filters_and_the_fix_first_list(page, tmp_path):
    result = run_harness(page.read_text(encoding="utf-8"), HARNESS, tmp_path)
    assert result["fixFirst"] and "TRN101" in result["fixFirst"][0]  # blockers first
    assert all(len(item) > 0 for item in result["fixFirst"]) and len(result["fixFirst"]) <= 5
    assert set(result["all"]) == {"TRN101", "TRN302"}
    assert result["search"] == ["TRN302"]
    assert result["shownText"] == f"showing 1 of {len(result['all'])}"
    assert "TRN101" not in result["withoutErrors"] and result["errorHeadingHidden"]
    assert result["code"] == ["TRN302"]
    assert result["category"] == ["TRN302"]
    assert result["links"] and all(link.startswith("file:///") and
                                   link.endswith("make_tiny_cnn_onnx.py")
                                   for link in result["links"])
    assert result["scrollMargin"] == "64px"
    assert result["codeWrap"] == "break-word" and result["breaks"] > 0


def test_light_and_dark_screenshots_follow_the_system_theme(page):
    light = screenshot(page, ARTIFACTS / "report-tiny_cnn-light.png", height=1600)
    dark = screenshot(page, ARTIFACTS / "report-tiny_cnn-dark.png", height=1600, dark=True)
    assert WHITE in pixel_colours(light) and DARK_CARD not in pixel_colours(light)
    assert DARK_CARD in pixel_colours(dark)
    assert _brightness(_dominant(light)) > 200 and _brightness(_dominant(dark)) < 60


def _dominant(png) -> tuple[int, int, int]:
    """The colour most pixels of the screenshot's top part have."""
    _, _, channels, rows = png_rows(png, 1200)
    counts = Counter((row[i], row[i + 1], row[i + 2])
                     for row in rows for i in range(0, len(row), channels * 3))
    return counts.most_common(1)[0][0]


def _brightness(colour: tuple[int, int, int]) -> float:
    return sum(colour) / 3


def test_printing_keeps_the_fix_first_list_and_every_finding(page):
    pdf = print_pdf(page, ARTIFACTS / "report-tiny_cnn-findings.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    text = pdf_text(pdf)
    if text is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; the PDF was written")
    flat = " ".join(text.split())
    assert "Fix first" in flat
    for code in ("TRN101", "TRN302"):
        assert code in flat
