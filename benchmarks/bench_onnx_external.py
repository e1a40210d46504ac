"""Peak RSS of ``trnport check`` on a 2.5 GiB ONNX model whose weights are external data.

Target (DESIGN.md, Performance; absolute): the whole ``trnport check`` subprocess stays at or
under 300 MB peak RSS — the loader must leave the external data on disk. The time is reported
for information.

The model is an MLP stack of ten 8192x8192 float32 MatMul weights (256 MiB each, 2.5 GiB in
all) stored in one external data file next to the .onnx. The weights file is written with
real (random) bytes in 16 MiB chunks, so this process never holds more than one chunk, and is
deleted afterwards.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import benchlib

RSS_LIMIT = 300 * 1000 * 1000  # "300 MB"
WIDTH = 8192
LAYERS = 10
CHUNK_ELEMENTS = 4 * 1024 * 1024  # 16 MiB of float32
ALIGNMENT = 4096
DATA_FILE = "mlp_stack.onnx.data"


def _write_weights(data_path: Path, rng) -> list[tuple[int, int]]:
    """Write LAYERS weight matrices chunk by chunk; return (offset, length) of each."""
    import numpy as np

    spans = []
    elements = WIDTH * WIDTH
    with data_path.open("wb") as handle:
        for _ in range(LAYERS):
            offset = (handle.tell() + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
            handle.seek(offset)
            written = 0
            while written < elements:
                count = min(CHUNK_ELEMENTS, elements - written)
                chunk = (rng.standard_normal(count, dtype=np.float32) * 0.01).astype("<f4")
                handle.write(chunk.tobytes())
                written += count
                del chunk
            spans.append((offset, elements * 4))
    return spans


def build_model(folder: Path) -> Path:
    """Write the .onnx and its external data file into ``folder``; return the .onnx path."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    spans = _write_weights(folder / DATA_FILE, rng)
    nodes, initializers = [], []
    x = "features"
    for index, (offset, length) in enumerate(spans):
        weight = TensorProto(name=f"layers.{index}.weight", dims=[WIDTH, WIDTH],
                             data_type=TensorProto.FLOAT, data_location=TensorProto.EXTERNAL)
        for key, value in (("location", DATA_FILE), ("offset", str(offset)),
                           ("length", str(length))):
            entry = weight.external_data.add()
            entry.key, entry.value = key, value
        bias = numpy_helper.from_array(np.zeros(WIDTH, np.float32), f"layers.{index}.bias")
        initializers += [weight, bias]
        product, biased = f"layers.{index}.matmul", f"layers.{index}.add"
        nodes += [helper.make_node("MatMul", [x, weight.name], [product], name=product),
                  helper.make_node("Add", [product, bias.name], [biased], name=biased)]
        x = biased
        if index < len(spans) - 1:
            nodes.append(helper.make_node("Relu", [x], [f"layers.{index}.relu"],
                                          name=f"layers.{index}.relu"))
            x = f"layers.{index}.relu"
    graph = helper.make_graph(
        nodes, "mlp_stack",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", WIDTH])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", WIDTH])],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="trnport-bench")
    path = folder / "mlp_stack.onnx"
    onnx.save(model, str(path))
    onnx.checker.check_model(str(path))  # by path: validates external-data references only
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2,
                        help="check runs; the highest RSS and the median time count")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to write the 2.5 GiB model (default: the temp folder)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="trnport-bench-onnx-ext-", dir=args.dir) as folder:
        write_time = benchlib.timed(lambda: build_model(Path(folder)))
        path = Path(folder) / "mlp_stack.onnx"
        data = Path(folder) / DATA_FILE
        runs = [benchlib.run_child(benchlib.check_json(path)) for _ in range(args.repeats)]
        try:
            report = [benchlib.parse_report(run, path) for run in runs][-1]
        except RuntimeError as error:
            print(f"could not run: {error}")
            return benchlib.COULD_NOT_RUN
        data_stat = data.stat()
        rows = [
            benchlib.info_row("external data file size / on disk",
                              f"{benchlib.format_bytes(data_stat.st_size)} / "
                              f"{benchlib.format_bytes(data_stat.st_blocks * 512)}"),
            benchlib.info_row(".onnx file size", f"{path.stat().st_size:,} bytes"),
            benchlib.info_row("reported params / param bytes",
                              f"{report['model']['params']:,} / "
                              f"{benchlib.format_bytes(report['model']['param_bytes'])}"),
            benchlib.rss_row(f"trnport check peak RSS, highest of {args.repeats}",
                             max(run.peak_rss_bytes for run in runs), RSS_LIMIT, strict=False,
                             limit_label="300 MB"),
            benchlib.info_row(f"trnport check wall time, median of {args.repeats}",
                              f"{benchlib.median([run.wall_s for run in runs]):.2f} s"),
        ]
    baseline = benchlib.run_child([*benchlib.trnport_command(), "--version"])
    rows.append(benchlib.info_row("reference: `trnport --version` wall / peak RSS",
                                  f"{baseline.wall_s:.2f} s / "
                                  f"{benchlib.format_bytes(baseline.peak_rss_bytes)}"))
    notes = (
        "measured: `trnport check mlp_stack.onnx --no-history --format json` as a subprocess; "
        "peak RSS is the command's own ru_maxrss (wait4, forked from a tiny launcher); "
        "300 MB = 300,000,000 bytes",
        f"writing the model took {write_time:.1f} s (not measured); it is deleted afterwards",
        f"exit codes {[run.returncode for run in runs]}",
    )
    return benchlib.print_table("2.5 GiB ONNX with external data: trnport check", rows, notes)


if __name__ == "__main__":
    sys.exit(main())
