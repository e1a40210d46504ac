"""host-fallback: an operator (or this use of it) that runs on the host CPU.

## What it flags
Nodes that run on the host CPU instead of the NeuronCore: on PyTorch/XLA, because torch-xla has
no lowering for them or a condition of this node (an attribute, a dtype) sends it back; on
TorchNeuron, because it runs an op it does not implement on the CPU by default, in eager mode
and under `torch.compile` — the finding gives the bytes copied each way per call.

## Why it fails on Neuron
A CPU fallback copies tensors to the host and back, splits the device graph in two and
adds a compile per fragment. In `torch_neuronx.trace` it raises instead; in lazy training
it shows up as `aten::` counters in `met.metrics_report()`.

## Example
```python
import torch

class ScaledProjection(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(16, 16))
        self.bias = torch.nn.Parameter(torch.randn(16))

    def forward(self, x):
        return torch.addmm(self.bias, x, self.weight, beta=0.5)

model = ScaledProjection()
example_inputs = (torch.randn(4, 16),)
```

## Suggested rewrite
Rewrite the call with the default attributes (`torch.addmm(b * 0.5, x, w)`, `reduce="sum"`
then divide by counts), or use a supported equivalent operator.

## Source
pytorch/xla v2.9.0 `torch_xla/csrc/aten_xla_type.cpp` (conditional CPU fallbacks),
aws-neuron-sdk `archive/nxd-training/pytorch-neuron-debug.rst`; TorchNeuron: awsdocs-neuron
`latest/torch/reference/best-practices-pytorch-neuron.html` (CPU fallback on by default),
`latest/torch/reference/api/supported-operators.html` (CPU_FALLBACK).
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN102", symbol="host-fallback", severity="warning", category="cpu_fallback",
    title="Operator falls back to the host CPU",
    fix="Rewrite the call so it lowers to the device (default attributes or an equivalent op)",
)


def check(context):
    return findings_from_verdicts(context, INFO, leave_to_hazards=True)
