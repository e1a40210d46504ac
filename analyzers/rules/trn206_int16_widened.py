"""int16-widened: int16/uint16 tensors, which torch-xla widens to 32 bits on Neuron.

## What it flags
Nodes producing or consuming `int16` or `uint16` tensors.

## Why it fails on Neuron
torch-xla maps S16 to S32 and U16 to U32 for a Neuron device, without a warning. The
model still runs, but every such tensor takes twice the device memory the code expects,
and integer arithmetic that relied on wrapping at 16 bits gives different results.

## Example
```python
import torch

class QuantizedOffsets(torch.nn.Module):
    def forward(self, codes):
        return (codes + 1).to(torch.float32)

model = QuantizedOffsets()
example_inputs = (torch.zeros(4, 8, dtype=torch.int16),)
```

## Suggested rewrite
Use int32 (or a float dtype) explicitly, count the memory at 32 bits, and make any
16-bit wrap-around explicit (`x & 0xFFFF`).

## Source
pytorch/xla v2.9.0 `torch_xla/csrc/dtype.cpp` (S16 → S32, U16 → U32 on Neuron devices);
reference `dtypes.csv` and `aten_op_notes.csv` (int16 / uint16 tensors).
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN206", symbol="int16-widened", severity="info", category="dtype",
    title="int16/uint16 is widened to 32 bits on Neuron",
    fix="Use int32 explicitly and count the tensor's memory at 32 bits",
)


def check(context):
    return findings_from_verdicts(context, INFO)
