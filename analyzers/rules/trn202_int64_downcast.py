"""int64-downcast: int64 tensors that the compiler narrows to int32.

## What it flags
Nodes computing on `int64` values on the device.

## Why it fails on Neuron
neuronx-cc downcasts int64 to int32: always on trn1/inf2 and by default on trn2/trn3
(native int64 needs `--native-int64=enabled` and runs roughly 20-30% slower). Values
beyond 2^31 wrap. From Neuron 2.32 `--implicit-integer-downcast` can turn lossy integer
paths into hard errors, and the next release is announced to make that the default.

## Example
```python
import torch

class PositionIds(torch.nn.Module):
    def forward(self, x):
        positions = torch.arange(x.shape[1]).unsqueeze(0)
        return x + (positions * 3).to(x.dtype)

model = PositionIds()
example_inputs = (torch.randn(2, 16),)
```

## Suggested rewrite
Create index tensors as int32 (`torch.arange(n, dtype=torch.int32)`) and cast tokenizer
outputs to int32 before they reach the model.

## Source
aws-neuron-sdk `about-neuron/arch/neuron-features/data-types.rst`,
`release-notes/components/compiler.rst` (2.32.0: `--native-int64`,
`--implicit-integer-downcast`).
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN202", symbol="int64-downcast", severity="warning", category="dtype",
    title="int64 is narrowed to int32 by the compiler",
    fix="Use int32 for indices and token ids, or make sure values stay below 2**31",
)


def check(context):
    return findings_from_verdicts(context, INFO)
