"""trnport check: analyse models for a Neuron target and gate on the findings.

Exit 0 when nothing reaches --fail-on and --min-coverage holds, 1 when something does,
2 when a model cannot be read or an option is wrong (one line on stderr per problem).
With several models the exit code is 2 if any model was unreadable, else 1 if any failed.

Settings can also come from trnport.toml or pyproject.toml [tool.trnport], found from the
working directory upwards (keys are the long option names); command-line options win.
--baseline FILE|DIR|last fails only on findings that are new since that report (DIR holds
<model>.json reports; 'last' is the model's previous session in the porting history).
--probe also runs torch_neuronx.analyze on Python model files and merges the compiler's
verdicts (provenance compiler-probe); where torch_neuronx is not importable the report
says so in a diagnostic, the static verdicts stand and the exit code is unchanged.
--probe xla runs Python model files (with --trust-code) and .pt2 programs on torch-xla's CPU
device (no Neuron hardware) and merges the ops that really fell back to the CPU and the HLO
checked against neuronx-cc's support (provenance xla-probe); where it and the static verdict
disagree the report shows both ('trnport kb disagreements' lists them over runs). Without
torch-xla it leaves a diagnostic and changes nothing.
--stack picks the PyTorch stack (xla or torchneuron; default: the SDK line's default for the
target); a stack the line does not offer the target is refused (exit 2).
--compare SDK[:STACK] (e.g. 2.32:xla) writes, instead of the report, what changes for the
model on that SDK line and stack: operator verdicts, findings new and gone, advice that no
longer applies (text, json or html); the gate and exit code stay those of the model's own
analysis.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from trnport.analyzers.errors import InputError
from trnport.app.cli.exit_codes import BAD_INPUT, GATE_FAILED, OK
from trnport.app.cli.output import SUFFIXES, unique_stems, write_atomic
from trnport.app.cli.parser import (
    REPORT_FORMATS,
    SEVERITY_LEVELS,
    UsageError,
    add_target_options,
    percentage,
    positive_int,
)
from trnport.app.cli.terminal import COLOR_CHOICES, colour_wanted, colourise, progress_for

HELP = "analyse models and exit non-zero on blocking findings"
# Formats that can hold several models in one --output file.
COMBINABLE_FORMATS = ("junit", "sarif", "markdown")
#: formats that draw the model's graph node by node: only they need it built
GRAPH_FORMATS = frozenset({"html", "model-explorer"})
_DEFAULTS: dict = {}


def register(subparsers) -> None:
    from trnport.app.cli.config import CONFIGURABLE, detach_defaults
    from trnport.app.cli.history_command import add_db_option

    parser = subparsers.add_parser("check", help=HELP, description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", metavar="MODEL",
                        help="an .onnx, .pt2, TorchScript .pt/.ts, Python .py file, or a "
                        "Hugging Face config.json / model folder (default: 'models' from the "
                        "config file)")
    add_target_options(parser)
    out = parser.add_argument_group("output")
    out.add_argument("--format", action="append", dest="formats", metavar="FORMAT",
                     help=f"report format, repeatable or comma-separated: "
                     f"{', '.join(REPORT_FORMATS)} (default: text)")
    out.add_argument("--output", "-o", type=Path, metavar="FILE",
                     help="write the report here, '-' for standard output (one format; several "
                     f"models only for {', '.join(COMBINABLE_FORMATS)})")
    out.add_argument("--output-dir", type=Path, metavar="DIR",
                     help="write <model>.<ext> reports for every model and format here")
    out.add_argument("--source-url", metavar="PATTERN",
                     help="link HTML locations to a source browser, e.g. "
                     "'https://github.com/org/repo/blob/main/{path}#L{line}' ({path} relative "
                     "to the config file's folder, else the working directory; default: "
                     "file:// links)")
    out.add_argument("--quiet", "-q", action="store_true",
                     help="print nothing but errors (no progress line either)")
    out.add_argument("--color", "--colour", dest="color", choices=COLOR_CHOICES,
                     default=None, help="colour the text report: auto (on a terminal, unless "
                     "NO_COLOR is set), always or never (default: auto)")
    gate = parser.add_argument_group("gating")
    gate.add_argument("--fail-on", default="error", choices=SEVERITY_LEVELS,
                      help="exit 1 when a finding has this severity or worse (default: error)")
    gate.add_argument("--min-coverage", type=percentage, default=None, metavar="PCT",
                      help="exit 1 when node coverage is below PCT percent")
    gate.add_argument("--baseline", metavar="FILE|DIR|last",
                      help="fail only on findings not in this earlier JSON report, folder of "
                      "<model>.json reports, or the model's last session in the history")
    gate.add_argument("--select", action="append", metavar="CODES",
                      help="only these finding codes; prefixes like TRN2 work (comma-separated, "
                      "repeatable)")
    gate.add_argument("--ignore", action="append", metavar="CODES",
                      help="drop these finding codes or prefixes (comma-separated, repeatable)")
    out.add_argument("--compare", metavar="SDK[:STACK]",
                     help="compare with another SDK line and/or PyTorch stack, e.g. 2.32:xla "
                     "or :torchneuron (writes the differences instead of the report; text, "
                     "json or html)")
    shapes = parser.add_argument_group("recompilation")
    shapes.add_argument("--shapes", type=Path, metavar="FILE",
                        help="CSV of observed input lengths (one per row, optional count "
                        "column): graphs compiled and the bucket edges that pad least")
    shapes.add_argument("--max-graphs", type=positive_int, default=4, metavar="N",
                        help="at most N compiled graphs when proposing buckets (default: 4)")
    run_group = parser.add_argument_group("run")
    run_group.add_argument("--jobs", "-j", type=positive_int, default=1, metavar="N",
                           help="analyse up to N models at once, in separate processes "
                           "(default: 1)")
    run_group.add_argument("--config", type=Path, metavar="FILE",
                           help="read settings from this trnport.toml / pyproject.toml")
    run_group.add_argument("--no-config", action="store_true",
                           help="ignore trnport.toml and pyproject.toml [tool.trnport]")
    run_group.add_argument("--no-history", action="store_true",
                           help="do not save this run in the porting history")
    run_group.add_argument("--no-cache", action="store_true",
                           help="export PyTorch and Hugging Face models afresh instead of "
                           "reusing the graph cached by an earlier run")
    add_db_option(run_group)
    run_group.add_argument("--probe", nargs="?", const="neuron", choices=PROBES,
                           default=None, metavar="KIND",
                           help="also run the model and merge what really happened: "
                           "'--probe' runs torch_neuronx.analyze (Neuron compiler) on Python "
                           "model files, '--probe xla' runs Python files and .pt2 programs on "
                           "torch-xla's CPU device")
    _DEFAULTS.update(detach_defaults(parser, CONFIGURABLE))
    parser.set_defaults(handler=run)


PROBES = ("neuron", "xla")


def _probed(outcome, kind: str, options):
    """The outcome's report with the probe of ``kind`` merged."""
    if kind == "xla":
        from trnport.analyzers.evidence.xla_probe import apply_xla_probe
        from trnport.app.cli.disagreements import record

        report, disagreements = apply_xla_probe(outcome.report, outcome.path, options)
        record(disagreements)
        return report
    from trnport.analyzers.evidence import apply_probe

    return apply_probe(outcome.report, outcome.path, options)


