"""The HTML report of a 30,000-node model: its size, and how fast its graph opens in
headless Chromium.

Targets (issue: graph view): the report stays under 5 MB and opens in under 2 s. The model
is ``bench_gui_tables.py``'s encoder stack cut to 30,000 nodes (exporter-style node names,
so the graph groups by module). It is analysed once, untimed. Chromium loads the page from
disk; the page's graph script records, on its section, how long after the start of the
navigation its first view was drawn (``performance.now()``: parsing the 5 MB page, reading the
graph's JSON, laying out and drawing the first view). The wall time of the whole
``chromium --dump-dom`` run is printed next to that of an empty page, the floor of starting
the browser.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_gui_tables
import benchlib

NODES = 30_000
SIZE_LIMIT = 5 * 1000 * 1000
OPEN_LIMIT_S = 2.0
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run")


def dump(chromium: str, page: Path, profile: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}",
                             "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
                            capture_output=True, text=True, timeout=120, check=False)
    return time.perf_counter() - start, result.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=NODES)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    benchlib.require_engine()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("could not run: headless Chromium is not installed")
        return benchlib.COULD_NOT_RUN

    from trnport.analyzers.api import analyze
    from trnport.analyzers.report.html_renderer import render_html

    with tempfile.TemporaryDirectory(prefix="trnport-bench-html-graph-") as folder:
        root = Path(folder)
        model = root / "encoder_stack.onnx"
        nodes = bench_gui_tables.build_model(model, args.nodes)
        report = analyze(model)
        start = time.perf_counter()
        page = root / "report.html"
        page.write_text(render_html(report), encoding="utf-8")
        render_s = time.perf_counter() - start
        empty = root / "empty.html"
        empty.write_text("<!doctype html><title>empty</title>", encoding="utf-8")
        size = page.stat().st_size
        opened, walls, floors = [], [], []
        for run in range(args.repeats + 1):  # the first round is a warm-up
            floor_s, _ = dump(chromium, empty, root / f"profile-empty-{run}")
            wall_s, dom = dump(chromium, page, root / f"profile-{run}")
            found = re.search(r'id="graph"[^>]*data-opened-ms="(\d+)"', dom)
            if found is None:
                print("could not run: the graph did not render in Chromium")
                return benchlib.COULD_NOT_RUN
            if run:
                opened.append(int(found.group(1)) / 1000)
                walls.append(wall_s)
                floors.append(floor_s)
            boxes = re.search(r'data-boxes="(\d+)"', dom).group(1)
    rows = [
        benchlib.info_row("model nodes (built / in the graph)",
                          f"{nodes:,} / {len(report.graph.nodes):,}"),
        benchlib.Row("report size", f"{size / 1e6:.2f} MB",
                     target=f"< {SIZE_LIMIT / 1e6:g} MB", passed=size < SIZE_LIMIT),
        benchlib.seconds_row(f"navigation -> graph drawn in Chromium, median of {args.repeats}",
                             benchlib.median(opened), OPEN_LIMIT_S),
        benchlib.info_row("chromium --dump-dom wall, report / empty page (median)",
                          f"{benchlib.median(walls):.2f} s", f"{benchlib.median(floors):.2f} s"),
        benchlib.info_row("render_html", f"{render_s:.2f} s"),
        benchlib.info_row("boxes in the first view", boxes),
    ]
    notes = (f"navigation -> graph drawn runs (s): {benchlib.spread(opened)}",)
    return benchlib.print_table(
        f"HTML report: graph of a {len(report.graph.nodes):,}-node model", rows, notes)


if __name__ == "__main__":
    sys.exit(main())
