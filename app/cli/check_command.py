"""trnport check: analyse models for a Neuron target and gate on the findings.

Exit 0 when nothing reaches --fail-on and --min-coverage holds, 1 when something does,
2 when a model cannot be read or an option is wrong (one line on stderr per problem).
"""

from __future__ import annotations

import argparse
import sys
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
)

HELP = "analyse models and exit non-zero on blocking findings"


def register(subparsers) -> None:
    parser = subparsers.add_parser("check", help=HELP, description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", metavar="MODEL",
                        help="an .onnx, .pt2, TorchScript .pt/.ts, Python .py file, or a "
                        "Hugging Face config.json / model folder")
    add_target_options(parser)
    out = parser.add_argument_group("output")
    out.add_argument("--format", action="append", dest="formats", metavar="FORMAT",
                     help=f"report format, repeatable or comma-separated: "
                     f"{', '.join(REPORT_FORMATS)} (default: text)")
    out.add_argument("--output", "-o", type=Path, metavar="FILE",
                     help="write the report here (one model and one format)")
    out.add_argument("--output-dir", type=Path, metavar="DIR",
                     help="write <model>.<ext> reports for every model and format here")
    out.add_argument("--quiet", "-q", action="store_true",
                     help="print nothing but errors")
    gate = parser.add_argument_group("gating")
    gate.add_argument("--fail-on", default="error", choices=SEVERITY_LEVELS,
                      help="exit 1 when a finding has this severity or worse (default: error)")
    gate.add_argument("--min-coverage", type=percentage, default=None, metavar="PCT",
                      help="exit 1 when node coverage is below PCT percent")
    gate.add_argument("--no-history", action="store_true",
                      help="do not save this run in the porting history")
    parser.set_defaults(handler=run)


def _formats(args) -> list[str]:
    chosen = []
    for item in args.formats or ["text"]:
        for name in item.split(","):
            name = name.strip().lower()
            if name not in REPORT_FORMATS:
                raise UsageError(f"unknown report format {name!r}; choose from "
                                 f"{', '.join(REPORT_FORMATS)}")
            if name not in chosen:
                chosen.append(name)
    if args.output and (len(args.models) > 1 or len(chosen) > 1):
        raise UsageError("--output takes one model and one format; use --output-dir for more")
    if args.output and args.output_dir:
        raise UsageError("use either --output or --output-dir, not both")
    return chosen


def _options(args):
    from trnport.analyzers.options import AnalysisOptions

    return AnalysisOptions(
        target=args.target, instance=args.instance, mode=args.mode, dtype=args.dtype,
        batch=args.batch, seq_len=args.seq_len, tp=args.tp, pp=args.pp, dp=args.dp,
        optimizer=args.optimizer, zero1=args.zero1, sdk=args.sdk,
        trust_code=args.trust_code,
    )


def _gate_failed(report, fail_on: str, min_coverage: float | None) -> bool:
    levels = SEVERITY_LEVELS[: SEVERITY_LEVELS.index(fail_on) + 1] if fail_on != "none" else ()
    if any(f.severity in levels for f in report.findings):
        return True
    return min_coverage is not None and report.summary.coverage_pct < min_coverage


def run(args) -> int:
    from trnport.analyzers.api import analyze
    from trnport.analyzers.report import RENDERERS

    formats = _formats(args)
    options = _options(args)
    status = OK
    paths = [Path(m) for m in args.models]
    for path, stem in zip(paths, unique_stems(paths), strict=True):
        try:
            report = analyze(path, options)
        except InputError as error:
            print(f"trnport: {error}", file=sys.stderr)
            status = BAD_INPUT
            continue
        for fmt in formats:
            text = RENDERERS[fmt](report)
            if args.output:
                write_atomic(args.output, text)
            elif args.output_dir:
                write_atomic(args.output_dir / f"{stem}{SUFFIXES[fmt]}", text)
            elif not args.quiet:
                sys.stdout.write(text)
        if _gate_failed(report, args.fail_on, args.min_coverage) and status == OK:
            status = GATE_FAILED
        if not args.quiet and (args.output or args.output_dir):
            print(f"{path}: {report.summary.verdict}, coverage "
                  f"{report.summary.coverage_pct:.1f}%, "
                  f"{sum(report.summary.findings_by_severity.values())} findings")
    return status
