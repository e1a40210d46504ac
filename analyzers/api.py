"""The engine's one entry point: ``analyze(source, options) -> Report``.

Stages run in order — load, coverage, memory, findings, report — each announced through
``progress(stage, fraction)``; ``cancel()`` is polled between stages and inside long ones,
and a True answer raises :class:`AnalysisCancelled`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trnport.analyzers import __version__
from trnport.analyzers.collector import collector_paused
from trnport.analyzers.errors import AnalysisCancelled
from trnport.analyzers.graph.ir import add_to_ancestors
from trnport.analyzers.loaders import load_model
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.results import (
    STATUSES,
    KbInfo,
    ModelInfo,
    ModuleRow,
    OperatorRow,
    Report,
    RewriteSuggestion,
    Summary,
    TargetInfo,
    ToolInfo,
    verdict_for,
)

ProgressCallback = Callable[[str, float], None]
CancelCallback = Callable[[], bool]
STAGES = ("load", "coverage", "memory", "findings", "report")
#: how the app's status bar and the command line's progress line name each stage
STAGE_LABELS = {"load": "Loading model", "coverage": "Checking operator coverage",
                "memory": "Estimating memory fit", "findings": "Applying rules",
                "report": "Building report", "done": "Done"}


def _file_digest(path: Path) -> str:
    """sha256 of the model file (for a model folder, of its config.json); external data
    files of ONNX models are deliberately not read."""
    target = path / "config.json" if path.is_dir() else path
    digest = hashlib.sha256()
    with target.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


class _BackgroundDigest:
    """:func:`_file_digest` computed on a helper thread while the analysis runs: reading and
    hashing release the GIL, so on a second core the digest costs the analysis nothing.
    Any failure there is left for :meth:`result` to raise, by hashing again in the caller."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._digest: str | None = None
        self._thread = threading.Thread(target=self._run, name="trnport-digest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._digest = _file_digest(self._path)
        except Exception:  # result() hashes again and raises in the caller
            self._digest = None

    def result(self) -> str:
        self._thread.join()
        return self._digest if self._digest is not None else _file_digest(self._path)


class _Stages:
    """Reports stage progress and honours cancellation between stages."""

    def __init__(self, progress: ProgressCallback | None, cancel: CancelCallback | None):
        self._progress = progress
        self._cancel = cancel

    def enter(self, stage: str) -> None:
        if self._cancel is not None and self._cancel():
            raise AnalysisCancelled(f"cancelled before {stage}")
        if self._progress is not None:
            self._progress(stage, STAGES.index(stage) / len(STAGES))

    def done(self) -> None:
        if self._progress is not None:
            self._progress("done", 1.0)


def analyze(
    source: str | Path,
    options: AnalysisOptions | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
) -> Report:
    """Analyse the model at ``source`` for the target in ``options``.

    Raises :class:`~trnport.analyzers.errors.InputError` for unusable input and
    :class:`~trnport.analyzers.errors.AnalysisCancelled` when ``cancel`` says so.
    """
    from trnport.analyzers.coverage import assess_coverage
    from trnport.analyzers.kb import load_kb
    from trnport.analyzers.memory import assess_memory
    from trnport.analyzers.rules import run_rules

    options = options or AnalysisOptions()
    stages = _Stages(progress, cancel)
    path = Path(source)

    stages.enter("load")
    kb = load_kb()
    profile = kb.profile(options.sdk)
    target = kb.target(options.target, options.instance)
    stack = kb.stack(profile, target.family, options.stack)  # refused before any loading
    if not options.backend_kernels:
        options = dataclasses.replace(options, backend_kernels=kb.backend_kernels)
    loaded = load_model(path, options)
    digest = _BackgroundDigest(path)  # only for a model that loaded
    forward_graph = loaded.graph
    if options.mode == "training":
        from trnport.analyzers.training import add_backward

        add_backward(loaded)  # backward ops join the graph that gets verdicts
    loaded.graph.metadata.pop("exported_program", None)

    # not around loading: a framework export makes plenty of cyclic garbage
    with collector_paused():
        stages.enter("coverage")
        coverage = assess_coverage(loaded.graph, kb, profile, target, options)

        stages.enter("memory")
        memory = assess_memory(forward_graph, kb, profile, target, options, coverage=coverage)

        stages.enter("findings")
        findings = run_rules(loaded.graph, coverage, kb, profile, target, options,
                             memory=memory, stack=stack)

        stages.enter("report")
        report = _build_report(loaded, options, kb, profile, target, coverage, findings,
                               memory, digest=digest.result(), stack=stack)
    stages.done()
    return report


def _table_rows(coverage, nodes: dict[str, Any]
                ) -> tuple[tuple[OperatorRow, ...], tuple[ModuleRow, ...]]:
    """The report's operator rows and module rows, from one pass over the verdicts.

    Each verdict is counted under what either table reads of it (op, status, reason, the
    node's source op and module); the few distinct tuples are then summed per table."""
    tallies: dict[tuple, int] = {}
    first_of: dict[tuple[str, str], Any] = {}  # the first verdict per (op, status)
    for verdict in coverage.verdicts:
        node = nodes.get(verdict.node)
        key = (verdict.op, verdict.status, verdict.reason,
               node.source_op if node else None, node.location.module if node else None)
        count = tallies.get(key)
        if count is None:
            first_of.setdefault(key[:2], verdict)
            tallies[key] = 1
        else:
            tallies[key] = count + 1
    return _operator_rows(tallies, first_of), _module_rows(tallies)


def _operator_rows(tallies: dict[tuple, int], first_of: dict[tuple[str, str], Any]
                   ) -> tuple[OperatorRow, ...]:
    # per (op, status): how many, their reasons (counted in order of first sight, so that
    # the most common reason of a tie is the first seen), the source ops
    groups: dict[tuple[str, str], tuple[list[int], Counter, set[str]]] = {}
    for (op, status, reason, source_op, _module), count in tallies.items():
        group = groups.get((op, status))
        if group is None:
            group = groups[(op, status)] = ([0], Counter(), set())
        group[0][0] += count
        if reason:
            group[1][reason] += count
        if source_op:
            group[2].add(source_op)
    rows = []
    for (op, status), (count, reasons, source_ops) in groups.items():
        rows.append(OperatorRow(
            op=op, count=count[0], status=status,
            reason=reasons.most_common(1)[0][0] if reasons else "",
            source_ops=tuple(sorted(source_ops - {op})),
            confidence=first_of[(op, status)].confidence,
        ))
    rows.sort(key=lambda r: (-r.count, r.op, r.status))
    return tuple(rows)


def _module_rows(tallies: dict[tuple, int]) -> tuple[ModuleRow, ...]:
    """Status counts for every module path and each of its ancestors (the model root is
    ""), so a tree view can show a subtree's health without walking nodes."""
    counts: dict[str, dict[str, int]] = {}
    root: dict[str, int] = {}  # the root counts every node
    for (_op, status, _reason, _source_op, module), count in tallies.items():
        root[status] = root.get(status, 0) + count
        if module:
            row = counts.get(module)
            if row is None:
                row = counts[module] = {}
            row[status] = row.get(status, 0) + count
    add_to_ancestors(counts, dict, _add_counts)
    counts[""] = root
    # statuses in their vocabulary's order; most modules have one status, already in order
    return tuple(
        ModuleRow(path, row if len(row) == 1 else {s: row[s] for s in STATUSES if s in row})
        for path, row in sorted(counts.items())
    )


def _add_counts(into: dict[str, int], counts: dict[str, int]) -> None:
    for status, count in counts.items():
        into[status] = into.get(status, 0) + count


def _flops_coverage(memory) -> float | None:
    """Percent of estimated FLOPs in nodes that compile (supported or conditional)."""
    by_status = memory.flops_by_status or {}
    total = sum(by_status.values())
    if not total:
        return None
    covered = by_status.get("supported", 0) + by_status.get("conditional", 0)
    return round(100.0 * covered / total, 2)


def _build_report(loaded, options, kb, profile, target, coverage, findings, memory, *,
                  digest: str | None = None, stack=None) -> Report:
    from trnport.analyzers.coverage.stacks import torchneuron_table
    from trnport.analyzers.graphview import build_model_graph
    from trnport.analyzers.memory import memory_section
    from trnport.analyzers.rules.priority import fix_first

    nodes = loaded.graph.nodes_by_name()  # the rules' map, when they built one
    operator_rows, module_rows = _table_rows(coverage, nodes)
    by_status = {status: coverage.counts.get(status, 0) for status in STATUSES}
    by_severity = dict.fromkeys(("error", "warning", "info"), 0)
    for finding in findings:
        by_severity[finding.severity] += 1
    graph = loaded.graph
    stack = stack or kb.stack(profile, target.family, options.stack)
    table = torchneuron_table(kb, profile, options) if stack.id == "torchneuron" else None
    converter_fix = _converter_fix(loaded, findings, kb, profile, target, options, stack)
    node_flops = memory.node_flops
    rewrites = _rewrite_suggestions(loaded, kb, coverage, findings, node_flops, stack.id)
    if converter_fix is not None:
        from trnport.analyzers.rewrites.converter_fix import with_chain

        rewrites = with_chain(rewrites, converter_fix, kb, stack.id)
    return Report(
        tool=ToolInfo(name="trnport", version=__version__),
        kb=KbInfo(
            profile=profile.id, neuronx_cc=profile.neuronx_cc,
            torch_neuronx=_stack_package(profile, stack), generated=kb.generated,
            torchneuron_table=table.version if table is not None else None,
            torch=kb.inputs.get("torch"),
        ),
        target=TargetInfo(
            family=options.target, instance=target.instance, mode=options.mode,
            dtype=options.dtype, batch=options.batch, seq_len=options.seq_len,
            tp=memory.chosen.layout.tp, pp=memory.chosen.layout.pp,
            layout_source=memory.layout_source, stack=stack.id, stack_label=stack.label,
            ep=options.ep,
        ),
        model=ModelInfo(
            path=str(loaded.path), format=loaded.format, sha256=digest or _file_digest(loaded.path),
            nodes=len(coverage.verdicts), params=graph.param_count, param_bytes=graph.param_bytes,
            torch=graph.metadata.get("torch_version"),
        ),
        summary=Summary(
            verdict=verdict_for(by_severity), coverage_pct=round(coverage.coverage_pct, 2),
            nodes_by_status=by_status, findings_by_severity=by_severity,
            flops_coverage_pct=_flops_coverage(memory),
            not_analysed=tuple(graph.metadata.get("not_analysed", ())),
            converter_fix=converter_fix,
            fix_first=fix_first(findings, node_flops, rewrites),
        ),
        findings=tuple(findings),
        operators=operator_rows,
        diagnostics=(*_layout_notes(memory), *loaded.diagnostics,
                     *stack_notes(profile, stack, table)),
        modules=module_rows,
        memory=memory_section(memory),
        rewrites=rewrites,
        graph=build_model_graph(graph, coverage.verdicts, findings)
        if options.model_graph else None,
    )


def _converter_fix(loaded, findings, kb, profile, target, options, stack):
    """For ONNX: the errors only the onnx2torch converter raises and the rewrites that
    answer them (analyzers.rewrites.converter_fix); None for other formats."""
    if loaded.format != "onnx":
        return None
    from trnport.analyzers.rewrites.converter_fix import plan_converter_fix

    return plan_converter_fix(findings, loaded.graph, kb, profile, target, options,
                              str(loaded.path), stack)


def _layout_notes(memory) -> tuple[str, ...]:
    from trnport.analyzers.memory.findings import layout_choice_note

    note = layout_choice_note(memory)
    return (note,) if note else ()


def _stack_package(profile, stack) -> str | None:
    """The torch-neuronx the verdicts stand for: the XLA build of the line, or TorchNeuron's
    versions (None when the line does not document them)."""
    if stack.id == "xla":
        return profile.torch_neuronx
    return ", ".join(stack.offer.versions) or None


def stack_notes(profile, stack, table) -> list[str]:
    """What a reader must know about the stack the verdicts are for: which it is and how it
    stands on this line, and, on TorchNeuron, where the per-op verdicts come from."""
    spec = stack.spec
    others = "; ".join(f"{s} is {status.replace('-', ' ')} here" for s, status in
                       stack.alternatives)
    notes = [f"stack: {stack.label} on {stack.family} with Neuron SDK {profile.id} "
             f"({'the line default' if stack.default else 'chosen with --stack'}"
             f"{'; ' + others if others else ''}): {' '.join(spec.summary.split())}"]
    if stack.id == "torchneuron":
        if table is None:
            notes.append(" ".join((spec.no_table_note or "").split()))
        else:
            unpaired = "" if stack.offer.versions else (
                f"; SDK {profile.id} does not document its torch-neuronx version, so the "
                "newest imported table is used")
            notes.append(f"TorchNeuron per-op verdicts from the imported compatibility table of "
                         f"torch-neuronx {table.version} ({table.source_file}, sha256 "
                         f"{table.sha256[:12]}); ops it does not list keep the lower-confidence "
                         f"verdicts{unpaired}")
    return [note for note in notes if note]


def _rewrite_suggestions(loaded, kb, coverage, findings, node_flops,
                         stack: str = "xla") -> tuple[RewriteSuggestion, ...]:
    """The rewrites the findings name, ranked by what each gains (analyzers.rewrites)."""
    from trnport.analyzers.rewrites.suggest import suggest_rewrites

    # only the nodes of findings that suggest a rewrite are looked up
    named = {node for finding in findings if finding.rewrite for node in finding.nodes}
    statuses = {v.node: (v.status, v.rewrite) for v in coverage.verdicts if v.node in named} \
        if named else {}
    return suggest_rewrites(findings, statuses, node_flops, kb, loaded.format,
                            str(loaded.path), stack)
