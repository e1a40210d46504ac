'''recompilation-per-input-shape: several input shapes, one compiled graph each.

## What it flags
A model seen with more than one input shape: the example inputs of a Python model file given
as a list of tuples, or the lengths observed in production passed with `--shapes FILE` (a CSV
of lengths, optionally with counts). The finding gives the number of distinct graphs, and the
bucket edges that pad least when at most `--max-graphs` graphs (default 4) may be compiled,
with the padding overhead they cost.

## Why it fails on Neuron
Neuron compiles one graph (NEFF) per distinct input shape; on PyTorch/XLA torch-neuronx traces
fixed shapes, and under torch-xla every new shape triggers a new compilation (minutes each) at
run time; on TorchNeuron `torch.compile(backend="neuron")` compiles again for every new input
shape and rejects `dynamic=True`, so there is no single graph for a range of shapes.
Unbucketed variable lengths mean compiling during serving or training.

## Example
```python
# trnport: --max-graphs 2
import torch

model = torch.nn.Sequential(torch.nn.Embedding(1000, 32), torch.nn.Linear(32, 2))
example_inputs = [(torch.zeros(1, n, dtype=torch.long),) for n in (17, 64, 100, 128, 300)]
```

## Suggested rewrite
Pad every input up to the proposed bucket edges (and mask the padding), compile one graph per
bucket (on PyTorch/XLA torch-neuronx autobucketing, or one trace per edge, pre-compiled with
`neuron_parallel_compile` for training; on TorchNeuron one compile per edge, kept in the NEFF
cache).

## Source
`reference/neuron/gpu_to_neuron_migration.csv` row 18; aws-neuron-sdk
`frameworks/torch/torch-neuronx/programming-guide/inference/autobucketing-dev-guide.rst`,
`about-neuron/arch/neuron-features/neuron-caching.rst`; pytorch/xla
`docs/source/learn/migration-to-xla-on-tpus.md`; awsdocs-neuron
`latest/torch/compile/reference-torch-compile.html` (`dynamic`, recompilation per shape).
'''

from trnport.analyzers.graph.ir import SourceLocation
from trnport.analyzers.recompile import from_lengths, from_shape_sets
from trnport.analyzers.results import Finding, Location, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN310", symbol="recompilation-per-input-shape", severity="warning",
    category="recompilation",
    title="Several input shapes compile several graphs",
    fix="Pad inputs to the proposed bucket edges and compile one graph per bucket",
)


def estimates(context):
    """The estimates for this analysis: from --shapes, then from the example inputs."""
    options = context.options
    found = []
    lengths = getattr(options, "observed_lengths", ())
    if lengths:
        found.append(from_lengths(tuple(lengths), options.max_graphs))
    shape_sets = context.graph.metadata.get("input_shape_sets") or []
    if len(shape_sets) > 1:
        found.append(from_shape_sets(shape_sets, options.max_graphs))
    return [estimate for estimate in found if estimate is not None]


def check(context):
    location = _model_location(context)
    for estimate in estimates(context):
        dims = "; ".join(
            f"{d.label}: {len(set(d.values))} values {min(d.values)}..{max(d.values)} → "
            f"edges {', '.join(map(str, d.bucketing.edges))} "
            f"(+{d.bucketing.overhead_pct:.1f}% padding)" for d in estimate.dims)
        source = ("the observed lengths (--shapes)" if estimate.source == "--shapes"
                  else "the example inputs")
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
            message=(f"{estimate.graphs} distinct input shapes in {source} compile "
                     f"{estimate.graphs} graphs; bucketed to at most {estimate.max_graphs}: "
                     f"{estimate.bucketed_graphs} graphs — {dims}"
                     + " ".join(context.stack_text("shapes").split())),
            fix=INFO.fix, ops=(), nodes=(), location=location,
            provenance=Provenance(kind="rule", source=context.kb.citation("recompilation")),
        )


def _model_location(context) -> Location:
    """The line defining ``example_inputs`` in a Python model file, else the file."""
    source = context.graph.metadata.get("source_file")
    if not source:
        return Location(file=None, line=None, module=None)
    line = None
    try:
        with open(source, encoding="utf-8") as handle:
            for number, text in enumerate(handle, start=1):
                if text.lstrip().startswith(("example_inputs", "def example_inputs")):
                    line = number
                    break
    except OSError:
        pass
    where = SourceLocation(file=source, line=line)
    return Location(file=where.file, line=where.line, module=None)
