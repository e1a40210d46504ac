"""PyTorch analysis time against the ``torch.export`` it needs anyway.

Target (DESIGN.md, Performance): ``analyze()`` of a Python model file (``trust_code``) takes at
most 1.2x the time of ``torch.export.export(model, args, strict=False)`` brought to dispatch
level (``run_decompositions`` with the dispatcher's CompositeImplicitAutograd kernels) of the
same module. The floor includes that re-trace because the dispatch-level op set is what the
analysis needs: it is what a Neuron backend receives.
Both run in this process, alternating, after one warm-up of each. Every round of both sides
starts from a fresh module built by executing the model file (untimed for the floor; for
``analyze()`` executing the file is part of the measured time).

The model is a small decoder-only language model: embedding, 12 pre-norm transformer blocks
(fused QKV projection, scaled-dot-product attention, GELU MLP), final norm and LM head.
"""

from __future__ import annotations

import argparse
import runpy
import sys
import tempfile
import warnings
from pathlib import Path

import benchlib

MAX_RATIO = 1.2

MODEL_FILE = '''\
import torch
from torch import nn
from torch.nn import functional as F


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        batch, seq, dim = x.shape
        q, k, v = self.qkv(x).view(batch, seq, 3, self.heads, dim // self.heads).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(out.transpose(1, 2).reshape(batch, seq, dim))


class Block(nn.Module):
    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, ffn), nn.GELU(), nn.Linear(ffn, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyLM(nn.Module):
    def __init__(self, vocab=8000, dim=256, heads=8, ffn=1024, layers=12):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, ffn) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


model = TinyLM()
example_inputs = (torch.randint(0, 8000, (2, 128)),)
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="also write a cProfile of one analyze()")
    args = parser.parse_args(argv)
    benchlib.require_engine()

    import torch

    from trnport.analyzers.api import analyze
    from trnport.analyzers.kb import load_kb
    from trnport.analyzers.loaders.torch.dispatch_level import to_dispatch_level
    from trnport.analyzers.options import AnalysisOptions

    warnings.simplefilter("ignore", FutureWarning)
    with tempfile.TemporaryDirectory(prefix="trnport-bench-torch-") as folder:
        path = Path(folder) / "tiny_lm.py"
        path.write_text(MODEL_FILE)
        options = AnalysisOptions(trust_code=True)
        kept = load_kb().backend_kernels
        reports = []
        exported_nodes = []

        def fresh_floor():
            """Build a fresh module from the file (untimed); return its timed export."""
            namespace = runpy.run_path(str(path))
            model, example_inputs = namespace["model"], namespace["example_inputs"]

            def export_to_dispatch_level() -> None:
                program = torch.export.export(model, example_inputs, strict=False)
                exported_nodes.append(len(to_dispatch_level(program, kept).graph.nodes))

            return export_to_dispatch_level

        def measured() -> None:
            reports.append(analyze(path, options))

        try:
            measured_times, floor_times = benchlib.alternate(
                measured, None, args.repeats, prepare_floor=fresh_floor)
        except ImportError as error:
            print(f"could not run: {error}")
            return benchlib.COULD_NOT_RUN
        stages = benchlib.stage_split(lambda progress: analyze(path, options, progress))
        if args.profile:
            benchlib.profile_call(lambda: analyze(path, options), args.profile)
        exec_time = benchlib.timed(lambda: runpy.run_path(str(path)))
        report = reports[-1]
        rows = [
            benchlib.info_row("dispatch-level nodes (torch.export / reported)",
                              f"{exported_nodes[-1]:,} / {report.model.nodes:,}"),
            benchlib.ratio_row(f"analyze() median of {args.repeats}",
                               benchlib.median(measured_times), benchlib.median(floor_times),
                               MAX_RATIO),
            benchlib.info_row("analyze() best", f"{min(measured_times):.3f} s",
                              f"{min(floor_times):.3f} s"),
            benchlib.info_row("executing the model file (in analyze() only)",
                              f"{exec_time:.3f} s"),
        ]
        notes = (
            "floor = torch.export.export(model, example_inputs, strict=False) brought to "
            "dispatch level: the op set the analysis needs",
            f"analyze runs (s): {benchlib.spread(measured_times)}",
            f"analyze() stages (one extra run): {stages}",
            f"floor runs (s):   {benchlib.spread(floor_times)}",
        )
        return benchlib.print_table("PyTorch analysis vs torch.export at dispatch level",
                                    rows, notes)


if __name__ == "__main__":
    sys.exit(main())
