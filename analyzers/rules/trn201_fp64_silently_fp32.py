"""fp64-silently-fp32: float64 tensors, which Neuron computes in float32.

## What it flags
Nodes producing or consuming `float64` tensors.

## Why it fails on Neuron
No NeuronCore generation has FP64. torch-xla maps float64 to float32 on a Neuron device
without a warning, so results that relied on double precision change silently.

## Example
```python
import torch

class DoubleAccumulate(torch.nn.Module):
    def forward(self, x):
        return (x.double() * 3.0).sum()

model = DoubleAccumulate()
example_inputs = (torch.randn(16),)
```

## Suggested rewrite
Compute in float32 (or bf16) explicitly and, where precision matters, restructure the sum
(Kahan or pairwise) instead of relying on float64.

## Source
pytorch/xla v2.9.0 `torch_xla/csrc/dtype.cpp`; aws-neuron-sdk
`about-neuron/arch/neuron-features/data-types.rst`.
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN201", symbol="fp64-silently-fp32", severity="warning", category="dtype",
    title="float64 is computed as float32 on Neuron",
    fix="Use float32 explicitly and check the precision the code needs",
)


def check(context):
    return findings_from_verdicts(context, INFO)
