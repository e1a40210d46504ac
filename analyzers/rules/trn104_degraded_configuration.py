"""degraded-configuration: a supported operator whose configuration here costs accuracy
or speed.

## What it flags
Nodes that compile and run on the device, but where a documented condition of this node
makes them degrade: a lossy integer path, a slower engine, an attribute the compiler
handles by a workaround.

## Why it fails on Neuron
Nothing fails at compile time; the model runs slower or with different numbers than on the
GPU, which is found late, in accuracy or throughput tests.

## Example
```python
import torch

class PowerFeatures(torch.nn.Module):
    def forward(self, x):
        return torch.pow(x.to(torch.int64), 2)

model = PowerFeatures()
example_inputs = (torch.randn(8),)
```

## Suggested rewrite
Follow the condition's advice in the finding: usually a float or 32-bit dtype, or the
attribute value the engines implement natively.

## Source
aws-neuron-sdk `about-neuron/arch/neuron-features/data-types.rst` (int64 pow is downcast),
`compiler/neuronx-cc/api-reference-guide/index.rst`.
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN104", symbol="degraded-configuration", severity="warning",
    category="performance",
    title="Operator runs, but this configuration degrades speed or accuracy",
    fix="Use the dtype or attribute the engines implement natively",
)


def check(context):
    return findings_from_verdicts(context, INFO, leave_to_hazards=True)