@dataclass(frozen=True)
class Outcome:
    """One model's analysis: a report, or the one-line reason it could not be read."""

    path: Path
    stem: str
    report: object | None = None
    error: str | None = None


def _settings(args) -> argparse.Namespace:
    from trnport.app.cli.config import code_selector_problem, config_for, merge_settings

    config = config_for(args.config, args.no_config, Path.cwd())
    settings = merge_settings(args, config, _DEFAULTS)
    settings.source_root = config.path.parent if config.path else Path.cwd()
    if not settings.models:
        raise UsageError("the following arguments are required: MODEL "
                         "(see 'trnport check --help')")
    for name in ("select", "ignore"):
        selectors = [part.strip() for item in getattr(settings, name) or []
                     for part in item.split(",") if part.strip()]
        for selector in selectors:
            problem = code_selector_problem(selector)
            if problem:
                raise UsageError(f"--{name}: {problem}")
        setattr(settings, name, selectors)
    settings.models = [Path(m) for m in settings.models]
    settings.output_dir = Path(settings.output_dir) if settings.output_dir else None
    settings.formats = _formats(settings)
    if getattr(settings, "compare", None):
        from trnport.app.cli.compare import check_compare_settings
        check_compare_settings(settings)
    return settings


def _formats(settings) -> list[str]:
    chosen = []
    for item in settings.formats or ["text"]:
        for name in item.split(","):
            name = name.strip().lower()
            if name not in REPORT_FORMATS:
                raise UsageError(f"unknown report format {name!r}; choose from "
                                 f"{', '.join(REPORT_FORMATS)}")
            if name not in chosen:
                chosen.append(name)
    if settings.output and len(chosen) > 1:
        raise UsageError("--output takes one model and one format; use --output-dir for more")
    if settings.output and len(settings.models) > 1 and chosen[0] not in COMBINABLE_FORMATS:
        raise UsageError("--output takes one model and one format; use --output-dir for more"
                         f" (or one of {', '.join(COMBINABLE_FORMATS)})")
    if settings.output and settings.output_dir:
        raise UsageError("use either --output or --output-dir, not both")
    return chosen


