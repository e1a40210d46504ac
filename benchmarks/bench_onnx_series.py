"""ONNX analysis against its floor and a peer at every size, whole process, 1k to 300k nodes.

For each size the encoder stack of ``bench_onnx.py`` is written with that many nodes, then
three commands run as their own processes, alternating, and their CPU seconds (user + sys,
which a busy machine inflates less than wall time) are compared:

- ``trnport check MODEL --no-history --format json`` — what is measured;
- the floor: a Python process that imports onnx, ``onnx.load`` s the file and runs
  ``onnx.shape_inference.infer_shapes`` — the least any analysis of shapes must do;
- the peer: ``polygraphy inspect model MODEL`` (loads and summarises the model; skipped
  with a note when polygraphy is not installed).

Targets: trnport at most 1.5× the floor and no slower than polygraphy at every size, and
linear growth: the CPU cost per node at the largest size at most 1.25× that at 50k nodes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import benchlib
from bench_onnx import NODES_PER_LAYER, build_model

MAX_RATIO = 1.5
MAX_PEER_RATIO = 1.0
MAX_GROWTH = 1.25
DEFAULT_SIZES = (1_000, 10_000, 50_000, 100_000, 300_000)
_FLOOR = ("import sys, onnx\n"
          "onnx.shape_inference.infer_shapes(onnx.load(sys.argv[1]))\n")


def _cpu_seconds(command: list[str], repeats: int) -> list[float]:
    runs = []
    for _ in range(repeats):
        run = benchlib.run_child(command, timeout_s=1800)
        if run.returncode not in benchlib.ANALYSIS_FINISHED:
            raise RuntimeError(f"{' '.join(command[:3])} exited {run.returncode}: "
                               f"{run.stderr.strip().splitlines()[-1:]}")
        runs.append(run.cpu_s)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda text: tuple(int(s) for s in text.split(",")),
                        default=DEFAULT_SIZES, help="node counts, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    benchlib.require_engine()
    polygraphy = shutil.which("polygraphy") or str(Path(sys.executable).parent / "polygraphy")
    has_peer = Path(polygraphy).exists()
    rows, notes, per_node = [], [], {}
    with tempfile.TemporaryDirectory(prefix="trnport-bench-series-") as folder:
        for size in args.sizes:
            path = Path(folder) / f"encoder_{size}.onnx"
            nodes = build_model(path, max(1, round(size / NODES_PER_LAYER)))
            try:
                measured = benchlib.median(_cpu_seconds(benchlib.check_json(path), args.repeats))
                floor = benchlib.median(_cpu_seconds([sys.executable, "-c", _FLOOR, str(path)],
                                                     args.repeats))
                peer = (benchlib.median(_cpu_seconds([polygraphy, "inspect", "model",
                                                      str(path)], args.repeats))
                        if has_peer else None)
            except RuntimeError as error:
                print(f"could not run: {error}")
                return benchlib.COULD_NOT_RUN
            per_node[nodes] = measured / nodes
            label = f"{nodes:,} nodes"
            rows.append(benchlib.ratio_row(f"{label}: check vs floor (CPU)", measured, floor,
                                           MAX_RATIO))
            if peer is not None:
                rows.append(benchlib.ratio_row(f"{label}: check vs polygraphy (CPU)", measured,
                                               peer, MAX_PEER_RATIO))
            rows.append(benchlib.info_row(f"{label}: CPU per node",
                                          f"{1e6 * measured / nodes:.1f} us",
                                          f"{1e6 * floor / nodes:.1f} us"))
            path.unlink()
    sizes = sorted(per_node)
    reference = min(sizes, key=lambda n: abs(n - 50_000))
    if len(sizes) > 1 and sizes[-1] > reference:
        growth = per_node[sizes[-1]] / per_node[reference]
        rows.append(benchlib.Row(
            f"CPU per node, {sizes[-1]:,} vs {reference:,} nodes", f"{growth:.2f}x",
            target=f"<= {MAX_GROWTH:.2f}x", passed=growth <= MAX_GROWTH))
    notes.append("CPU seconds (user + sys) of each whole process, median of "
                 f"{args.repeats}; floor = python -c 'onnx.load + infer_shapes'")
    if not has_peer:
        notes.append("polygraphy is not installed: no peer comparison (pip install polygraphy)")
    return benchlib.print_table("ONNX analysis, whole process, by model size", rows,
                                tuple(notes))


if __name__ == "__main__":
    sys.exit(main())
