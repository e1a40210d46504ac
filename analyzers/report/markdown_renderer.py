"""A Markdown summary for pull-request comments and CI step summaries (GitHub-flavoured).

Names from the model are untrusted here too: identifiers go into code spans whose fence is
longer than any backtick run inside them, prose is backslash-escaped, ``@`` is broken
so that a node called ``@team`` mentions nobody, and control characters are escaped.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence

from trnport.analyzers.report.gate import GateOutcome
from trnport.analyzers.report.memory_view import GridCell, memory_view
from trnport.analyzers.report.report_view import (
    STATUS_LABELS,
    VERDICT_HEADLINES,
    by_call_site,
    checklist,
    converter_fix_text,
    location_text,
    rewrite_items,
)
from trnport.analyzers.report.rule_docs import DOCS_URL_ENV, load_rule_docs, rule_help_uri
from trnport.analyzers.results import SEVERITIES, STATUSES, Finding, Report
from trnport.analyzers.results.printable import printable
from trnport.analyzers.results.units import human_bytes, human_flops

_VERDICT_MARK = {"blocked": "🔴", "needs-work": "🟠", "ready": "🟢"}
_SEVERITY_MARK = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}
_STAGE_MARK = {"ok": "✅", "warn": "⚠️", "fail": "❌", "skip": "➖"}
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+!|~^$])")
_MAX_FINDINGS = 50
_MAX_OPERATORS = 30


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def text(value: object) -> str:
    """Prose from the model, safe inside a table cell."""
    escaped = _PUNCTUATION.sub(r"\\\1", _one_line(str(value)))
    return escaped.replace("&", "&amp;").replace("@", "@\u200b")


def code(value: object) -> str:
    """An identifier from the model as a code span, safe inside a table cell."""
    raw = _one_line(str(value))
    longest = max((len(run) for run in re.findall(r"`+", raw)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {raw.replace('|', chr(92) + '|')} {fence}"


def _header(report: Report, gate: GateOutcome | None) -> list[str]:
    s, t = report.summary, report.target
    model_name = report.model.path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    target = f"{t.family}{f' ({t.instance})' if t.instance else ''}, {t.mode}, {t.dtype}"
    lines = [
        f"### {_VERDICT_MARK.get(s.verdict, '')} trnport: {code(model_name)} is "
        f"**{s.verdict}** on {text(target)}",
        "",
        text(VERDICT_HEADLINES.get(s.verdict, s.verdict)) + ".",
        "",
        "| Coverage | FLOPs coverage | Errors | Warnings | Hints | Nodes | SDK profile | Stack |",
        "|---:|---:|---:|---:|---:|---:|---|---|",
        f"| {s.coverage_pct:.1f}% | "
        f"{'—' if s.flops_coverage_pct is None else f'{s.flops_coverage_pct:.1f}%'} "
        f"| {s.findings_by_severity.get('error', 0)} "
        f"| {s.findings_by_severity.get('warning', 0)} | {s.findings_by_severity.get('info', 0)} "
        f"| {report.model.nodes} | {text(report.kb.profile)}"
        f"{f' (neuronx-cc {text(report.kb.neuronx_cc)})' if report.kb.neuronx_cc else ''} "
        f"| {text(t.stack_text)} |",
        "",
    ]
    notes = [f"Not analysed: {text(gap)}" for gap in s.not_analysed]
    command = "\x00"  # escaped with the sentence, then set as code
    fix_text = converter_fix_text(report, quote=lambda _command: command)
    if fix_text and s.converter_fix is not None:
        notes.append(text(fix_text).replace(command, code(s.converter_fix.command)))
    lines += [line for note in notes for line in (note, "")]
    if gate is not None:
        lines += [_gate_line(report, gate), ""]
    return lines


def _gate_line(report: Report, gate: GateOutcome) -> str:
    verdict = "**CI gate failed**" if gate.failed else "**CI gate passed**"
    parts = []
    if gate.fail_on != "none":
        scope = " new" if gate.states is not None else ""
        parts.append(f"{gate.failing_count}{scope} finding(s) at or above `{gate.fail_on}`")
    if gate.states is not None:
        label = f" {code(gate.baseline_label)}" if gate.baseline_label else ""
        parts.append(f"baseline{label}: {gate.new_count} new, "
                     f"{len(gate.states) - (gate.new_count or 0)} unchanged")
    if gate.min_coverage is not None:
        parts.append(f"coverage {report.summary.coverage_pct:.1f}% (minimum "
                     f"{gate.min_coverage}%)")
    return f"{verdict}: {'; '.join(parts) or 'nothing gated'}."


def _fix_first(report: Report) -> list[str]:
    """The ranked actions as a numbered list, one line each."""
    actions = report.summary.fix_first
    if not actions:
        return []
    lines = ["**Fix first**", ""]
    for action in actions:
        where = action.location
        at = (f" · {code(f'{where.file}:{where.line}')}"
              if where is not None and where.file and where.line else "")
        lines.append(f"{action.rank}. {_SEVERITY_MARK[action.severity]} {text(action.action)}{at}")
    return [*lines, ""]


def _findings(report: Report, gate: GateOutcome | None) -> list[str]:
    if not report.findings:
        return ["No findings for this target.", ""]
    lines = [*_codes(report),
             f"<details open><summary><b>Findings ({len(report.findings)})</b></summary>", "",
             "| | Code | Finding | Location | Fix |", "|---|---|---|---|---|"]
    order = _grouped_order(report.findings)
    for index in order[:_MAX_FINDINGS]:
        finding = report.findings[index]
        tags = []
        if gate is not None and gate.states is not None:
            tags.append(f"**{gate.states[index]}**")
        if gate is not None and gate.failing[index]:
            tags.append("**fails gate**")
        where = location_text(finding)
        if finding.location.library:
            where = f"{where} → {finding.location.library}" if where else finding.location.library
        lines.append(
            f"| {_SEVERITY_MARK[finding.severity]} | {_code_link(finding.code)} {finding.symbol} "
            f"| {text(finding.message)}{' · ' + ' '.join(tags) if tags else ''} "
            f"| {code(where) if where else '—'} | {text(finding.fix)} |")
    if len(report.findings) > _MAX_FINDINGS:
        lines.append(f"\n… and {len(report.findings) - _MAX_FINDINGS} more in the full report.")
    return [*lines, "", "</details>", ""]


def _grouped_order(findings: Sequence[Finding]) -> list[int]:
    """Finding indices by severity; within one, findings made inside installed libraries
    follow the first one of their user call site."""
    order: list[int] = []
    for severity in SEVERITIES:
        chosen = [f for f in findings if f.severity == severity]
        for _, members in by_call_site(chosen):
            order += [_index_of(findings, member) for member in members]
    return order


def _index_of(findings: Sequence[Finding], finding: Finding) -> int:
    return next(i for i, f in enumerate(findings) if f is finding)


def _code_link(rule: str) -> str:
    """The code, linked to its rule page when the pages are hosted (TRNPORT_RULE_DOCS_URL);
    a ``file:`` link would mean nothing in a pull-request comment."""
    if os.environ.get(DOCS_URL_ENV) and rule in load_rule_docs():
        return f"[{rule}]({rule_help_uri(rule)})"
    return rule


def _codes(report: Report) -> list[str]:
    """One row per finding code: how many, how severe, what kind of problem."""
    counts = Counter((f.severity, f.code, f.symbol, f.category) for f in report.findings)
    if len(counts) < 2:
        return []
    lines = ["| | Code | Category | Findings |", "|---|---|---|---:|"]
    for (severity, rule, symbol, category), n in sorted(
            counts.items(), key=lambda kv: (SEVERITIES.index(kv[0][0]), kv[0][1])):
        lines.append(f"| {_SEVERITY_MARK[severity]} | {_code_link(rule)} {text(symbol)} "
                     f"| {text(category.replace('_', ' '))} | {n} |")
    return [*lines, ""]


def _fence(body: str, language: str = "") -> list[str]:
    """A fenced code block longer than any backtick run in ``body``."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *body.rstrip("\n").splitlines(), fence]


