"""Report ↔ ``trnport.report/1`` JSON."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from trnport.analyzers.report.model import Finding, Report


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    data = dataclasses.asdict(finding)
    data["ops"] = list(finding.ops)
    data["nodes"] = list(finding.nodes)
    data["count"] = finding.count
    return data


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON-ready data, keys in the schema's order."""
    return {
        "schema": report.schema,
        "tool": dataclasses.asdict(report.tool),
        "kb": dataclasses.asdict(report.kb),
        "target": dataclasses.asdict(report.target),
        "model": dataclasses.asdict(report.model),
        "summary": dataclasses.asdict(report.summary),
        "findings": [finding_to_dict(f) for f in report.findings],
        "operators": [
            {**dataclasses.asdict(row), "source_ops": list(row.source_ops)}
            for row in report.operators
        ],
        "memory": report.memory,
        "rewrites": list(report.rewrites),
        "diagnostics": list(report.diagnostics),
        "modules": [dataclasses.asdict(row) for row in report.modules],
    }


def render_json(report: Report) -> str:
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"
