"""The report model and its renderers."""

from trnport.analyzers.report.html_renderer import render_html
from trnport.analyzers.report.json_renderer import render_json, report_to_dict
from trnport.analyzers.report.junit_renderer import render_junit
from trnport.analyzers.report.markdown_renderer import render_markdown
from trnport.analyzers.report.model import (
    SCHEMA_ID,
    Finding,
    KbInfo,
    Location,
    ModelInfo,
    OperatorRow,
    Provenance,
    Report,
    Summary,
    TargetInfo,
    ToolInfo,
)
from trnport.analyzers.report.sarif_renderer import render_sarif
from trnport.analyzers.report.text_renderer import render_text

RENDERERS = {"json": render_json, "text": render_text, "html": render_html,
             "junit": render_junit, "sarif": render_sarif, "markdown": render_markdown}

__all__ = [
    "RENDERERS", "SCHEMA_ID", "Finding", "KbInfo", "Location", "ModelInfo", "OperatorRow",
    "Provenance", "Report", "Summary", "TargetInfo", "ToolInfo", "render_json", "render_text",
    "report_to_dict",
]
