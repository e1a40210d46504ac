"""Shared pieces of the benchmarks: timing against a floor, child-process RSS, the result table.

Every benchmark prints one table (metric, measured, floor, ratio, target, result) and exits
0 when every target holds, 1 when one is missed and 2 when it could not run at all.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PASSED, MISSED, COULD_NOT_RUN = 0, 1, 2
MIB = 1024 * 1024
GIB = 1024 * MIB
# trnport check exits 0 (clean) or 1 (gate failed: the model has blocking findings); both
# mean the analysis finished. 2 is unreadable input or a crash.
ANALYSIS_FINISHED = (0, 1)
_START_LOAD = os.getloadavg()[0]
#: when set, every printed table is also appended to this file as one JSON line
#: (``run_all.py --readme`` reads them back to write the README's table)
RESULTS_ENV = "TRNPORT_BENCH_RESULTS"


@dataclass(frozen=True)
class Row:
    """One line of a result table; ``passed`` is None for figures shown for information."""

    metric: str
    measured: str
    floor: str = "-"
    ratio: str = "-"
    target: str = "-"
    passed: bool | None = None


def ratio_row(metric: str, measured_s: float, floor_s: float, max_ratio: float) -> Row:
    """A time measured against a floor run in the same process, with a ratio target."""
    ratio = measured_s / floor_s
    return Row(metric, f"{measured_s:.3f} s", f"{floor_s:.3f} s", f"{ratio:.2f}x",
               f"<= {max_ratio:.2f}x", ratio <= max_ratio)


def seconds_row(metric: str, seconds: float, limit_s: float) -> Row:
    """An absolute time target (DESIGN.md gives some targets in seconds)."""
    return Row(metric, f"{seconds:.2f} s", target=f"< {limit_s:g} s", passed=seconds < limit_s)


def rss_row(metric: str, rss_bytes: int, limit_bytes: int, strict: bool = True,
            limit_label: str | None = None) -> Row:
    """A peak-RSS target; ``strict`` means below the limit, otherwise at most the limit."""
    passed = rss_bytes < limit_bytes if strict else rss_bytes <= limit_bytes
    sign = "<" if strict else "<="
    return Row(metric, format_bytes(rss_bytes),
               target=f"{sign} {limit_label or format_bytes(limit_bytes)}", passed=passed)


def equal_row(metric: str, measured: int, expected: int) -> Row:
    return Row(metric, f"{measured:,}", target=f"= {expected:,}", passed=measured == expected)


def info_row(metric: str, measured: str, floor: str = "-") -> Row:
    return Row(metric, measured, floor)


def format_bytes(count: float) -> str:
    if count >= GIB:
        return f"{count / GIB:.2f} GiB"
    return f"{count / MIB:.0f} MiB"


def print_table(title: str, rows: list[Row], notes: tuple[str, ...] = ()) -> int:
    """Print ``rows`` under ``title`` and return the exit status they add up to."""
    headers = ("metric", "measured", "floor", "ratio", "target", "result")
    cells = [(r.metric, r.measured, r.floor, r.ratio, r.target,
              "info" if r.passed is None else ("PASS" if r.passed else "FAIL")) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]

    def line(values) -> str:
        first, *rest = values
        return "  ".join([first.ljust(widths[0])]
                         + [v.rjust(w) for v, w in zip(rest, widths[1:], strict=True)])

    print(f"\n== {title} ==")
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))
    for note in (*notes, _machine_note()):
        print(f"  note: {note}")
    missed = [r.metric for r in rows if r.passed is False]
    print(f"RESULT: {'FAIL (' + '; '.join(missed) + ')' if missed else 'PASS'}")
    sys.stdout.flush()
    _record(title, headers, cells)
    return MISSED if missed else PASSED


def _record(title: str, headers: tuple[str, ...], cells: list[tuple[str, ...]]) -> None:
    destination = os.environ.get(RESULTS_ENV)
    if destination:
        with open(destination, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"title": title, "rows": [dict(zip(headers, row,
                                                                        strict=True))
                                                              for row in cells]}) + "\n")


def _machine_note() -> str:
    """Load averages next to the figures: absolute targets mean little on a busy machine.
    The benchmarks themselves keep about one core busy, so only a 1-minute load above the
    core count at the start (other work running) is flagged."""
    cores = os.cpu_count() or 1
    now = os.getloadavg()[0]
    busy = " — BUSY MACHINE, times are inflated" if _START_LOAD > cores else ""
    return f"{cores} cores, 1-min load average {_START_LOAD:.2f} at start, {now:.2f} at end{busy}"


def timed(function: Callable[[], object]) -> float:
    """Seconds one call takes, after a full collection so garbage from the previous call is
    not billed to this one."""
    gc.collect()
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def alternate(
    measured: Callable[[], object],
    floor: Callable[[], object] | None,
    repeats: int,
    warmups: int = 1,
    prepare_floor: Callable[[], Callable[[], object]] | None = None,
) -> tuple[list[float], list[float]]:
    """Time ``measured`` and ``floor`` alternately, after ``warmups`` untimed rounds of each
    (imports, lazy initialisation, caches); returns both lists of seconds.

    With ``prepare_floor``, every floor round first calls it untimed and times the callable it
    returns instead of ``floor`` (e.g. build a fresh module, then time only its export).
    """

    def floor_round() -> float:
        if prepare_floor is None:
            return timed(floor)
        return timed(prepare_floor())

    for _ in range(warmups):
        floor_round()
        measured()
    measured_times: list[float] = []
    floor_times: list[float] = []
    for index in range(repeats):
        # alternate the order too, so a slow machine phase does not always hit the same side
        if index % 2:
            measured_times.append(timed(measured))
            floor_times.append(floor_round())
        else:
            floor_times.append(floor_round())
            measured_times.append(timed(measured))
    return measured_times, floor_times


def stage_split(run: Callable[[Callable[[str, float], None]], object]) -> str:
    """Seconds per analysis stage of one untimed extra run, from ``analyze``'s progress
    callback (``run`` is called with the callback), as "load 0.41, coverage 0.20, ...";
    this is where the time goes when a ratio is missed."""
    marks: list[tuple[str, float]] = []
    gc.collect()
    run(lambda stage, _fraction: marks.append((stage, time.perf_counter())))
    return ", ".join(f"{stage} {end - start:.3f} s"
                     for (stage, start), (_, end) in itertools.pairwise(marks))


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


@dataclass(frozen=True)
class ChildRun:
    """A finished child process: exit code, wall time, its own peak RSS and the CPU time
    (user + system) it used, which a busy machine inflates less than the wall time."""

    returncode: int
    wall_s: float
    peak_rss_bytes: int
    cpu_s: float
    stdout: str
    stderr: str


# Runs the measured command as its own child and reports that child's exit code, wall time
# and ru_maxrss. On Linux a process's ru_maxrss starts from the RSS of the process it was
# forked from (the kernel keeps the old memory's high-water mark across exec; with vfork it is
# the parent's peak), so a command spawned straight from a benchmark that holds numpy, onnx or
# torch would inherit that benchmark's RSS. This launcher is a bare `python -S -I`, smaller
# than any Python command it measures, so what it reports is the command's own peak.
_LAUNCHER = """\
import os, sys, time
result_path, command = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(command[0], command)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(result_path, "w") as handle:
    handle.write(f"{os.waitstatus_to_exitcode(status)} {wall!r} {usage.ru_maxrss} "
                 f"{usage.ru_utime + usage.ru_stime!r}")
