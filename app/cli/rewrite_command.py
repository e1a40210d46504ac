"""trnport rewrite: apply automated rewrites to a model, prove them, re-analyse.

  trnport rewrite MODEL.onnx --list
  trnport rewrite MODEL.onnx --apply RW-topk-int-to-float[,RW-...] -o OUT.onnx
  trnport rewrite MODEL.onnx --all-safe -o OUT.onnx [--tolerance 1e-5]
  trnport rewrite MODEL.pt2|MODEL.py --trust-code --all-safe -o OUT.pt2

Every rewrite is verified against the original: onnx.checker, then onnxruntime outputs on
seeded random inputs equal within --tolerance (absolute and relative; the max errors are
printed). A rewrite whose verification fails is refused with its reason. With --apply, a
refusal keeps the original and OUT is not written; with --all-safe the proven rewrites are
kept. The new model is re-analysed and the findings it cleared are listed.

PyTorch models (MODEL.pt2 or MODEL.py, written to OUT.pt2 with torch.export.save): the
rewrites edit the exported program's FX graph, which is re-exported (with static shapes) and
run on CPU against the original on seeded random inputs and the file's example inputs.
Both need --trust-code: a .py file is executed, and a .pt2 is read with torch.export.load,
which can unpickle and run code stored in the archive (the analysis never does that).
Exit 0 when OUT was written (or --list), 1 when nothing was written, 2 for bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from trnport.app.cli.exit_codes import GATE_FAILED, OK
from trnport.app.cli.parser import UsageError, add_target_options

HELP = ("apply verified rewrites to an ONNX or PyTorch model "
        "(trnport rewrite M.onnx --all-safe -o N.onnx)")


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be zero or positive, not {text}")
    return value


def register(subparsers) -> None:
    parser = subparsers.add_parser("rewrite", help=HELP, description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, metavar="MODEL",
                        help="an .onnx model, or a .pt2 / .py model (with --trust-code)")
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--apply", metavar="RW-...[,RW-...]",
                        help="rewrite ids to apply, comma-separated, in order")
    chosen.add_argument("--all-safe", action="store_true",
                        help="apply every automated rewrite that keeps the outputs")
    chosen.add_argument("--list", action="store_true",
                        help="list what each automated rewrite would change in MODEL")
    parser.add_argument("-o", "--output", type=Path, metavar="OUT",
                        help="where to write the rewritten model (.onnx, or .pt2 for PyTorch)")
    parser.add_argument("--tolerance", type=_tolerance, default=1e-5,
                        help="largest accepted output difference, absolute and relative "
                        "(default: 1e-5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    add_target_options(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from trnport.analyzers.output_file import is_stdout

    if args.output is not None and is_stdout(args.output):
        # the model goes to standard output, so what is said about it goes to stderr
        model_stream = sys.stdout
        with contextlib.redirect_stdout(sys.stderr):
            return _run(args, model_stream)
    return _run(args, sys.stdout)


def _run(args, model_stream) -> int:
    from trnport.analyzers.output_file import is_stdout
    from trnport.analyzers.rewriting import onnx as workflow

    if not (args.apply or args.all_safe or args.list):
        raise UsageError("rewrite needs --apply RW-..., --all-safe or --list")
    if not args.list and args.output is None:
        raise UsageError("rewrite needs -o OUT for the rewritten model")
    if args.output is not None and args.output.resolve() == args.model.resolve():
        raise UsageError("-o must not be the input model; the original is always kept")
    from trnport.analyzers.rewrites.catalog import is_torch_path

    torch_model = is_torch_path(args.model)
    if (torch_model and args.output is not None and not is_stdout(args.output)
            and args.output.suffix.lower() != ".pt2"):
        raise UsageError("-o must name a .pt2 file for a PyTorch model")
    if torch_model:
        from trnport.analyzers.rewriting import torch as flow
    else:
        flow = workflow
    ids = ([i.strip() for i in args.apply.split(",") if i.strip()] if args.apply
           else list(flow.safe_rewrite_ids()))
    if args.apply:
        flow.check_rewrite_ids(ids)
    options = _options(args)
    if torch_model:
        model = flow.load_program(args.model, bool(args.trust_code), args.mode)
        if args.list:
            return _list_torch(flow, model)
        outcome = flow.rewrite_program(model, ids, args.tolerance, args.seed)
    else:
        model = workflow.load_onnx(args.model)
        if args.list:
            return _list(args.model, model, options)
        outcome = workflow.rewrite_model(model, ids, args.tolerance, args.seed)
    for step in outcome.steps:
        _print_step(step, show_refusals=bool(args.apply))
    if not outcome.changed or (args.apply and outcome.refused):
        why = "a rewrite was refused" if outcome.refused else "no rewrite applied"
        print(f"{why}; the original is kept and {args.output} was not written")
        return GATE_FAILED
    if torch_model:
        outcome = flow.reanalyse(model, outcome, options)
    else:
        outcome = workflow.reanalyse(args.model, outcome, options)
    with contextlib.redirect_stdout(model_stream):
        if torch_model:
            flow.save_program(outcome.model, args.output)
        else:
            workflow.save_model(outcome.model, args.output)
    print(f"wrote {args.output}")
    print(f"findings cleared: {len(outcome.cleared)}")
    for finding in outcome.cleared:
        print(f"  - {finding.code} {', '.join(finding.nodes)}: {finding.message}")
    if outcome.introduced:
        print(f"findings introduced: {len(outcome.introduced)}")
        for finding in outcome.introduced:
            print(f"  + {finding.code} {', '.join(finding.nodes)}: {finding.message}")
    return OK


def _print_step(step, show_refusals: bool) -> None:
    refusals = step.refusals if show_refusals else ()
    if step.status == "no-match":
        print(f"{step.rewrite}: nothing to rewrite")
        for refusal in refusals:
            print(f"  refused {refusal.node}: {refusal.reason}")
        return
    nodes = ", ".join(a.node for a in step.applied)
    print(f"{step.rewrite}: {step.status} on {len(step.applied)} node(s) ({nodes}); "
          f"{step.verification.summary()}")
    for refusal in refusals:
        print(f"  refused {refusal.node}: {refusal.reason}")


def _list(path: Path, model, options) -> int:
    from trnport.analyzers.api import analyze
    from trnport.analyzers.rewrites.onnx.engine import apply_rewrites, onnx_rewrites

    report = analyze(path, options)
    flagged = {node for f in report.findings for node in f.nodes}
    for rewrite in onnx_rewrites():
        result = apply_rewrites(model, [rewrite.INFO.id])
        print(f"{rewrite.INFO.id}: {rewrite.INFO.title}")
        for applied in result.applied:
            print(f"  would rewrite {applied.node}: {' '.join(applied.removed_ops)} -> "
                  f"{' '.join(applied.added_ops)}")
        for refusal in result.refusals:
            if refusal.node in flagged:
                print(f"  refused {refusal.node}: {refusal.reason}")
    for suggestion in report.rewrites:
        if not suggestion.automated:
            print(f"{suggestion.id}: by hand — {suggestion.title}")
    return OK


def _list_torch(flow, model) -> int:
    for rewrite, applied, refusals in flow.preview(model):
        print(f"{rewrite.INFO.id}: {rewrite.INFO.title}")
        for item in applied:
            print(f"  would rewrite {item.node}: {' '.join(item.removed_ops)} -> "
                  f"{' '.join(item.added_ops)}")
        for refusal in refusals:
            print(f"  refused {refusal.node}: {refusal.reason}")
    return OK


def _options(args):
    from trnport.analyzers.options import AnalysisOptions

    return AnalysisOptions(
        target=args.target, instance=args.instance, mode=args.mode, dtype=args.dtype,
        batch=args.batch, seq_len=args.seq_len, tp=args.tp, ep=args.ep, pp=args.pp, dp=args.dp,
        optimizer=args.optimizer, zero1=bool(args.zero1), sdk=args.sdk,
        trust_code=bool(args.trust_code),
    )
