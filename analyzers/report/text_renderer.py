"""A terminal summary of a report: verdict, counts, findings grouped by severity, top ops."""

from __future__ import annotations

from trnport.analyzers.report.memory_text import render_memory
from trnport.analyzers.report.report_view import (
    by_call_site,
    converter_fix_text,
    layout_text,
    location_text,
)
from trnport.analyzers.results import SEVERITIES, STATUSES, Finding, FixAction, Report
from trnport.analyzers.results.printable import printable
from trnport.analyzers.results.units import human_bytes, human_count

_MAX_OPERATOR_ROWS = 25


def _fix_first_lines(actions: tuple[FixAction, ...]) -> list[str]:
    """The ranked actions, one line each, with the place to open under it."""
    if not actions:
        return []
    lines = ["", "FIX FIRST:"]
    for action in actions:
        lines.append(f"  {action.rank}. [{action.severity}] {action.action}")
        where = action.location
        if where is not None and where.file and where.line:
            lines.append(f"     at {where.file}:{where.line}")
    return lines


def render_text(report: Report) -> str:
    """The report as plain text for a terminal or a CI log."""
    model, target, summary = report.model, report.target, report.summary
    lines = [
        f"trnport {report.tool.version}: {model.path}",
        f"  format {model.format}, {model.nodes} nodes, {human_count(model.params)} parameters"
        f" ({human_bytes(model.param_bytes, largest='GiB')} as stored)",
        f"  target {target.family}{f' ({target.instance})' if target.instance else ''}, "
        f"{target.mode}, {target.dtype}, batch {target.batch}"
        f"{f', seq {target.seq_len}' if target.seq_len else ''}, {layout_text(target)}"
        f"{f', ep {target.ep}' if target.ep > 1 else ''}; "
        f"SDK profile {report.kb.profile}"
        f"{f' (neuronx-cc {report.kb.neuronx_cc})' if report.kb.neuronx_cc else ''}; "
        f"stack {target.stack_text}",
        "",
        f"verdict: {summary.verdict.upper()}   coverage {summary.coverage_pct:.1f}% of nodes"
        + (f", {summary.flops_coverage_pct:.1f}% of FLOPs"
           if summary.flops_coverage_pct is not None else ""),
        "  nodes: " + ", ".join(f"{summary.nodes_by_status.get(s, 0)} {s}" for s in STATUSES),
    ]
    by_sev = summary.findings_by_severity
    lines.append("  findings: " + ", ".join(f"{by_sev.get(s, 0)} {s}" for s in SEVERITIES))
    lines += [f"  not analysed: {gap}" for gap in summary.not_analysed]
    fix_text = converter_fix_text(report)
    if fix_text:
        lines.append(f"  {fix_text}")
    lines += _fix_first_lines(summary.fix_first)
    for severity in SEVERITIES:
        group = [f for f in report.findings if f.severity == severity]
        if not group:
            continue
        lines += ["", f"{severity.upper()}S:" if len(group) > 1 else f"{severity.upper()}:"]
        for site, members in by_call_site(group):
            indent = "  "
            if site:  # findings made inside installed libraries, under the user's call
                lines.append(f"  at {site} (inside installed libraries):")
                indent = "    "
            for finding in members:
                lines += _finding_lines(finding, indent, at=not site)
    memory_lines = render_memory(report.memory)
    if memory_lines:
        lines += ["", *memory_lines]
    rows = sorted(report.operators, key=lambda r: (STATUSES.index(r.status) * -1, -r.count))
    if rows:
        lines += ["", "OPERATORS (not fully supported first):"]
        width = min(max(len(r.op) for r in rows), 48)
        for row in rows[:_MAX_OPERATOR_ROWS]:
            lines.append(f"  {row.op:<{width}} {row.count:>6}  {row.status}")
        if len(rows) > _MAX_OPERATOR_ROWS:
            lines.append(f"  ... {len(rows) - _MAX_OPERATOR_ROWS} more in the JSON report")
    if report.diagnostics:
        lines += ["", "NOTES:"] + [f"  - {d}" for d in report.diagnostics]
    # one escape pass over every line: model strings cannot forge lines or drive the terminal
    return "\n".join(printable(line) for line in lines) + "\n"


def _finding_lines(finding: Finding, indent: str, *, at: bool) -> list[str]:
    """One finding: message, where (unless its call site heads the group), library line
    and fix."""
    lines = [f"{indent}{finding.code} {finding.symbol} x{finding.count}: {finding.message}"]
    where = location_text(finding)
    if at and where:
        more = len(finding.also_at)
        lines.append(f"{indent}    at {where}"
                     + (f" (and {more} more place{'' if more == 1 else 's'})" if more else ""))
    library = finding.location.library
    if library:
        module = finding.location.module
        lines.append(f"{indent}    library: {library}{f' in {module}' if module else ''}")
    lines.append(f"{indent}    fix: {finding.fix}")
    return lines