def _rewrites(report: Report) -> list[str]:
    items = rewrite_items(report.rewrites)
    if not items:
        return []
    lines = [f"<details><summary><b>Rewrites ({len(items)})</b></summary>", ""]
    for item in items:
        rank = f"{item.rank}. " if item.rank else "- "
        gains = "; ".join(text_ for _, text_ in item.gains)
        how = " (automated)" if item.automated else ""
        lines.append(f"{rank}{code(item.ident)}{how}: {text(item.title)}"
                     + (f" — {text(gains)}" if gains else ""))
        if item.apply:
            lines += ["", *_fence(item.apply, "sh")]
        if item.diff:
            lines += ["", *_fence("\n".join(line for _, line in item.diff), "diff")]
        lines.append("")
    return [*lines, "</details>", ""]


def _checklist(report: Report) -> list[str]:
    lines = ["| Stage | Result |", "|---|---|"]
    for stage in checklist(report):
        lines.append(f"| {_STAGE_MARK[stage.state]} {stage.title} | {text(stage.summary)} |")
    return [*lines, ""]


def _operators(report: Report) -> list[str]:
    rows = [r for r in report.operators if r.status != "supported"]
    if not rows:
        return []
    rows.sort(key=lambda r: (-STATUSES.index(r.status), -r.count))
    lines = [f"<details><summary><b>Operators not fully supported ({len(rows)})</b></summary>",
             "", "| Operator | Status | Nodes | Reason |", "|---|---|---:|---|"]
    for row in rows[:_MAX_OPERATORS]:
        lines.append(f"| {code(row.op)} | {STATUS_LABELS[row.status]} | {row.count} "
                     f"| {text(row.reason) or '—'} |")
    if len(rows) > _MAX_OPERATORS:
        lines.append(f"\n… and {len(rows) - _MAX_OPERATORS} more in the full report.")
    return [*lines, "", "</details>", ""]