"""


def run_child(command: list[str], env: dict[str, str] | None = None,
              timeout_s: float = 600) -> ChildRun:
    """Run ``command`` and return its exit code, wall time and own peak RSS.

    The command runs under a minimal launcher (see ``_LAUNCHER``) that forks it from a tiny
    process and reads its ``ru_maxrss`` with ``wait4`` (Linux: KiB; it includes any
    grandchildren the command waited for).
    """
    result_path = Path(_scratch_file("result"))
    out_path = Path(_scratch_file("stdout"))
    err_path = Path(_scratch_file("stderr"))
    try:
        with open(os.devnull, "rb") as stdin, out_path.open("wb") as out, \
                err_path.open("wb") as err:
            launcher = subprocess.Popen(
                [sys.executable, "-S", "-I", "-c", _LAUNCHER, str(result_path), *command],
                stdin=stdin, stdout=out, stderr=err, env=env or child_env(),
                start_new_session=True,  # so a timeout can end the command with its launcher
            )
            try:
                launcher.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, 9)
                launcher.wait()
                raise RuntimeError(f"{command[0]} did not finish in {timeout_s:g} s") from None
        fields = result_path.read_text().split()
        if launcher.returncode != 0 or len(fields) != 4:
            raise RuntimeError(f"could not launch {command[0]}: {err_path.read_text()[-300:]}")
        returncode, wall, max_rss_kib = int(fields[0]), float(fields[1]), int(fields[2])
        return ChildRun(returncode, wall, max_rss_kib * 1024, float(fields[3]),
                        out_path.read_text(errors="replace"), err_path.read_text(errors="replace"))
    finally:
        for path in (result_path, out_path, err_path):
            path.unlink(missing_ok=True)


def _scratch_file(kind: str) -> str:
    import tempfile

    handle, name = tempfile.mkstemp(prefix=f"trnport-bench-{kind}-")
    os.close(handle)
    return name


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # offline, as in use: nothing may be fetched, and no user site config leaks in; no graph
    # cache, so that each run does the whole work (bench_reanalysis gives its own folder)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1",
               TRNPORT_NO_CACHE="1")
    return env


def trnport_command() -> list[str]:
    """The installed ``trnport`` console script next to this interpreter."""
    script = Path(sys.executable).parent / "trnport"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "trnport.app.cli.main"]


def check_json(model: Path, *extra: str) -> list[str]:
    """The ``trnport check`` command line the benchmarks time: JSON to stdout, no history."""
    return [*trnport_command(), "check", str(model), "--no-history", "--format", "json", *extra]


def parse_report(run: ChildRun, model: Path) -> dict:
    """The JSON report a finished check printed; raise with the child's stderr otherwise."""
    if run.returncode not in ANALYSIS_FINISHED:
        tail = run.stderr.strip().splitlines()[-3:]
        raise RuntimeError(f"trnport check {model} exited {run.returncode}: {' | '.join(tail)}")
    return json.loads(run.stdout)


def require_engine() -> None:
    """Exit with COULD_NOT_RUN and a clear line when the engine cannot be imported yet."""
    import importlib

    try:
        for module in ("api", "coverage", "kb", "loaders.onnx.loader", "loaders.torch.python_file"):
            importlib.import_module(f"trnport.analyzers.{module}")
    except ImportError as error:
        print(f"could not run: the engine does not import yet ({error})")
        sys.exit(COULD_NOT_RUN)


def profile_call(function: Callable[[], object], destination: Path) -> None:
    """Run ``function`` once under cProfile, save the stats and print the top entries."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(function)
    profiler.dump_stats(str(destination))
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
