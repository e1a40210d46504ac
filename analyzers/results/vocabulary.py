"""The words every stage and every reader of a report share: the report schema's id, node
statuses, finding severities and categories, and the model verdict they add up to."""

from __future__ import annotations

from collections.abc import Mapping

SCHEMA_ID = "trnport.report/1"
STATUSES = ("supported", "conditional", "cpu_fallback", "unsupported", "unknown")
SEVERITIES = ("error", "warning", "info")
CATEGORIES = (
    "unsupported_op", "cpu_fallback", "dtype", "dynamic_shape", "control_flow", "numerical",
    "memory", "compile_limit", "recompilation", "performance", "porting",
)

# why a fix-first action ranks where it does, most urgent first
IMPACTS = ("blocks-compile", "host-time", "lossy-numerics", "performance")


def verdict_for(findings_by_severity: Mapping[str, int]) -> str:
    """``blocked`` on any error, ``needs-work`` on warnings, else ``ready``."""
    if findings_by_severity.get("error"):
        return "blocked"
    if findings_by_severity.get("warning"):
        return "needs-work"
    return "ready"
