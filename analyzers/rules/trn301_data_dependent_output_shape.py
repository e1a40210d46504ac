"""data-dependent-output-shape: an operator whose output shape depends on tensor values.

## What it flags
`nonzero`, `masked_select`, `unique`, boolean-mask indexing, `repeat_interleave` with
tensor repeats: operators whose output size is known only after reading the data.

## Why it fails on Neuron
The Neuron compiler needs static shapes (NCC_EMOD025). `torch_neuronx.trace` cannot trace
data-dependent shapes, and torch-xla runs `nonzero`/`masked_select` on the CPU. On TorchNeuron
`torch.compile(backend="neuron")` breaks the graph at such an op (an error with
`fullgraph=True`) and it runs eagerly, on the CPU when TorchNeuron does not implement it — a
warning, with how TorchNeuron treats the shape not documented.

## Example
```python
import torch

class PositiveEntries(torch.nn.Module):
    def forward(self, x):
        return torch.nonzero(x > 0)

model = PositiveEntries()
example_inputs = (torch.randn(4, 4),)
```

## Suggested rewrite
Keep the shape fixed: compute a mask and use the three-argument `torch.where(mask, x, 0)`,
or pad to a fixed maximum count and carry the real count alongside.

## Source
aws-neuron-sdk `api-torch-neuronx-trace.rst` (torch-neuronx inference API reference),
`compiler/error-codes/EMOD025.rst`; aws-neuron-sdk issues #698 and #717; awsdocs-neuron
`latest/torch/compile/reference-torch-compile.html` (fullgraph).
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN301", symbol="data-dependent-output-shape", severity="error",
    category="dynamic_shape",
    title="Output shape depends on tensor values",
    fix="Keep shapes static: use a mask with torch.where, or pad to a fixed size",
)


def check(context):
    return findings_from_verdicts(context, INFO)
