"""Presentation: the report's renderers (text, JSON, HTML, JUnit, SARIF, Markdown, a
Model Explorer node-data overlay), the CI
gate they mark failures by, and the views the HTML and Markdown pages share. The report
itself is :class:`trnport.analyzers.results.Report`."""

from trnport.analyzers.report.html_renderer import render_html
from trnport.analyzers.report.json_renderer import render_json
from trnport.analyzers.report.junit_renderer import render_junit
from trnport.analyzers.report.markdown_renderer import render_markdown
from trnport.analyzers.report.model_explorer import render_model_explorer
from trnport.analyzers.report.sarif_renderer import render_sarif
from trnport.analyzers.report.text_renderer import render_text

RENDERERS = {"json": render_json, "text": render_text, "html": render_html,
             "junit": render_junit, "sarif": render_sarif, "markdown": render_markdown,
             "model-explorer": render_model_explorer}

__all__ = ["RENDERERS", "render_html", "render_json", "render_junit", "render_markdown",
           "render_model_explorer", "render_sarif", "render_text"]
