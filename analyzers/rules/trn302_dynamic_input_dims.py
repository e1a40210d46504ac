"""dynamic-input-dims: a model input whose size is symbolic, so no single graph fits it.

## What it flags
Graph inputs with symbolic dimensions: ONNX `dim_param` (or unnamed) dims, and dims that
`torch.export` was told are dynamic (`dynamic_shapes`, `Dim(...)`). Inputs pinned with
`--input-shape NAME=1x128` are not flagged.

## Why it fails on Neuron
neuronx-cc compiles static shapes only (NCC_EMOD025): on PyTorch/XLA `torch_neuronx.trace`
fixes every input shape at trace time, and lazy XLA compiles a new graph for every new shape
it sees; on TorchNeuron `torch.compile(backend="neuron")` rejects `dynamic=True` at compile
time and compiles again for every new input shape.
A dynamic batch or sequence length therefore means either a failed compile or one
compilation per distinct size, unless inputs are padded to a few fixed bucket sizes.

## Example
```python
import torch

class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(32, 32)

    def forward(self, tokens):
        return torch.relu(self.proj(tokens))

model = Encoder()
example_inputs = (torch.randn(2, 64, 32),)
dynamic_shapes = ({1: torch.export.Dim("seq", min=8, max=1024)},)
```

## Suggested rewrite
Fix the size (`--input-shape tokens=2x128x32` to analyse one shape), and at run time pad
inputs up to a small set of bucket sizes (e.g. 128/256/512/1024), compiling one graph per
bucket (on PyTorch/XLA `torch_neuronx` bucketing, or `neuron_parallel_compile` to
pre-compile them; on TorchNeuron one compile per bucket, kept in the NEFF cache).

A batch axis needs no buckets: compile one batch size (`--batch`, else 1) and let dynamic
batching on the batch dimension split bigger batches into runs of that size. An axis counts
as batch when its symbol's name says so (`batch`, `batch_size`, `N`) or, for names such as
`s0`, when it only ever sizes axis 0 of inputs of rank two or more; names like `seq`,
`length` or `height` always get buckets.

## Source
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/compiler/error-codes/EMOD025.rst;
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/frameworks/torch/torch-neuronx/api-reference-guide/inference/api-torch-neuronx-trace.rst;
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/archive/nxd-training/bert.rst;
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/about-neuron/arch/neuron-features/neuron-caching.rst;
`torch.compile` and `dynamic`:
https://awsdocs-neuron.readthedocs-hosted.com/en/latest/torch/compile/reference-torch-compile.html
"""

from trnport.analyzers.hazards import (
    batch_symbols,
    bucket_edges,
    dynamic_inputs,
    node_location,
)
from trnport.analyzers.results import Finding, Location, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN302", symbol="dynamic-input-dims", severity="warning", category="dynamic_shape",
    title="Model input has symbolic (dynamic) dimensions",
    fix="Pin the size with --input-shape and pad inputs to a few fixed bucket sizes",
)
BATCH_FIX = "Pin the size with --input-shape and use dynamic batching on the batch axis"


def check(context):
    graph = context.graph
    options = context.options
    pinned = dict(getattr(options, "input_shapes", None) or {})
    every = dynamic_inputs(graph, pinned)
    consumers = _first_consumers(graph, {found.name for found in every})
    batch = batch_symbols(every)
    # every symbol's proven (low, high); unproven ones run from 1 with no upper bound
    bounds = {symbol: (1, None) for entry in every for _, symbol in entry.dims}
    bounds.update(pair for entry in every for pair in entry.ranges)
    sizes = _example_sizes(bounds, batch, getattr(options, "batch", 1),
                           getattr(options, "seq_len", None))
    for found in every:
        dims = ", ".join(f"{symbol} (axis {axis})" for axis, symbol in found.dims)
        advice = []
        symbols = dict.fromkeys(symbol for _, symbol in found.dims)
        for symbol in symbols:
            low, high = bounds[symbol]
            bound = f"{low}..{high}" if high is not None else f"{low}..unbounded"
            if symbol in batch:
                advice.append(f"{symbol} in {bound} is a batch axis: compile batch "
                              f"{sizes[symbol]} and split bigger batches with dynamic batching")
            else:
                advice.append(f"{symbol} in {bound}: pad to buckets {bucket_edges(low, high)}")
        shape = "x".join(str(d) for d in found.shape)
        example = "x".join(str(sizes.get(d, d)) for d in found.shape)
        user = consumers.get(found.name)
        location = node_location(user) if user is not None else Location(
            file=graph.metadata.get("source_file"))
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
            message=(f"input '{found.name}' [{shape}] has symbolic dims {dims}: Neuron "
                     f"compiles one static shape per graph; " + "; ".join(advice)
                     + " ".join(context.stack_text("shapes").split())),
            fix=f"{BATCH_FIX if batch.issuperset(symbols) else INFO.fix} "
                f"(e.g. --input-shape {found.name}={example})",
            ops=(), nodes=(user.name,) if user is not None else (), location=location,
            provenance=Provenance(kind="rule", source=context.kb.citation("dynamic_input_dims")),
            confidence="high",
        )


def _first_consumers(graph, names: set[str]) -> dict:
    """The first node reading each of ``names`` (the walk stops once all are found)."""
    consumers = {}
    for node in graph.nodes if names else ():
        for name in node.inputs:
            if name in names and name not in consumers:
                consumers[name] = node
        if len(consumers) == len(names):
            break
    return consumers


def _example_sizes(bounds: dict[str, tuple[int, int | None]], batch: set[str],
                   batch_size: int, seq_len: int | None) -> dict[str, int]:
    """The size to analyse each symbol at: ``--batch`` for batch axes and ``--seq-len`` for
    the others, kept inside the range export proved; else the smallest bucket."""
    sizes = {}
    for symbol, (low, high) in bounds.items():
        wanted = batch_size if symbol in batch else seq_len
        if wanted is None:
            sizes[symbol] = bucket_edges(low, high)[0]
        else:
            sizes[symbol] = max(low, wanted if high is None else min(wanted, high))
    return sizes
