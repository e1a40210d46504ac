"""unsupported-configuration: a supported operator used with a dtype, attribute or shape
that Neuron rejects.

## What it flags
Nodes whose operator compiles in general, but not in the configuration this node uses:
TopK on integers, scatter-reduce on int/bool, reduce-window with dilation, convolution
combining input and kernel dilation.

## Why it fails on Neuron
neuronx-cc verifies each HLO instruction's operand types and attributes and stops the
compile with an NCC_EVRF* error when one is outside what the engines implement.

## Example
```python
import torch

class TopTokenIds(torch.nn.Module):
    def forward(self, scores):
        return torch.topk(scores.to(torch.int32), k=3).values

model = TopTokenIds()
example_inputs = (torch.randn(2, 32),)
```

## Suggested rewrite
Cast to a float type around the operator (`torch.topk(x.float(), k)`), or restate the
attribute the compiler rejects.

## Source
aws-neuron-sdk `compiler/error-codes/EVRF013.rst` (TopK rejects integer inputs),
`EVRF016.rst` (scatter-reduce rejects int/bool), `EVRF010.rst`, `EVRF017.rst`.
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN103", symbol="unsupported-configuration", severity="error",
    category="unsupported_op",
    title="Operator supported, but not with this dtype, attribute or shape",
    fix="Change the dtype or attribute to one the compiler accepts (e.g. cast integers to float)",
)


def check(context):
    return findings_from_verdicts(context, INFO, leave_to_hazards=True)
