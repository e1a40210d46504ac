"""``make accuracy``: run the regression corpus and print recall per category, family and SDK,
the documented failures missed, and every warning or error on a documented-working model.

Exit status 1 when the CI gate fails (current-SDK recall below the floor, or an alarm on a
working model outside the listed pending codes), else 0. ``-k TEXT`` runs the cases whose id
contains TEXT; ``-v`` prints every case."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from tests.accuracy import corpus


def _print_ratios(title: str, ratios: dict) -> None:
    print(f"\n{title}")
    for key, ratio in ratios.items():
        print(f"  {key:<16} {ratio}")


def _expected(case: corpus.Case) -> str:
    e = case.expect
    return "working" if e.working else f"{e.category}/{e.severity} {e.op or ''}".rstrip()


def _got(outcome: corpus.Outcome) -> str:
    if outcome.error:
        return f"analysis failed: {outcome.error[:160]}"
    found = [f"{f.code}:{f.severity}:{','.join(f.ops)[:50]}" for f in outcome.findings]
    return "; ".join(found) or "no finding"


def report(outcomes: list[corpus.Outcome], result: corpus.Score) -> None:
    failures = [o for o in outcomes if not o.case.expect.working]
    working = [o for o in outcomes if o.case.expect.working]
    print(f"\ncorpus: {len(outcomes)} cases, {len(failures)} documented failures, "
          f"{len(working)} documented-working models; current SDK {result.current_profile}")
    print(f"recall on current-SDK failures: {result.recall_current} "
          f"(floor {corpus.RECALL_FLOOR:.0%})")
    _print_ratios("recall per category", result.recall_by_category)
    _print_ratios("recall per family", result.recall_by_family)
    _print_ratios("recall per SDK profile the case was judged on", result.recall_by_sdk)
    if result.missed:
        print("\nmissed documented failures (expected → got)")
        for o in result.missed:
            mark = " [wrong severity]" if o.wrong_severity else ""
            print(f"  {o.case.id} @{o.profile}{mark}: {_expected(o.case)} → {_got(o)}")
    unevaluated = [o for o in result.not_evaluated if o.profile is None]
    if unevaluated:
        print(f"\nnot judged (no knowledge-base profile inside the documented SDK range): "
              f"{len(unevaluated)}")
        for o in unevaluated:
            print(f"  {o.case.id}: SDK {o.case.sdk_min}..{o.case.sdk_max}")
    print(f"\ndocumented-working models with no error and no warning: {result.working_clean}")
    gate = corpus.gate_alarms(result)
    pending = corpus.pending_alarms(result)
    print(f"warnings/errors on working models: {len(result.alarms)} "
          f"({len(gate)} counted by the gate, {len(pending)} from pending codes "
          f"{', '.join(sorted(corpus.PENDING_ALARM_CODES))})")
    by_code = Counter(f.code for _, f in result.alarms)
    for code, count in sorted(by_code.items()):
        models = sorted({o.case.id for o, f in result.alarms if f.code == code})
        print(f"  {code}: {count} on {len(models)} models: {', '.join(models)}")
    for o, f in gate:
        print(f"  FALSE ALARM {o.case.id}: {f.code} {f.severity}: {f.message[:140]}")
    errors = [o for o in outcomes if o.error]
    for o in errors:
        print(f"  ANALYSIS FAILED {o.case.id}: {o.error[:200]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="run only cases whose id contains this text")
    parser.add_argument("-v", action="store_true", help="print every case")
    args = parser.parse_args(argv)
    cases = [c for c in corpus.load_cases() if args.k in c.id]
    started = time.monotonic()

    def progress(case, outcome):
        if args.v:
            if outcome.profile is None:
                verdict = "skip"
            elif outcome.error:
                verdict = "FAIL"
            elif case.expect.working:
                verdict = "ok" if not outcome.alarms else "ALARM"
            else:
                verdict = "ok" if outcome.detected else "MISS"
            print(f"{verdict:4} {case.id:<40} {_expected(case)} → {_got(outcome)[:150]}",
                  flush=True)

    outcomes, result = corpus.run_all(cases, progress)
    report(outcomes, result)
    print(f"\n{len(outcomes)} cases in {time.monotonic() - started:.0f} s")
    failed = (result.recall_current.value < corpus.RECALL_FLOOR or corpus.gate_alarms(result)
              or any(o.error for o in outcomes))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
