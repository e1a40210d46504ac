"""A report arranged for reading: the staged checklist, findings grouped by severity and
code, operator status counts and rewrites — shared by the HTML and Markdown renderers.

Everything here is plain data; escaping is the templates' job (autoescaping), so values
keep the model's text exactly as it was.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from trnport.analyzers.report.gate import GateOutcome
from trnport.analyzers.report.memory_view import layout_fit
from trnport.analyzers.results import (
    SEVERITIES,
    STATUSES,
    Finding,
    Report,
    RewriteSuggestion,
    TargetInfo,
)
from trnport.analyzers.results.units import human_flops

# Which checklist stage a finding's category belongs to.
STAGE_CATEGORIES = {
    "coverage": ("unsupported_op", "cpu_fallback"),
    "memory": ("memory", "compile_limit"),
    "hazards": ("dtype", "dynamic_shape", "control_flow", "numerical", "recompilation",
                "performance", "porting"),
}
STATUS_LABELS = {
    "supported": "supported", "conditional": "conditional", "cpu_fallback": "host fallback",
    "unsupported": "unsupported", "unknown": "unknown",
}
VERDICT_HEADLINES = {
    "blocked": "Blocked: will not compile or run on the target as it is",
    "needs-work": "Needs work: runs, but degrades on the target",
    "ready": "Ready: no blocking findings for this target",
}
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Stage:
    key: str
    title: str
    state: str  # ok | warn | fail | skip
    summary: str


@dataclass(frozen=True)
class FindingItem:
    finding: Finding
    where: str
    failing: bool
    state: str | None  # new | unchanged | None (no baseline)


@dataclass(frozen=True)
class FindingGroup:
    code: str
    symbol: str
    severity: str
    items: tuple[FindingItem, ...]

    @property
    def count(self) -> int:
        return sum(item.finding.count or 1 for item in self.items)

    @property
    def has_nodes(self) -> bool:
        return any(item.finding.nodes for item in self.items)

    @property
    def common_fix(self) -> str:
        """The fix when every finding of the group shares it (shown once), else ''."""
        fixes = {item.finding.fix for item in self.items}
        return fixes.pop() if len(fixes) == 1 and len(self.items) > 1 else ""

    @property
    def category(self) -> str:
        return self.items[0].finding.category


def anchor(prefix: str, name: str) -> str:
    """An HTML id made only of safe characters."""
    return f"{prefix}-{_ANCHOR_UNSAFE.sub('-', name).strip('-') or 'x'}"


def layout_text(target: TargetInfo) -> str:
    """``tp 8 (smallest that fits)``: the layout analysed, and who chose it."""
    text = f"tp {target.tp}" + (f", pp {target.pp}" if target.pp > 1 else "")
    chosen = target.layout_source == "auto" and target.tp * target.pp > 1
    return f"{text} (smallest that fits)" if chosen else text


def location_text(finding: Finding) -> str:
    """``file:line in module`` with whatever parts are known ('' when none is): the user's
    call site; the library line it called into is ``finding.location.library``."""
    loc = finding.location
    where = f"{loc.file}:{loc.line}" if loc.file and loc.line else (loc.file or "")
    if loc.module:
        where = f"{where} in {loc.module}" if where else loc.module
    return where


def call_site_text(finding: Finding) -> str:
    """The user's line a finding traces back to (``file:line``), else its module path."""
    loc = finding.location
    if loc.file and loc.line:
        return f"{loc.file}:{loc.line}"
    return loc.file or loc.module or "model"


