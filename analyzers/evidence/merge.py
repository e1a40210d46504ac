"""Fold compiler evidence into a report: operator verdicts the compiler settled replace the
knowledge base's, the evidence's findings join the report's, the summary is recounted."""

from __future__ import annotations

import dataclasses

from trnport.analyzers.evidence.model import CompilerEvidence
from trnport.analyzers.results import (
    SEVERITIES,
    STATUSES,
    Finding,
    OperatorRow,
    Report,
    verdict_for,
)

#: the rule that says "the knowledge base does not know this op": moot once compiled
_UNKNOWN_OP = "TRN105"


def packet(op: str) -> str:
    """``aten.topk.default`` → ``aten.topk`` (what analyze() reports); other names as is."""
    parts = op.replace("::", ".", 1).split(".")
    return ".".join(parts[:2]) if parts[0] == "aten" else op


def merge_evidence(report: Report, evidence: CompilerEvidence, kb=None) -> Report:
    """``report`` with ``evidence`` merged. ``kb`` (optional) maps ONNX rows to the ATen ops
    they become, so compiler verdicts on those ops reach ONNX operators too."""
    rows = tuple(_row_with_evidence(row, evidence, kb) for row in report.operators)
    compiled = {row.op for row, old in zip(rows, report.operators, strict=True)
                if old.status == "unknown" and row.status == "supported"}
    kept = tuple(f for f in report.findings
                 if not (f.code == _UNKNOWN_OP and f.ops and set(f.ops) <= compiled))
    findings = kept + tuple(_located(f, report.findings) for f in evidence.findings)
    merged = recount(report, rows, findings)
    note = f"compiler evidence merged: {evidence.source}"
    return dataclasses.replace(merged, diagnostics=(*report.diagnostics, note, *evidence.notes))


def recount(report: Report, rows: tuple[OperatorRow, ...], findings: tuple[Finding, ...]
            ) -> Report:
    """``report`` with new operator rows and findings (sorted), its summary recounted."""
    findings = _sorted(findings)
    by_status = dict.fromkeys(STATUSES, 0)
    for row in rows:
        by_status[row.status] = by_status.get(row.status, 0) + row.count
    total = sum(by_status.values())
    coverage = report.summary.coverage_pct
    if total:
        coverage = round(100.0 * (by_status["supported"] + by_status["conditional"]) / total, 2)
    by_severity = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        by_severity[finding.severity] += 1
    summary = dataclasses.replace(
        report.summary, verdict=verdict_for(by_severity), coverage_pct=coverage,
        nodes_by_status=by_status, findings_by_severity=by_severity)
    return dataclasses.replace(report, operators=rows, findings=findings, summary=summary)


def _aten_ops_of(row: OperatorRow, kb) -> set[str]:
    ops = {packet(row.op)}
    ops.update(packet(op) for op in row.source_ops)
    if kb is not None and not row.op.startswith("aten"):
        entry = kb.op(row.op)
        if entry is not None:
            ops.update(packet(op) for op in entry.aten)
    return ops


def _row_with_evidence(row: OperatorRow, evidence: CompilerEvidence, kb) -> OperatorRow:
    own = packet(row.op)
    related = _aten_ops_of(row, kb)
    compiler = _compiler_name(evidence)
    # an op compiled in some configurations and rejected in others (another dtype or
    # shape) keeps the knowledge base's verdict; the finding still reports the rejection
    rejected = {op for op in related & evidence.rejected_ops if op not in evidence.supported_ops}
    if rejected:
        names = ", ".join(sorted(rejected))
        return dataclasses.replace(
            row, status="unsupported", reason=f"{compiler} rejected {names}", confidence="high")
    if row.status == "unknown" and own in evidence.supported_ops:
        return dataclasses.replace(
            row, status="supported", reason=f"{compiler} compiled it", confidence="high")
    return row


def _compiler_name(evidence: CompilerEvidence) -> str:
    version = f" {evidence.neuronx_cc}" if evidence.neuronx_cc else ""
    return f"neuronx-cc{version} ({evidence.tool})"


def _located(finding: Finding, existing: tuple[Finding, ...]) -> Finding:
    """An evidence finding without a place borrows the nodes and location of the report's
    own finding for the same op, so it still points at the user's source line."""
    if finding.nodes or finding.location.file or not finding.ops:
        return finding
    for other in existing:
        if set(finding.ops) & ({packet(op) for op in other.ops} | set(other.ops)):
            return dataclasses.replace(finding, nodes=other.nodes, location=other.location)
    return finding


def _sorted(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (
        SEVERITIES.index(f.severity), f.code, f.location.file or "", f.location.line or 0,
        f.message)))
