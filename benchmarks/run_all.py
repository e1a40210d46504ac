"""Run every benchmark, each in its own subprocess, print a summary and exit non-zero if any
target was missed or a benchmark could not run (``make bench``).

Each benchmark runs in a fresh interpreter so that its imports, caches and peak RSS are its
own. Pass benchmark names (e.g. ``onnx hf_llama``) to run only those. With ``--readme`` the
figures of the run replace the table between the benchmark markers of the project's
README.md (``make bench`` does this).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchlib import RESULTS_ENV

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("onnx", "onnx_series", "startup", "torch", "engine", "hf_llama", "reanalysis",
              "onnx_external", "gui", "gui_tables", "gui_graph", "html_graph")
OUTCOMES = {0: "PASS", 1: "FAIL (target missed)", 2: "ERROR (could not run)"}
README = HERE.parent / "README.md"
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def main(argv: list[str]) -> int:
    readme = "--readme" in argv
    argv = [a for a in argv if a != "--readme"]
    if not readme:
        return run(argv)
    with tempfile.TemporaryDirectory(prefix="trnport-bench-") as folder:
        results = Path(folder) / "tables.jsonl"
        os.environ[RESULTS_ENV] = str(results)
        start_load = os.getloadavg()[0]
        status = run(argv)
        tables = [json.loads(line) for line in results.read_text().splitlines()] \
            if results.exists() else []
    write_readme(tables, start_load, os.getloadavg()[0])
    print(f"README.md: benchmark table rewritten from this run ({len(tables)} tables)")
    return status


def write_readme(tables: list[dict], start_load: float, end_load: float) -> None:
    """Replace the README's table between the markers with ``tables``."""
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no {START} … {END} block to rewrite")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [START, "",
             f"Measured by `make bench` on {when}: {os.cpu_count()} cores, Python "
             f"{platform.python_version()}, load average {start_load:.2f} at the start and "
             f"{end_load:.2f} at the end.", "",
             "| benchmark | metric | measured | floor | ratio | target | result |",
             "|---|---|---|---|---|---|---|"]
    for table in tables:
        for row in table["rows"]:
            cells = [table["title"], *(row[k] for k in ("metric", "measured", "floor", "ratio",
                                                         "target", "result"))]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += ["", END]
    README.write_text(head + "\n".join(lines) + tail, encoding="utf-8")


def run(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    results = []
    for name in chosen:
        script = HERE / f"bench_{name}.py"
        print(f"\n##### {script.name}", flush=True)
        start = time.perf_counter()
        # without the graph cache: a benchmark measures the whole work unless it asks for one
        code = subprocess.call([sys.executable, str(script)], cwd=HERE,
                               env={**os.environ, "TRNPORT_NO_CACHE": "1"})
        results.append((name, code, time.perf_counter() - start))
    print("\n##### summary")
    width = max(len(name) for name, _, _ in results)
    for name, code, seconds in results:
        outcome = OUTCOMES.get(code, f"ERROR (exit {code})")
        print(f"{name.ljust(width)}  {outcome:<22}  {seconds:6.1f} s")
    total = sum(seconds for _, _, seconds in results)
    failed = [name for name, code, _ in results if code != 0]
    verdict = "FAILED: " + ", ".join(failed) if failed else "all targets met"
    print(f"total {total:.0f} s; {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