def by_call_site(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    """Findings in report order, those made inside installed libraries gathered under the
    user's call site they came from (``('', [finding])`` for each of the others)."""
    groups: list[tuple[str, list[Finding]]] = []
    sites: dict[str, list[Finding]] = {}
    for finding in findings:
        if not finding.location.library:
            groups.append(("", [finding]))
            continue
        site = call_site_text(finding)
        if site not in sites:
            sites[site] = []
            groups.append((site, sites[site]))
        sites[site].append(finding)
    return groups


def finding_groups(report: Report, gate: GateOutcome | None) -> dict[str, list[FindingGroup]]:
    """Severity → groups of findings sharing a code, in report order."""
    by_code: dict[tuple[str, str], list[FindingItem]] = {}
    for index, finding in enumerate(report.findings):
        item = FindingItem(
            finding=finding, where=location_text(finding),
            failing=bool(gate and gate.failing[index]),
            state=gate.states[index] if gate and gate.states else None,
        )
        by_code.setdefault((finding.severity, finding.code), []).append(item)
    groups: dict[str, list[FindingGroup]] = {severity: [] for severity in SEVERITIES}
    for (severity, code), items in by_code.items():
        groups.setdefault(severity, []).append(FindingGroup(
            code=code, symbol=items[0].finding.symbol, severity=severity,
            items=tuple(_by_site(items))))
    return {severity: group for severity, group in groups.items() if group}


def _by_site(items: list[FindingItem]) -> list[FindingItem]:
    """A group's items with those made inside installed libraries gathered under their
    user call site (see :func:`by_call_site`)."""
    by_finding = {id(item.finding): item for item in items}
    return [by_finding[id(f)] for _, members in by_call_site([i.finding for i in items])
            for f in members]


_STATE_RANK = ("skip", "ok", "warn", "fail")
_FIT_STAGE_STATE = {"fits": "ok", "tight": "warn", "does-not-fit": "fail"}


def converter_fix_text(report: Report,
                       quote: Callable[[str], str] = lambda command: f"`{command}`",
                       ) -> str | None:
    """One line on an ONNX model's errors that only the onnx2torch converter raises: how
    many, the command that fixes them (as ``quote`` writes it) and the rewrites it chains,
    and what still blocks Neuron. None when no automated rewrite answers an error."""
    fix = report.summary.converter_fix
    if fix is None:
        return None
    chain = ", then ".join(fix.chain)
    text = (f"{_errors_block(fix.converter_errors)} only the onnx2torch converter at this "
            f"opset: {quote(fix.command)} applies {chain}, each verified")
    if fix.fixable:
        return f"fixable: {text}"
    rest = [f"{_errors_block(fix.neuron_errors)} Neuron itself"] if fix.neuron_errors else []
    if fix.by_hand_errors:
        rest.append(f"{_plural(fix.by_hand_errors, 'node')} onnx2torch cannot convert "
                    "need converting by hand")
    return "; ".join([text, *rest])


def _errors_block(count: int) -> str:
    return f"{_plural(count, 'error')} {'blocks' if count == 1 else 'block'}"


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _worst(findings: list[Finding]) -> str:
    severities = {f.severity for f in findings}
    if "error" in severities:
        return "fail"
    return "warn" if "warning" in severities else "ok"


def _count_text(findings: list[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    parts = [_plural(counts[s], s) for s in SEVERITIES if counts[s]]
    return ", ".join(parts) or "no findings"


def _in_stage(report: Report, stage: str) -> list[Finding]:
    return [f for f in report.findings if f.category in STAGE_CATEGORIES[stage]]


def checklist(report: Report) -> tuple[Stage, ...]:
    """loaded → normalised → coverage → memory fit → hazards → rewrites, each with a state."""
    model, summary = report.model, report.summary
    by_status = summary.nodes_by_status
    distinct_ops = len({row.op for row in report.operators})
    source_ops = {op for row in report.operators for op in row.source_ops}
    notes = f"; {_plural(len(report.diagnostics), 'loader note')}" if report.diagnostics else ""
    normalised = f"{distinct_ops} distinct operators after normalisation"
    if source_ops:
        normalised += f", from {len(source_ops)} source operator types"

    coverage_findings = _in_stage(report, "coverage")
    coverage_state = _worst(coverage_findings)
    if by_status.get("unsupported"):
        coverage_state = "fail"
    elif coverage_state == "ok" and any(by_status.get(s) for s in ("cpu_fallback", "unknown")):
        coverage_state = "warn"
    not_supported = [f"{by_status[s]} {STATUS_LABELS[s]}" for s in STATUSES[1:]
                     if by_status.get(s)]
    coverage_text = f"{summary.coverage_pct:.1f}% of nodes supported" + (
        f" ({', '.join(not_supported)})" if not_supported else "")

    memory_findings = _in_stage(report, "memory")
    if report.memory is not None or memory_findings:
        memory_state, memory_text = _worst(memory_findings), _memory_text(report)
        chosen = layout_fit(report.memory)
        if chosen in _FIT_STAGE_STATE:
            memory_state = max(memory_state, _FIT_STAGE_STATE[chosen], key=_STATE_RANK.index)
        if memory_findings:
            memory_text = f"{memory_text}; {_count_text(memory_findings)}"
    else:
        memory_state, memory_text = "skip", "not analysed in this report"

    hazard_findings = _in_stage(report, "hazards")
    with_rewrite = sum(1 for f in report.findings if f.rewrite)
    if report.rewrites or with_rewrite:
        rewrite_state = "warn" if with_rewrite else "ok"
        rewrite_text = (f"{_plural(len(report.rewrites), 'rewrite')} in this report; "
                        f"{with_rewrite} of {_plural(len(report.findings), 'finding')} name one")
    else:
        rewrite_state, rewrite_text = "ok", "no rewrite needed"
        if report.findings:
            rewrite_state, rewrite_text = "skip", "no catalogued rewrite applies"
    return (
        Stage("loaded", "Loaded", "ok", f"{model.format} model, {model.nodes} nodes{notes}"),
        Stage("normalised", "Normalised", "ok", normalised),
        Stage("coverage", "Operator coverage", coverage_state, coverage_text),
        Stage("memory", "Memory fit", memory_state, memory_text),
        Stage("hazards", "Hazards", _worst(hazard_findings), _count_text(hazard_findings)),
        Stage("rewrites", "Rewrites", rewrite_state, rewrite_text),
    )


def _memory_text(report: Report) -> str:
    memory = report.memory
    state = layout_fit(memory)
    target = report.target
    chosen = (" (chosen: smallest that fits)"
              if target.layout_source == "auto" and target.tp * target.pp > 1 else "")
    text = (f"{state.replace('-', ' ')} at TP {report.target.tp}{chosen}" if state
            else "analysed")
    if memory is not None and memory.smallest_tp is not None:
        text += f"; smallest TP that fits: {memory.smallest_tp}"
    elif memory is not None and state:
        text += "; no TP degree of this instance fits"
    return text


@dataclass(frozen=True)
class RewriteItem:
    anchor: str
    ident: str
    title: str
    before: str | None
    after: str | None
    rank: int
    automated: bool
    gains: tuple[tuple[str, str], ...] = ()
    codes: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    source: str = ""
    apply: str = ""
    diff: tuple[tuple[str, str], ...] = ()  # (add | del | hunk | file | context, line)
    diff_label: str = ""


def _gains(suggestion: RewriteSuggestion) -> tuple[tuple[str, str], ...]:
    """What applying the rewrite gains, in words, leaving out what it does not change."""
    gains = []
    for key, value, noun, verb in (
            ("nodes_on_device", suggestion.nodes_on_device, "node", "onto the device"),
            ("host_round_trips_removed", suggestion.host_round_trips_removed,
             "host round trip", "removed"),
            ("findings_cleared", suggestion.findings_cleared, "finding", "cleared")):
        if value > 0:
            gains.append((key, f"{_plural(value, noun)} {verb}"))
    if suggestion.flops_on_device > 0:
        gains.insert(1, ("flops_on_device",
                         f"{human_flops(suggestion.flops_on_device)} onto the device"))
    return tuple(gains)


def diff_lines(diff: str) -> tuple[tuple[str, str], ...]:
    """A unified diff as (kind, line) pairs for colouring; the text is kept as it is."""
    lines = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "context"
        lines.append((kind, line))
    return tuple(lines)


def rewrite_items(rewrites: tuple[RewriteSuggestion, ...]) -> tuple[RewriteItem, ...]:
    """Rewrites in rank order: what each gains, its before/after code, the source diff and
    the command that applies it."""
    items = [RewriteItem(
        anchor=anchor("rewrite", suggestion.id), ident=suggestion.id,
        title=suggestion.title or suggestion.id,
        before=suggestion.before or None, after=suggestion.after or None,
        rank=suggestion.rank,
        automated=suggestion.automated,
        gains=_gains(suggestion),
        codes=tuple(part.strip() for part in suggestion.codes.split(",") if part.strip()),
        nodes=suggestion.nodes,
        source=suggestion.source,
        apply=suggestion.apply or "",
        diff=diff_lines(suggestion.diff) if suggestion.diff and suggestion.diff.strip()
        else (),
        diff_label=suggestion.diff_label or "",
    ) for suggestion in rewrites]
    return tuple(sorted(items, key=lambda item: item.rank))


PROVENANCE_LABELS = {
    "rule": "static rule",
    "compiler-probe": "compiler probe (torch_neuronx.analyze run here)",
    "xla-probe": "xla probe (the model run on torch-xla's CPU device here)",
    "imported": "imported compiler evidence (analyze() result or neuronx-cc log)",
}


def provenance_kinds(report: Report) -> tuple[tuple[str, str, int], ...]:
    """(kind, what it means, number of findings) per provenance kind, static rules first."""
    counts = Counter(f.provenance.kind for f in report.findings)
    order = list(PROVENANCE_LABELS)
    kinds = sorted(counts, key=lambda k: (order.index(k) if k in order else len(order), k))
    return tuple((kind, PROVENANCE_LABELS.get(kind, kind), counts[kind]) for kind in kinds)


def provenance_rows(report: Report) -> tuple[tuple[str, str, int], ...]:
    """(kind, source, number of findings) for every distinct verdict source."""
    counts = Counter((f.provenance.kind, f.provenance.source) for f in report.findings)
    return tuple((kind, source, n) for (kind, source), n in sorted(counts.items()))


@dataclass(frozen=True)
class ModuleItem:
    module: str
    total: int
    problems: int
    fractions: tuple[tuple[str, float], ...]  # (status, share of the module's nodes)
    counts: tuple[tuple[str, int], ...]  # non-supported statuses with their node counts


def module_items(report: Report, limit: int = 25) -> tuple[ModuleItem, ...]:
    """Modules holding nodes that are not fully supported, most such nodes first."""
    items = []
    for row in report.modules:
        counts = row.nodes_by_status
        total = sum(counts.values())
        problems = total - counts.get("supported", 0)
        if not row.module or total == 0 or problems == 0:
            continue
        items.append(ModuleItem(
            module=row.module, total=total, problems=problems,
            fractions=tuple((s, counts.get(s, 0) / total) for s in STATUSES if counts.get(s)),
            counts=tuple((s, counts[s]) for s in STATUSES[1:] if counts.get(s)),
        ))
    items.sort(key=lambda item: (-item.problems, item.module))
    return tuple(items[:limit])
