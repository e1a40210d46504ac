"""ONNX analysis time against its floor: ``onnx.load`` + ``onnx.shape_inference.infer_shapes``.

Target (DESIGN.md, Performance): a full ``analyze()`` — loader, coverage, rules, report — of an
ONNX file takes at most 1.5x the time of loading the same file with ``onnx.load`` and running
ONNX shape inference on it, both measured in this process, alternating, after a warm-up.

The model is a transformer-like encoder stack built with ``onnx.helper``: every layer has
decomposed layer norms, multi-head attention (Reshape/Transpose/MatMul/Softmax) and an erf
GELU MLP, each with its own small weights, about 49 nodes a layer (~29k nodes in all).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import benchlib

MAX_RATIO = 1.5
OPSET = 17
DEFAULT_LAYERS = 600
#: nodes one layer of the stack adds (two layer norms, attention, MLP, two residual adds)
NODES_PER_LAYER = 49
HIDDEN, HEADS, FFN = 32, 4, 128


class _Builder:
    """Accumulates nodes and initializers with unique names."""

    def __init__(self, rng) -> None:
        self.nodes: list = []
        self.initializers: list = []
        self.rng = rng
        self._count = 0

    def name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def node(self, op: str, inputs: list[str], **attrs) -> str:
        from onnx import helper

        output = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [output], name=f"/{output}", **attrs))
        return output

    def weight(self, stem: str, shape: tuple[int, ...], scale: float = 0.02) -> str:
        import numpy as np
        from onnx import numpy_helper

        name = self.name(stem)
        data = (self.rng.standard_normal(shape) * scale).astype(np.float32)
        self.initializers.append(numpy_helper.from_array(data, name))
        return name

    def constant(self, name: str, value, dtype) -> str:
        import numpy as np
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name


def _layer_norm(b: _Builder, x: str) -> str:
    mean = b.node("ReduceMean", [x], axes=[-1], keepdims=1)
    centred = b.node("Sub", [x, mean])
    squared = b.node("Pow", [centred, "two"])
    variance = b.node("ReduceMean", [squared], axes=[-1], keepdims=1)
    shifted = b.node("Add", [variance, "eps"])
    std = b.node("Sqrt", [shifted])
    normed = b.node("Div", [centred, std])
    scaled = b.node("Mul", [normed, b.weight("ln_gamma", (HIDDEN,), 1.0)])
    return b.node("Add", [scaled, b.weight("ln_beta", (HIDDEN,))])


def _linear(b: _Builder, x: str, fan_in: int, fan_out: int) -> str:
    product = b.node("MatMul", [x, b.weight("w", (fan_in, fan_out))])
    return b.node("Add", [product, b.weight("b", (fan_out,))])


def _attention(b: _Builder, x: str) -> str:
    heads = []
    for perm in ([0, 2, 1, 3], [0, 2, 3, 1], [0, 2, 1, 3]):  # q, k (pre-transposed), v
        projected = _linear(b, x, HIDDEN, HIDDEN)
        split = b.node("Reshape", [projected, "heads_shape"])
        heads.append(b.node("Transpose", [split], perm=perm))
    q, k, v = heads
    scores = b.node("Div", [b.node("MatMul", [q, k]), "sqrt_head_dim"])
    context = b.node("MatMul", [b.node("Softmax", [scores], axis=-1), v])
    merged = b.node("Reshape", [b.node("Transpose", [context], perm=[0, 2, 1, 3]), "merge_shape"])
    return _linear(b, merged, HIDDEN, HIDDEN)


def _mlp(b: _Builder, x: str) -> str:
    hidden = _linear(b, x, HIDDEN, FFN)
    erf = b.node("Erf", [b.node("Div", [hidden, "sqrt_two"])])
    gelu = b.node("Mul", [b.node("Mul", [hidden, b.node("Add", [erf, "one"])]), "half"])
    return _linear(b, gelu, FFN, HIDDEN)


def build_model(path: Path, layers: int) -> int:
    """Write the encoder stack to ``path``; return its node count."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    b = _Builder(np.random.default_rng(0))
    head_dim = HIDDEN // HEADS
    for name, value in (("two", 2.0), ("eps", 1e-5), ("sqrt_two", 2 ** 0.5), ("one", 1.0),
                        ("half", 0.5), ("sqrt_head_dim", head_dim ** 0.5)):
        b.constant(name, value, np.float32)
    b.constant("heads_shape", [0, 0, HEADS, head_dim], np.int64)
    b.constant("merge_shape", [0, 0, HIDDEN], np.int64)
    x = "hidden_states"
    for _ in range(layers):
        x = b.node("Add", [x, _attention(b, _layer_norm(b, x))])
        x = b.node("Add", [x, _mlp(b, _layer_norm(b, x))])
    x = _layer_norm(b, x)
    graph = helper.make_graph(
        b.nodes, "encoder_stack",
        [helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT,
                                       ["batch", "seq", HIDDEN])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", "seq", HIDDEN])],
        initializer=b.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="trnport-bench")
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return len(b.nodes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=DEFAULT_LAYERS)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", type=Path, help="also write a cProfile of one analyze()")
    args = parser.parse_args(argv)
    benchlib.require_engine()

    import onnx

    from trnport.analyzers.api import analyze
    from trnport.analyzers.options import AnalysisOptions

    with tempfile.TemporaryDirectory(prefix="trnport-bench-onnx-") as folder:
        path = Path(folder) / "encoder_stack.onnx"
        nodes = build_model(path, args.layers)
        options = AnalysisOptions()
        reports = []

        def floor() -> None:
            onnx.shape_inference.infer_shapes(onnx.load(str(path)))

        def measured() -> None:
            reports.append(analyze(path, options))

        try:
            measured_times, floor_times = benchlib.alternate(measured, floor, args.repeats)
        except ImportError as error:
            print(f"could not run: {error}")
            return benchlib.COULD_NOT_RUN
        stages = benchlib.stage_split(lambda progress: analyze(path, options, progress))
        if args.profile:
            benchlib.profile_call(lambda: analyze(path, options), args.profile)
        report = reports[-1]
        size = path.stat().st_size
        rows = [
            benchlib.info_row("model nodes (built / reported)",
                              f"{nodes:,} / {report.model.nodes:,}"),
            benchlib.info_row("file size", benchlib.format_bytes(size)),
            benchlib.ratio_row(f"analyze() median of {args.repeats}",
                               benchlib.median(measured_times), benchlib.median(floor_times),
                               MAX_RATIO),
            benchlib.info_row("analyze() best", f"{min(measured_times):.3f} s",
                              f"{min(floor_times):.3f} s"),
        ]
        notes = (
            "floor = onnx.load(file) + onnx.shape_inference.infer_shapes(model), same process, "
            "alternating with analyze() after one warm-up of each",
            f"analyze runs (s): {benchlib.spread(measured_times)}",
            f"analyze() stages (one extra run): {stages}",
            f"floor runs (s):   {benchlib.spread(floor_times)}",
        )
        return benchlib.print_table(
            f"ONNX analysis vs onnx.load + infer_shapes ({nodes:,} nodes)", rows, notes)


if __name__ == "__main__":
    sys.exit(main())
