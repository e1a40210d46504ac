"""The HTML report: one self-contained page (inline CSS, JS and SVG; nothing from the network).

Templates live in ``resources/templates/`` and are rendered with autoescaping on, so every
name that comes from a model is text. A Content-Security-Policy that admits only the page's
own script (by hash) is a second wall should a value ever reach the page unescaped.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trnport.analyzers.report.gate import GateOutcome
from trnport.analyzers.report.graph_section import graph_json, graph_page_script
from trnport.analyzers.report.memory_view import layout_fit, memory_view
from trnport.analyzers.report.report_view import (
    STATUS_LABELS,
    VERDICT_HEADLINES,
    anchor,
    checklist,
    converter_fix_text,
    finding_groups,
    module_items,
    provenance_kinds,
    provenance_rows,
    rewrite_items,
)
from trnport.analyzers.report.rule_docs import load_rule_docs
from trnport.analyzers.report.source_links import SourceLinks, text_at, token_breaks
from trnport.analyzers.results import SEVERITIES, STATUSES, Location, Report
from trnport.analyzers.results.printable import printable
from trnport.analyzers.results.units import human_bytes, human_count, human_flops

if TYPE_CHECKING:  # both are imported only when a page is rendered
    import jinja2
    from markupsafe import Markup

_FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
_INLINE_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_URL = re.compile(r"(https?://[^\s<>\"'`]+?)([;,.)]*(?:\s|$))")


def templates_dir() -> Path:
    return Path(str(resources.files("trnport.resources").joinpath("templates")))


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(bytes=human_bytes, flops=human_flops, count=human_count,
                       pct=lambda fraction: f"{fraction * 100:.2f}".rstrip("0").rstrip("."),
                       share=_share, tokens=wrap_at_tokens)
    env.globals.update(anchor=anchor)
    return env


def wrap_at_tokens(text: str) -> Markup:
    """``text`` escaped, with a line-break opportunity after each ``.``, ``_``, ``/`` and
    ``::``, so that long op, node and module names wrap between tokens, never inside one."""
    from markupsafe import Markup, escape

    return Markup("<wbr>").join(escape(piece) for piece in token_breaks(str(text)))


def _source_link(links: SourceLinks, model_path: str) -> Callable[[Any], Markup]:
    def render(location: Location) -> Markup:
        from markupsafe import Markup, escape

        url = links.url(location, model_path)
        label = wrap_at_tokens(text_at(location))
        if url is None:
            return Markup(f"<code>{label}</code>")
        return Markup(f'<a class="src" href="{escape(url)}" title="open the source">'
                      f"<code>{label}</code></a>")
    return render


def _share(fraction: float) -> str:
    """A fraction as a percentage a reader can compare: '73%', '0.4%', '<0.01%'."""
    percent = fraction * 100
    if percent == 0:
        return "0%"
    if percent < 0.01:
        return "<0.01%"
    if percent < 1:
        return f"{percent:.2f}".rstrip("0").rstrip(".") + "%"
    if percent < 10:
        return f"{percent:.1f}".rstrip("0").rstrip(".") + "%"
    return f"{percent:.0f}%"


def markdown_to_html(text: str) -> Markup:
    """The small Markdown subset of the rule pages (paragraphs, fenced code, inline code,
    bold, ``-`` lists) as HTML. The text is escaped before any tag is added."""
    from markupsafe import Markup, escape

    def inline(chunk: str) -> str:
        html = str(escape(chunk))
        html = _INLINE_CODE.sub(r"<code>\1</code>", html)
        html = _URL.sub(r'<a href="\1">\1</a>\2', html)
        return _BOLD.sub(r"<strong>\1</strong>", html)

    out: list[str] = []
    position = 0
    for fence in _FENCE.finditer(text):
        out.append(_paragraphs(text[position:fence.start()], inline))
        out.append(f"<pre><code>{escape(fence.group(1).rstrip())}</code></pre>")
        position = fence.end()
    out.append(_paragraphs(text[position:], inline))
    return Markup("".join(out))


def _paragraphs(text: str, inline: Callable[[str], str]) -> str:
    html = []
    for block in (b.strip() for b in text.split("\n\n")):
        if not block:
            continue
        lines = block.splitlines()
        if all(line.lstrip().startswith("- ") for line in lines):
            items = "".join(f"<li>{inline(line.lstrip()[2:])}</li>" for line in lines)
            html.append(f"<ul>{items}</ul>")
        else:
            html.append(f"<p>{inline(' '.join(lines))}</p>")
    return "".join(html)


def _rule_pages(codes: list[str]) -> list[dict[str, Any]]:
    docs = load_rule_docs()
    pages = []
    for code in codes:
        doc = docs.get(code)
        if doc is not None:
            pages.append({"code": code, "symbol": doc.symbol, "summary": doc.summary,
                          "sections": [(h, markdown_to_html(b)) for h, b in doc.sections]})
    return pages


def _asset(name: str) -> str:
    return (templates_dir() / name).read_text(encoding="utf-8")


def _csp(*scripts: str) -> str:
    digests = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode('utf-8')).digest()).decode()}'"
        for s in scripts)
    return ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src {digests}; base-uri 'none'; form-action 'none'")


def render_html(report: Report, gate: GateOutcome | None = None,
                source_links: SourceLinks | None = None) -> str:
    """The report as one self-contained HTML page; ``source_links`` says how locations link
    to the source (default: ``file://`` links)."""
    from markupsafe import Markup

    # a file name that is not UTF-8 is shown with its odd bytes as \xNN
    report = dataclasses.replace(
        report, model=dataclasses.replace(report.model, path=printable(report.model.path)))

    script = _asset("report.js")
    graph = graph_json(report)
    graph_script = graph_page_script() if graph else ""
    groups = finding_groups(report, gate)
    rewrites = rewrite_items(report.rewrites)
    codes = sorted({f.code for f in report.findings})
    status_counts = {status: sum(r.count for r in report.operators if r.status == status)
                     for status in STATUSES}
    nodes_total = sum(report.summary.nodes_by_status.values()) or 1
    page = _environment().get_template("report.html.j2").render(
        report=report,
        gate=gate,
        headline=VERDICT_HEADLINES.get(report.summary.verdict, report.summary.verdict),
        converter_fix=converter_fix_text(report),
        stages=checklist(report),
        groups=groups,
        severities=SEVERITIES,
        statuses=STATUSES,
        status_labels=STATUS_LABELS,
        status_counts=status_counts,
        status_fractions={s: report.summary.nodes_by_status.get(s, 0) / nodes_total
                          for s in STATUSES},
        modules=module_items(report),
        memory=memory_view(report.memory),
        rewrites=rewrites,
        rewrite_anchors={item.ident: item.anchor for item in rewrites},
        provenance=provenance_rows(report),
        provenance_kinds=provenance_kinds(report),
        memory_fit=layout_fit(report.memory),
        rule_pages=_rule_pages(codes),
        finding_codes=codes,
        finding_categories=sorted({f.category for f in report.findings}),
        source_link=_source_link(source_links or SourceLinks(), report.model.path),
        documented_codes=set(load_rule_docs()),
        style=Markup(_asset("report.css") + (_asset("graph.css") if graph else "")),
        script=Markup(script),
        graph_json=Markup(graph) if graph else None,  # escaped for a script element
        graph_script=Markup(graph_script),
        csp=Markup(_csp(script, graph_script) if graph else _csp(script)),
    )
    return page if page.endswith("\n") else page + "\n"
