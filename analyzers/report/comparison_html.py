"""The comparison of two analyses as one self-contained HTML page (the report's style sheet,
no script; autoescaped, so every model name is text)."""

from __future__ import annotations

from trnport.analyzers.report.comparison import SCHEMA_ID, Comparison, status_text
from trnport.analyzers.report.html_renderer import _asset, _environment
from trnport.analyzers.results import SEVERITIES


def render_comparison_html(comparison: Comparison) -> str:
    """The page for ``comparison``."""
    from markupsafe import Markup

    name = comparison.model.replace("\\", "/").rstrip("/").split("/")[-1]
    page = _environment().get_template("compare.html.j2").render(
        comparison=comparison, model_name=name, severities=SEVERITIES,
        status_text=status_text, schema=SCHEMA_ID, style=Markup(_asset("report.css")),
    )
    return page if page.endswith("\n") else page + "\n"
