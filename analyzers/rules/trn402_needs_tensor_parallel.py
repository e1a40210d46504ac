"""needs-tensor-parallel: the model does not fit one NeuronCore, so it was analysed at TP N.

## What it flags
Models analysed without `--tp` whose per-core memory on a single core — weights,
activations, KV cache and, when training, gradients and optimizer state — exceeds one
logical core's usable HBM, while a tensor-parallel degree N (with pipeline stages where TP
alone is not enough) up to the logical cores of the instance fits. The analysis is then for
that smallest layout, and this hint says so: the model runs when you deploy it sharded at
that degree. If no layout fits, or a layout chosen with `--tp` is too small, TRN401 reports
it instead, as an error.

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
HBM per logical core:
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/about-neuron/arch/neuron-hardware/trn2-arch.rst
and
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/about-neuron/arch/neuron-features/logical-neuroncore-config.rst;
runtime reservations:
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/neuron-runtime/explore/device-memory.rst;
the OOM errors name TP/PP as the fix:
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/compiler/error-codes/EOOM001.rst,
`EOOM002.rst`; parallel layers:
https://github.com/aws-neuron/neuronx-distributed/blob/main/src/neuronx_distributed/parallel_layers/layers.py
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
    code="TRN402", symbol="needs-tensor-parallel", severity="info", category="memory",
    title="Model needs tensor parallelism to fit per-core HBM",
    fix="Shard the model with tensor parallelism at the reported degree",
)


def check(context):
    memory = getattr(context, "memory", None)
    if memory is None or memory.layout_source != "auto" or not memory.chosen.fits:
        return
    layout = memory.chosen.layout
    if layout.tp * layout.pp == 1:
        return  # one core is enough
    single = memory.model.usage(Layout(1, 1, layout.batch, layout.seq_len))
    family = memory.budget.family
    stages = f" and {layout.pp} pipeline stages" if layout.pp > 1 else ""
    node = culprit_node(context.graph, memory, single)
    yield Finding(
        code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
        message=(f"Needs TP >= {layout.tp}{stages}: on a single core "
                 f"{describe_usage(single, family)}; analysed at TP {layout.tp}"
                 f"{f', PP {layout.pp}' if layout.pp > 1 else ''}, where each core holds "
                 f"{gib_bytes(memory.chosen.total_bytes)} ({memory.chosen.utilization:.0%})"),
        fix=(f"Deploy sharded with tensor parallelism of {layout.tp} or more"
             f"{f' and {layout.pp} pipeline stages' if layout.pp > 1 else ''}"),
        ops=(node.op,) if node else (), nodes=(node.name,) if node else (),
        location=location_of(node),
        provenance=Provenance(kind="rule", source=context.kb.citation("hbm_fit")),
    )
