"""does-not-fit-per-core: at the chosen parallel layout the model does not fit one NeuronCore.

## What it flags
Models whose per-NeuronCore memory at the chosen layout (`--tp`, `--pp`, `--batch`,
`--seq-len`, `--mode`, `--dtype`, `--optimizer`) exceeds the HBM one logical core can use:
weights and buffers, the activation peak (inference) or saved activations (training), the KV
cache of decoders, and gradients, optimizer moments and fp32 master weights when training.
It fires when you chose a parallel layout (`--tp` or `--pp` above 1) that is not enough, or
when no tensor-parallel degree up to the cores of the family's largest instance is enough.
A single-core layout that some TP degree would fix is reported as TRN402 instead.

## Why it fails on Neuron
Each NeuronCore addresses its own slice of HBM: 16 GiB on trn1/inf2, 24 GiB per logical
core on trn2 (LNC=2). The runtime reserves part of it (microcode, scratchpad pages). When
tensors do not fit, neuronx-cc stops with an out-of-memory error (NCC_EOOM001, NCC_EOOM002,
NCC_EVRF009, NCC_EXSP001), often after a long compile, or the runtime fails to load the model.

## Example
```python
# trnport: --target trn1 --dtype fp32 --mode training
import torch


class WideStack(torch.nn.Module):
    def __init__(self, width=32768, depth=40):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(width, width, bias=False) for _ in range(depth))

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x


# 43 billion parameters, built on the meta device: shapes only, no memory
with torch.device("meta"):
    model = WideStack()
example_inputs = (torch.zeros(8, 32768, device="meta"),)
```

## Suggested rewrite
Shard the model with NeuronX Distributed: tensor parallelism (`ColumnParallelLinear`,
`RowParallelLinear`, `ParallelEmbedding`) and pipeline parallelism, and for training ZeRO-1
(`NeuronZero1Optimizer`) and activation checkpointing; or reduce batch or sequence length,
train in bf16, or pick a target with more HBM per core (trn2: 24 GiB).

## Source
HBM per core and runtime reservations: FACTS.md §6 (`about-neuron/arch/neuron-hardware/*.rst`,
`neuron-runtime/explore/device-memory.rst`); out-of-memory errors and their fixes:
`compiler/error-codes/EOOM001.rst`, `EOOM002.rst`, `EVRF009.rst`, `EXSP001.rst`.
"""

from trnport.analyzers.memory.findings import (
    culprit_node,
    describe_layout,
    describe_usage,
    location_of,
)
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN401", symbol="does-not-fit-per-core", severity="error", category="memory",
    title="Model does not fit one NeuronCore's HBM at the chosen layout",
    fix="Raise the tensor- or pipeline-parallel degree, or lower batch or sequence length",
)


def needs_only_tensor_parallelism(memory) -> bool:
    """True when the chosen layout is one core and some TP degree fits (TRN402's case)."""
    layout = memory.chosen.layout
    return layout.tp == 1 and layout.pp == 1 and memory.smallest_tp is not None


def check(context):
    memory = getattr(context, "memory", None)
    if memory is None or memory.chosen.fits or needs_only_tensor_parallelism(memory):
        return
    usage = memory.chosen
    family = memory.budget.family
    if memory.smallest_tp is not None:
        remedy = f"the smallest TP that fits at pp {usage.layout.pp} is {memory.smallest_tp}"
        fix = f"Use --tp {memory.smallest_tp} or more, or lower batch or sequence length"
    else:
        remedy = f"no TP up to {memory.budget.max_cores} cores fits on {family}"
        fix = ("Add pipeline parallelism, ZeRO-1 and activation checkpointing, lower batch or "
               "sequence length, or choose a target with more HBM per core")
    node = culprit_node(context.graph, memory, usage)
    yield Finding(
        code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
        message=f"At {describe_layout(usage)}, {describe_usage(usage, family)}; {remedy}",
        fix=fix, ops=(node.op,) if node else (), nodes=(node.name,) if node else (),
        location=location_of(node),
        provenance=Provenance(kind="rule", source=context.kb.citation("hbm_fit")),
    )