def _memory(report: Report) -> list[str]:
    memory = report.memory
    view = memory_view(memory)
    if memory is None or (view.grid is None and not view.components):
        return []
    lines = ["<details><summary><b>Memory fit per NeuronCore</b></summary>", ""]
    if view.chosen:
        lines += [f"Chosen layout: {text(view.chosen)}.", ""]
    if view.grid is not None:
        # One sequence length (the chosen one) keeps the table narrow enough for a comment.
        chosen_seq = memory.per_core.seq_len or report.target.seq_len
        seq = f"seq {chosen_seq}" if chosen_seq else ""
        keep = [i for i, (group, _) in enumerate(view.grid.columns) if group == seq] or \
            [i for i, (group, _) in enumerate(view.grid.columns)
             if group == view.grid.columns[0][0]]
        labels = [view.grid.columns[i][1] for i in keep]
        lines.append(f"| {text(view.grid.title)} ({text(view.grid.columns[keep[0]][0]) or '—'})"
                     " | " + " | ".join(text(label) for label in labels) + " |")
        lines.append("|---|" + "---|" * len(keep))
        for label, cells in view.grid.rows:
            marks = [_fit_mark(cells[i]) for i in keep]
            lines.append(f"| {label} | " + " | ".join(marks) + " |")
        lines.append("")
    if view.components:
        hbm = f" ({text(view.hbm_label)} {human_bytes(view.hbm_bytes)})" if view.hbm_bytes else ""
        parts = ", ".join(f"{text(b.label)} {human_bytes(b.value)}" for b in view.components)
        lines += [f"Per core{hbm}: {parts}.", ""]
    if not memory.activations_sized:
        lines += ["Compute: not sized (activations not sized).", ""]
    elif view.flops_total:
        coverage = report.summary.flops_coverage_pct
        lines += [f"Compute: {human_flops(view.flops_total)} per step"
                  + (f", {coverage:.1f}% of it in supported operators" if coverage is not None
                     else "") + ".", ""]
    return [*lines, "</details>", ""]


def _fit_mark(cell: GridCell | None) -> str:
    if cell is None:
        return "·"
    mark = {"fits": "🟩", "tight": "🟨", "does-not-fit": "🟥"}.get(cell.state, "⬜")
    return f"{mark} {cell.label}{' (chosen)' if cell.chosen else ''}"


def render_markdown(report: Report, gate: GateOutcome | None = None) -> str:
    """One model's summary in GitHub-flavoured Markdown."""
    lines = [*_header(report, gate), *_fix_first(report), *_checklist(report),
             *_findings(report, gate),
             *_operators(report), *_memory(report), *_rewrites(report),
             f"<sub>trnport {text(report.tool.version)} · SDK profile "
             f"{text(report.kb.profile)} · model sha256 {report.model.sha256[:12]}</sub>", ""]
    # control characters and ANSI escapes from the model, in prose or in a code block
    return "\n".join(printable(line) for line in lines)


def render_markdown_many(reports: Sequence[Report],
                         gates: Sequence[GateOutcome | None] | None = None) -> str:
    """Several models' summaries, one after another."""
    gates = list(gates) if gates is not None else [None] * len(reports)
    return "\n---\n\n".join(render_markdown(r, g) for r, g in zip(reports, gates, strict=True))
