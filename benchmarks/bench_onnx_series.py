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

The encoder shares its few configurations and module-less nodes across layers. Two more
100k-node models (``--shapes``) have what it lacks, one weight and bias per layer: an MLP
stack (MatMul 16×16, Add, Relu; 66k initializers), once with plain node names and once named
as PyTorch's exporter names them (``/layers.N/fc/MatMul``), which gives it 66k module paths.
Same floor and target, no peer.
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
SHAPE_NODES = 100_000
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
    parser.add_argument("--shapes", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the 100k-node MLP stacks with a weight per layer")
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
        for scoped in (False, True) if args.shapes else ():
            path = Path(folder) / f"mlp_{'scoped' if scoped else 'plain'}.onnx"
            nodes = build_mlp(path, SHAPE_NODES // 3, scoped)
            try:
                measured = benchlib.median(_cpu_seconds(benchlib.check_json(path), args.repeats))
                floor = benchlib.median(_cpu_seconds([sys.executable, "-c", _FLOOR, str(path)],
                                                     args.repeats))
            except RuntimeError as error:
                print(f"could not run: {error}")
                return benchlib.COULD_NOT_RUN
            names = "/layers.N/ names" if scoped else "plain names"
            rows.append(benchlib.ratio_row(
                f"{nodes:,}-node MLP, a weight per layer, {names}: check vs floor (CPU)",
                measured, floor, MAX_RATIO))
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


def build_mlp(path: Path, layers: int, scoped: bool) -> int:
    """Write an MLP stack with its own 16×16 weight and 16-element bias per layer to
    ``path`` (node names scoped per layer if ``scoped``); return its node count."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, initializers, x = [], [], "input"
    for layer in range(layers):
        scope = f"/layers.{layer}" if scoped else f"layer{layer}"
        weight, bias = f"fc{layer}.weight", f"fc{layer}.bias"
        initializers += [
            numpy_helper.from_array(rng.standard_normal((16, 16)).astype(np.float32), weight),
            numpy_helper.from_array(rng.standard_normal(16).astype(np.float32), bias)]
        nodes += [
            helper.make_node("MatMul", [x, weight], [f"mm{layer}"], name=f"{scope}/fc/MatMul"),
            helper.make_node("Add", [f"mm{layer}", bias], [f"add{layer}"],
                             name=f"{scope}/fc/Add"),
            helper.make_node("Relu", [f"add{layer}"], [f"relu{layer}"], name=f"{scope}/Relu")]
        x = f"relu{layer}"
    graph = helper.make_graph(
        nodes, "mlp_stack", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 16])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="trnport-bench")
    onnx.save(model, str(path))
    return len(nodes)


if __name__ == "__main__":
    sys.exit(main())
