"""Run every benchmark, each in its own subprocess, print a summary and exit non-zero if any
target was missed or a benchmark could not run (``make bench``).

Each benchmark runs in a fresh interpreter so that its imports, caches and peak RSS are its
own. Pass benchmark names (e.g. ``onnx hf_llama``) to run only those.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("onnx", "onnx_series", "startup", "torch", "engine", "hf_llama", "reanalysis",
              "onnx_external", "gui", "gui_tables", "gui_graph", "html_graph")
OUTCOMES = {0: "PASS", 1: "FAIL (target missed)", 2: "ERROR (could not run)"}


def main(argv: list[str]) -> int:
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
        code = subprocess.call([sys.executable, str(script)], cwd=HERE)
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
