"""does-not-fit-per-core: at the chosen parallel layout the model does not fit one NeuronCore.

## What it flags
Models whose per-NeuronCore memory at the analysed layout (`--tp`, `--pp`, `--batch`,
`--seq-len`, `--mode`, `--dtype`, `--optimizer`) exceeds the HBM one logical core can use:
weights and buffers, the activation peak (inference) or saved activations (training), the KV
cache of decoders, and gradients, optimizer moments and fp32 master weights when training.
It fires when the layout you chose with `--tp` does not fit (the message names the smallest
layout of the instance that would), or, without `--tp`, when no layout up to the logical
cores of the instance (`--instance`, else the family's default) fits. Without `--tp` a
model that fits at some TP degree is analysed at the smallest such degree and TRN402 says so.

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
HBM per core:
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/about-neuron/arch/neuron-hardware/trn2-arch.rst
(and `trn1-arch.rst`,
`inf2-arch.rst`); runtime reservations:
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/neuron-runtime/explore/device-memory.rst;
out-of-memory errors and their fixes:
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/compiler/error-codes/EOOM001.rst,
`EOOM002.rst`,
`EVRF009.rst`, `EXSP001.rst` in the same folder.
"""

from trnport.analyzers.memory.findings import (
    cores_text,
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


def check(context):
    memory = getattr(context, "memory", None)
    if memory is None or memory.chosen.fits:
        return
    usage = memory.chosen
    family = memory.budget.family
    fitting = memory.fitting_layout
    instance = cores_text(memory.budget)
    if fitting is not None:
        stages = f", PP {fitting.pp}" if fitting.pp > 1 else ""
        remedy = f"the smallest layout that fits {instance} is TP {fitting.tp}{stages}"
        fix = (f"Use --tp {fitting.tp}{f' --pp {fitting.pp}' if fitting.pp > 1 else ''} or "
               "more (without --tp the analysis takes the smallest layout that fits), or "
               "lower batch or sequence length")
    else:
        remedy = f"no layout up to the {memory.budget.max_cores} cores of {instance} fits"
        fix = ("Add pipeline parallelism, ZeRO-1 and activation checkpointing, lower batch or "
               "sequence length, or choose a larger instance or a target with more HBM per "
               "core")
    node = culprit_node(context.graph, memory, usage)
    yield Finding(
        code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
        message=f"At {describe_layout(usage)}, {describe_usage(usage, family)}; {remedy}",
        fix=fix, ops=(node.op,) if node else (), nodes=(node.name,) if node else (),
        location=location_of(node),
        provenance=Provenance(kind="rule", source=context.kb.citation("hbm_fit")),
    )
