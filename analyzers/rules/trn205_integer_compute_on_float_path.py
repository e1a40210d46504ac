"""integer-compute-on-float-path: integer math that Neuron runs in FP32.

## What it flags
Integer matmul, scatter with compute, all-reduce and reduce-scatter.

## Why it fails on Neuron
NeuronCores have no integer datapath for these operations; they run in FP32, which is
exact only up to 2^24, so large integer results come out wrong without an error.

## Example
```python
import torch

class IntegerProduct(torch.nn.Module):
    def forward(self, a, b):
        return torch.matmul(a.to(torch.int32), b.to(torch.int32))

model = IntegerProduct()
example_inputs = (torch.randn(4, 8), torch.randn(8, 4))
```

## Suggested rewrite
Cast to float explicitly (and accept float rounding), or keep the integer arithmetic on
the host.

## Source
Data types per NeuronCore generation:
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/about-neuron/arch/neuron-features/data-types.rst
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN205", symbol="integer-compute-on-float-path", severity="warning",
    category="dtype",
    title="Integer compute runs in FP32 (exact only to 2^24)",
    fix="Compute in float explicitly, or keep large-integer math on the host",
)


def check(context):
    return findings_from_verdicts(context, INFO)