def _options(settings):
    from trnport.analyzers.options import AnalysisOptions
    from trnport.app.cli.graph_cache import graph_cache_folder
    from trnport.app.cli.torchneuron_tables import tables_folder

    return AnalysisOptions(
        target=settings.target, instance=settings.instance, mode=settings.mode,
        dtype=settings.dtype, batch=settings.batch, seq_len=settings.seq_len, tp=settings.tp,
        ep=settings.ep, pp=settings.pp, dp=settings.dp, optimizer=settings.optimizer,
        zero1=bool(settings.zero1), sdk=settings.sdk, stack=settings.stack,
        torchneuron_tables=tables_folder(), trust_code=bool(settings.trust_code),
        cache_dir=graph_cache_folder(disabled=bool(getattr(settings, "no_cache", False))),
        model_graph=bool(GRAPH_FORMATS.intersection(getattr(settings, "formats", ()) or ())),
        **_pinned_inputs(getattr(settings, "input_shape", None) or []),
        **_recompilation_options(settings),
    )


def _check_stack(options) -> None:
    """Refuse, before any model is read, a stack the SDK line does not offer the target
    (``--stack xla`` on trn2 with 2.34): one line, exit 2."""
    from trnport.analyzers.kb import load_kb

    kb = load_kb()
    kb.stack(kb.profile(options.sdk), options.target, options.stack)


def _recompilation_options(settings) -> dict:
    """--shapes (read here, so a bad CSV is one usage error) and --max-graphs."""
    from trnport.analyzers.recompile import read_lengths

    shapes = getattr(settings, "shapes", None)
    return {"observed_lengths": read_lengths(shapes) if shapes else (),
            "max_graphs": getattr(settings, "max_graphs", None) or 4}


def _pinned_inputs(pins: list) -> dict:
    """``--input-shape`` values as AnalysisOptions fields; a name given twice is an error."""
    shapes: dict = {}
    dtypes: dict = {}
    for name, dims, dtype in pins:
        if name in shapes:
            raise UsageError(f"--input-shape: input {name!r} is given twice")
        shapes[name] = dims
        if dtype:
            dtypes[name] = dtype
    return {"input_shapes": shapes, "input_dtypes": dtypes}


def analyze_one(path: Path, options, quiet: bool = True) -> tuple[object | None, str | None]:
    """Analyse one model: ``(report, None)``, or ``(None, one-line error)``. Runs in a
    worker process under ``--jobs``, so it returns errors instead of raising them. Unless
    ``quiet``, a terminal's stderr shows the stage and percent while it runs."""
    from trnport.analyzers.api import analyze

    progress = progress_for(path.name or str(path), quiet)
    try:
        return analyze(path, options, progress=progress), None
    except InputError as error:
        return None, str(error)
    except Exception as error:  # the worker's equivalent of main()'s last-resort handler
        first = (str(error).strip().splitlines() or [""])[0][:300]
        return None, f"unexpected error: {type(error).__name__}: {first}"
    finally:
        if progress is not None:
            progress.clear()


def _analyze_all(paths: list[Path], stems: list[str], options, jobs: int,
                 quiet: bool = True) -> list[Outcome]:
    if jobs <= 1 or len(paths) <= 1:
        results = [analyze_one(path, options, quiet) for path in paths]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: workers start clean, whatever the parent has imported or threaded.
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(paths)), mp_context=context)
        try:
            results = list(pool.map(analyze_one, paths, [options] * len(paths)))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return [Outcome(path, stem, report, error)
            for path, stem, (report, error) in zip(paths, stems, results, strict=True)]


def _render(fmt: str, reports: list, gates: list, links=None) -> str:
    from trnport.analyzers.collector import collector_paused

    # a report of a big model is rendered through one dict or row per table entry, all
    # alive until the text is written: full collections there would only re-scan the IR
    with collector_paused():
        return _render_all(fmt, reports, gates, links)


def _render_all(fmt: str, reports: list, gates: list, links=None) -> str:
    from trnport.analyzers.report import RENDERERS

    if fmt == "junit":
        from trnport.analyzers.report.junit_renderer import render_junit_many
        return render_junit_many(reports, gates)
    if fmt == "sarif":
        from trnport.analyzers.report.sarif_renderer import render_sarif_many
        return render_sarif_many(reports, gates, source_root=Path.cwd())
    if fmt == "markdown":
        from trnport.analyzers.report.markdown_renderer import render_markdown_many
        return render_markdown_many(reports, gates)
    if fmt == "html":
        return "".join(RENDERERS[fmt](r, gate=g, source_links=links)
                       for r, g in zip(reports, gates, strict=True))
    return "".join(RENDERERS[fmt](r) for r in reports)


