"""Engine stages timed against floors run in the same process: the coverage pass, the
knowledge-base load and the FX → IR conversion.

These were once speed asserts in the unit tests; on a shared machine a wall-clock bound
there fails for reasons that have nothing to do with the code, so they live here as ratios.

- coverage: ``assess_coverage`` of a 50,000-node graph (a Linear + GELU + LayerNorm block
  repeated) against a floor that walks the same graph and looks every op up in a dict — the
  least a per-node verdict costs. Target: at most 60x (the pass also computes dtype issues,
  rule facts and the stack layer; measured 39x on a busy 2-core machine).
- knowledge base: ``load_kb_from`` of the shipped knowledge base against ``json.loads`` of its
  compiled copy (the bytes it must parse; it also builds the frozen entries, measured 6x).
  Target: at most 10x.
- conversion: ``graph_from_exported_program(..., decompose=False)`` of a 12-block attention
  stack against the ``torch.export`` + dispatch-level re-trace it follows. Target: at most
  0.1x of that export.
"""

from __future__ import annotations

import argparse
import json
import sys

import benchlib

MAX_COVERAGE_RATIO = 60.0
MAX_KB_RATIO = 10.0
MAX_CONVERSION_SHARE = 0.1
NODES = 50_000


def _coverage_rows(repeats: int) -> list[benchlib.Row]:
    import torch

    from trnport.analyzers.coverage import assess_coverage
    from trnport.analyzers.graph import Graph, Node
    from trnport.analyzers.kb import load_kb
    from trnport.analyzers.loaders.torch.fx_graph import graph_from_exported_program
    from trnport.analyzers.options import AnalysisOptions

    block = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.GELU(), torch.nn.LayerNorm(8))
    small = graph_from_exported_program(
        torch.export.export(block, (torch.randn(2, 8),), strict=False), "block")
    nodes = [Node(f"{node.name}_{copy}", node.op, node.inputs, node.outputs, node.attributes)
             for copy in range(NODES // len(small.nodes) + 1) for node in small.nodes]
    graph = Graph(name="big", nodes=nodes[:NODES], values=dict(small.values))
    kb = load_kb()
    options = AnalysisOptions(target="trn1")
    profile, target = kb.profile(None), kb.target("trn1")
    table = {node.op: node.op for node in graph.nodes}

    def measured() -> None:
        assess_coverage(graph, kb, profile, target, options)

    def floor() -> None:
        found = [table.get(node.op) for node, _ in graph.walk()]
        assert len(found) == NODES

    measured_times, floor_times = benchlib.alternate(measured, floor, repeats)
    return [benchlib.ratio_row(f"coverage of {NODES:,} nodes (median of {repeats})",
                               benchlib.median(measured_times), benchlib.median(floor_times),
                               MAX_COVERAGE_RATIO)]


def _kb_rows(repeats: int) -> list[benchlib.Row]:
    from trnport.analyzers.kb.loader import COMPILED_FILE, default_kb_dir, load_kb_from

    folder = default_kb_dir()
    compiled = (folder / COMPILED_FILE).read_text(encoding="utf-8")
    measured_times, floor_times = benchlib.alternate(
        lambda: load_kb_from(folder), lambda: json.loads(compiled), repeats)
    return [benchlib.ratio_row(f"knowledge base load (median of {repeats})",
                               benchlib.median(measured_times), benchlib.median(floor_times),
                               MAX_KB_RATIO)]


def _conversion_rows(repeats: int) -> list[benchlib.Row]:
    import torch
    from torch import nn

    from trnport.analyzers.kb import load_kb
    from trnport.analyzers.loaders.torch.dispatch_level import to_dispatch_level
    from trnport.analyzers.loaders.torch.fx_graph import graph_from_exported_program

    class Stack(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = nn.ModuleList(
                nn.MultiheadAttention(16, 2, batch_first=True) for _ in range(12))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for block in self.blocks:
                x = x + block(x, x, x)[0]
            return x

    kept = load_kb().backend_kernels
    model, inputs = Stack().eval(), (torch.randn(1, 8, 16),)
    programs = []

    def export() -> None:
        programs.append(to_dispatch_level(torch.export.export(model, inputs, strict=False),
                                          kept))

    def convert() -> None:
        graph_from_exported_program(programs[-1], "stack", decompose=False)

    export()  # the conversion needs a program from its first round on
    floor_times, measured_times = benchlib.alternate(export, convert, repeats)
    share = benchlib.median(measured_times) / benchlib.median(floor_times)
    return [benchlib.Row(f"FX -> IR conversion / export (median of {repeats})",
                         f"{benchlib.median(measured_times):.3f} s",
                         f"{benchlib.median(floor_times):.3f} s", f"{share:.2f}x",
                         f"<= {MAX_CONVERSION_SHARE:.2f}x", share <= MAX_CONVERSION_SHARE)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    benchlib.require_engine()
    rows = [*_coverage_rows(args.repeats), *_kb_rows(args.repeats),
            *_conversion_rows(args.repeats)]
    notes = ("coverage floor: one dict look-up per node of the same graph",
             "knowledge-base floor: json.loads of kb.compiled.json",
             "conversion floor: torch.export + the dispatch-level re-trace of the same module")
    return benchlib.print_table("Engine stages vs their floors", rows, notes)


if __name__ == "__main__":
    sys.exit(main())
