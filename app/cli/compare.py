"""``trnport check MODEL --compare SDK[:STACK]``: what changes for the model on another SDK
line or PyTorch stack — ops whose verdict changes, findings new and gone, advice that no
longer applies — as text, JSON or HTML. The gate and the history are those of the model's
own analysis; the comparison replaces its report on the output."""

from __future__ import annotations

import dataclasses
import sys

from trnport.app.cli.parser import UsageError

FORMATS = ("text", "json", "html")
SUFFIXES = {"text": ".compare.txt", "json": ".compare.json", "html": ".compare.html"}


def parse_compare(text: str) -> tuple[str | None, str | None]:
    """``2.32:xla`` → (``2.32``, ``xla``); ``2.32`` → (``2.32``, None: that line's default
    stack); ``:torchneuron`` → (None: the same SDK, ``torchneuron``)."""
    from trnport.analyzers.options import STACKS

    sdk, _, stack = text.strip().partition(":")
    sdk, stack = sdk.strip() or None, stack.strip() or None
    if stack is not None and stack not in STACKS:
        raise UsageError(f"--compare {text!r}: unknown stack {stack!r}; expected SDK[:STACK] "
                         f"with STACK one of {', '.join(STACKS)}, e.g. 2.32:xla")
    if sdk is None and stack is None:
        raise UsageError("--compare needs SDK[:STACK], e.g. 2.32:xla")
    return sdk, stack


def check_compare_settings(settings) -> None:
    """One model and formats the comparison has (one-line UsageError otherwise)."""
    if len(settings.models) != 1:
        raise UsageError("--compare takes one model")
    wrong = [f for f in settings.formats if f not in FORMATS]
    if wrong:
        raise UsageError(f"--compare writes {', '.join(FORMATS)}, not {', '.join(wrong)}")


def other_options(options, text: str):
    """``options`` with the SDK and stack of ``--compare``; InputError when that stack is not
    offered for the target on that line."""
    from trnport.analyzers.kb import load_kb

    sdk, stack = parse_compare(text)
    other = dataclasses.replace(options, sdk=sdk if sdk is not None else options.sdk,
                                stack=stack)
    kb = load_kb()
    kb.stack(kb.profile(other.sdk), other.target, other.stack)
    return other


def render(fmt: str, comparison) -> str:
    from trnport.analyzers.report.comparison import (
        render_comparison_json,
        render_comparison_text,
    )

    if fmt == "html":
        from trnport.analyzers.report.comparison_html import render_comparison_html
        return render_comparison_html(comparison)
    if fmt == "json":
        return render_comparison_json(comparison)
    return render_comparison_text(comparison)


def write_comparisons(settings, options, done, write) -> None:
    """Analyse each done model again with the ``--compare`` options and write the
    comparison in every chosen format (``write(path, text)`` writes a file)."""
    from trnport.analyzers.api import analyze
    from trnport.analyzers.report.comparison import compare_reports
    from trnport.analyzers.report.gate import select_findings

    other = other_options(options, settings.compare)
    for outcome, report, _gate in done:
        theirs = select_findings(analyze(outcome.path, other), settings.select, settings.ignore)
        comparison = compare_reports(report, theirs)
        for fmt in settings.formats:
            text = render(fmt, comparison)
            if settings.output:
                write(settings.output, text)
            elif settings.output_dir:
                write(settings.output_dir / f"{outcome.stem}{SUFFIXES[fmt]}", text)
            elif not settings.quiet:
                sys.stdout.write(text)