def _save_history(report, settings) -> None:
    from trnport.app.cli.history_command import history_enabled

    if not history_enabled(bool(settings.no_history)):
        return
    try:
        from trnport.app.history.appending import save_report
        from trnport.app.history.schema import DamagedDatabaseError
    except ImportError as error:
        _not_saved(error)
        return
    from trnport.analyzers.collector import collector_paused

    try:
        with collector_paused():  # the report's rows as dicts: as in _render
            save_report(report, settings.db)
    except DamagedDatabaseError:
        raise  # a damaged history is refused outright (exit 2) and never written to
    except InputError as error:
        _not_saved(error)  # the gate's answer does not depend on the history: go on


def _not_saved(error: Exception) -> None:
    print(f"trnport: warning: this run was not saved in the history: {error}",
          file=sys.stderr)


def _print(text: str, fmt: str, settings) -> None:
    """A report on stdout, coloured when it is text for a terminal; a reader that closed
    the pipe has what it wanted, and the gate's exit code still stands."""
    if fmt == "text" and colour_wanted(getattr(settings, "color", None), sys.stdout):
        text = colourise(text)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        from trnport.app.cli.terminal import silence_stdout
        silence_stdout()


def _gate_text(gate) -> str:
    if not gate.failed:
        return "gate passed"
    parts = []
    if gate.failing_count:
        new = " new" if gate.states is not None else ""
        parts.append(f"{gate.failing_count}{new} at or above {gate.fail_on}")
    if gate.coverage_failed:
        parts.append(f"coverage below {gate.min_coverage}%")
    return "gate FAILED: " + ", ".join(parts)


def run(args) -> int:
    from trnport.analyzers.report.gate import evaluate_gate, select_findings
    from trnport.analyzers.results.printable import printable
    from trnport.app.cli.baseline import BaselineSource

    settings = _settings(args)
    options = _options(settings)
    _check_stack(options)
    if getattr(settings, "compare", None):
        from trnport.app.cli.compare import other_options
        other_options(options, settings.compare)  # refuse a bad --compare before analysing
    baselines = BaselineSource(settings.baseline, settings.db)
    outcomes = _analyze_all(settings.models, unique_stems(settings.models), options,
                            settings.jobs, quiet=bool(settings.quiet))
    status, done = OK, []
    for outcome in outcomes:
        if outcome.error is not None:
            print(f"trnport: {printable(outcome.error)}", file=sys.stderr)
            status = BAD_INPUT
            continue
        if getattr(settings, "probe", None):
            outcome = Outcome(outcome.path, outcome.stem,
                              _probed(outcome, settings.probe, options))
        report = select_findings(outcome.report, settings.select, settings.ignore)
        baseline = baselines.for_model(outcome.path, outcome.stem, options.target,
                                       options.mode)
        gate = evaluate_gate(
            report, settings.fail_on, settings.min_coverage,
            baseline=baseline.keys if baseline else None,
            baseline_label=baseline.label if baseline else None,
            select=settings.select, ignore=settings.ignore)
        done.append((outcome, report, gate))
        _save_history(outcome.report, settings)
        if gate.failed and status == OK:
            status = GATE_FAILED

    if getattr(settings, "compare", None):
        from trnport.app.cli.compare import write_comparisons
        write_comparisons(settings, options, done, write_atomic)
        return status
    from trnport.analyzers.report.source_links import SourceLinks

    links = SourceLinks(pattern=getattr(settings, "source_url", None),
                        root=settings.source_root)
    for fmt in settings.formats:
        if settings.output and done:
            write_atomic(settings.output, _render(
                fmt, [r for _, r, _ in done], [g for *_, g in done], links))
            continue
        for outcome, report, gate in done:
            text = _render(fmt, [report], [gate], links)
            if settings.output_dir:
                write_atomic(settings.output_dir / f"{outcome.stem}{SUFFIXES[fmt]}", text)
            elif not settings.quiet:
                _print(text, fmt, settings)

    from trnport.analyzers.output_file import is_stdout

    to_file = settings.output_dir or (settings.output and not is_stdout(settings.output))
    if not settings.quiet and to_file:
        for outcome, report, gate in done:
            print(f"{printable(str(outcome.path))}: {report.summary.verdict}, coverage "
                  f"{report.summary.coverage_pct:.1f}%, {len(report.findings)} findings"
                  f"{'' if gate.new_count is None else f' ({gate.new_count} new)'}; "
                  f"{_gate_text(gate)}")
    return status
