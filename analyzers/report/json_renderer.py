"""The report as ``trnport.report/1`` JSON text; the JSON form itself is
:mod:`trnport.analyzers.results.codec`'s."""

from __future__ import annotations

import json

from trnport.analyzers.results import Report
from trnport.analyzers.results.codec import report_to_dict


def render_json(report: Report) -> str:
    """The report as indented JSON, non-ASCII text kept as it is."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"
