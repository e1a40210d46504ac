"""dynamic-input-dims: a model input whose size is symbolic, so no single graph fits it.

## What it flags
Graph inputs with symbolic dimensions: ONNX `dim_param` (or unnamed) dims, and dims that
`torch.export` was told are dynamic (`dynamic_shapes`, `Dim(...)`). Inputs pinned with
`--input-shape NAME=1x128` are not flagged.

## Why it fails on Neuron
neuronx-cc compiles static shapes only (NCC_EMOD025): `torch_neuronx.trace` fixes every
input shape at trace time, and lazy XLA compiles a new graph for every new shape it sees.
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
bucket (`torch_neuronx` bucketing, or `neuron_parallel_compile` to pre-compile them).

## Source
aws-neuron-sdk `compiler/error-codes/EMOD025.rst`; `frameworks/torch/torch-neuronx/
api-reference-guide/inference/api-torch-neuronx-trace.rst`; `archive/nxd-training/bert.rst`
and `about-neuron/arch/neuron-features/neuron-caching.rst` (FACTS.md §3, §8).
"""

from trnport.analyzers.hazards import bucket_edges, dynamic_inputs, node_location
from trnport.analyzers.report.model import Finding, Location, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN302", symbol="dynamic-input-dims", severity="warning", category="dynamic_shape",
    title="Model input has symbolic (dynamic) dimensions",
    fix="Pin the size with --input-shape and pad inputs to a few fixed bucket sizes",
)
SOURCE = (
    "aws-neuron-sdk compiler/error-codes/EMOD025.rst; api-torch-neuronx-trace.rst; "
    "archive/nxd-training/bert.rst; about-neuron/arch/neuron-features/neuron-caching.rst"
)


def check(context):
    graph = context.graph
    pinned = dict(getattr(context.options, "input_shapes", None) or {})
    consumers = _first_consumers(graph)
    for found in dynamic_inputs(graph, pinned):
        dims = ", ".join(f"{symbol} (axis {axis})" for axis, symbol in found.dims)
        ranges = dict(found.ranges)
        advice = []
        for symbol in dict.fromkeys(symbol for _, symbol in found.dims):
            low, high = ranges.get(symbol, (1, None))
            edges = bucket_edges(low, high)
            bound = f"{low}..{high}" if high is not None else f"{low}..unbounded"
            advice.append(f"{symbol} in {bound}: pad to buckets {edges}")
        shape = "x".join(str(d) for d in found.shape)
        user = consumers.get(found.name)
        location = node_location(user) if user is not None else Location(
            file=graph.metadata.get("source_file"))
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
            message=(f"input '{found.name}' [{shape}] has symbolic dims {dims}: Neuron "
                     f"compiles one static shape per graph; " + "; ".join(advice)),
            fix=f"{INFO.fix} (e.g. --input-shape {found.name}={_example_shape(found)})",
            ops=(), nodes=(user.name,) if user is not None else (), location=location,
            provenance=Provenance(kind="rule", source=SOURCE), confidence="high",
        )


def _first_consumers(graph):
    consumers = {}
    for node in graph.nodes:
        for name in node.inputs:
            if name and name not in consumers:
                consumers[name] = node
    return consumers


def _example_shape(found) -> str:
    ranges = dict(found.ranges)
    sizes = []
    for dim in found.shape:
        if isinstance(dim, int):
            sizes.append(str(dim))
        else:
            low, high = ranges.get(dim, (1, None))
            sizes.append(str(bucket_edges(low, high)[0]))
    return "x".join(sizes)
