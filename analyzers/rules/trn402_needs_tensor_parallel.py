"""needs-tensor-parallel: the model does not fit one NeuronCore, but fits with TP ≥ N.

## What it flags
Models analysed for a single core (`--tp 1 --pp 1`, the default) whose per-core memory —
weights, activations, KV cache and, when training, gradients and optimizer state — exceeds
one logical core's usable HBM, while a tensor-parallel degree N up to the cores of the
family's largest instance would fit. The message gives N and the per-core memory at N.
If no TP degree fits, or a chosen parallel layout is too small, TRN401 reports it instead.

## Why it fails on Neuron
A NeuronCore only addresses its own HBM (16 GiB on trn1/inf2, 24 GiB per logical core on
trn2), less what the runtime reserves. A model compiled for one core that needs more stops
with an out-of-memory error (NCC_EOOM001/EOOM002); the documented fix is to shard it with
tensor or pipeline parallelism.

## Example
```python
# trnport: --target trn1 --dtype bf16
import torch


class Stack(torch.nn.Module):
    def __init__(self, width=16384, depth=40):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(width, width, bias=False) for _ in range(depth))

    def forward(self, x):
        for layer in self.layers:
            x = torch.nn.functional.gelu(layer(x))
        return x


# 10.7 billion parameters (21.5 GB in bf16) on the meta device: shapes only
with torch.device("meta"):
    model = Stack()
example_inputs = (torch.zeros(4, 16384, device="meta", dtype=torch.bfloat16),)
```

## Suggested rewrite
Shard with NeuronX Distributed at the reported degree: `ColumnParallelLinear` /
`RowParallelLinear` for projections, `ParallelEmbedding` for the vocabulary, or serve with
NxD Inference / vLLM Neuron with `tp_degree=N`; run on an instance with at least N cores.

## Source
HBM per logical core and runtime reservations: FACTS.md §6 (`about-neuron/arch/
neuron-hardware/*.rst`, `neuron-runtime/explore/device-memory.rst`); the OOM errors name
TP/PP as the fix (`compiler/error-codes/EOOM001.rst`, `EOOM002.rst`); parallel layers:
`neuronx_distributed/parallel_layers/layers.py`.
"""

from trnport.analyzers.memory.findings import (
    culprit_node,
    describe_usage,
    gib_bytes,
    location_of,
)
from trnport.analyzers.memory.fit import Layout
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN402", symbol="needs-tensor-parallel", severity="warning", category="memory",
    title="Model needs tensor parallelism to fit per-core HBM",
    fix="Shard the model with tensor parallelism at the reported degree",
)


def check(context):
    memory = getattr(context, "memory", None)
    if memory is None or memory.chosen.fits:
        return
    usage = memory.chosen
    layout = usage.layout
    if layout.tp != 1 or layout.pp != 1 or memory.smallest_tp is None:
        return  # TRN401's cases
    degree = memory.smallest_tp
    sharded = memory.model.usage(Layout(degree, layout.pp, layout.batch, layout.seq_len))
    family = memory.budget.family
    node = culprit_node(context.graph, memory, usage)
    yield Finding(
        code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
        message=(f"Needs TP >= {degree}: on a single core {describe_usage(usage, family)}; "
                 f"at TP {degree} each core holds {gib_bytes(sharded.total_bytes)} "
                 f"({sharded.utilization:.0%})"),
        fix=f"Shard with tensor parallelism of {degree} or more (--tp {degree})",
        ops=(node.op,) if node else (), nodes=(node.name,) if node else (),
        location=location_of(node),
        provenance=Provenance(kind="rule", source=context.kb.citation("hbm_fit")),
    )
