"""complex-dtype: complex tensors, unsupported before Neuron 2.32 and partial since.

## What it flags
Nodes producing or consuming `complex64`/`complex128` tensors (complex rotary embeddings,
`view_as_complex`, spectral code).

## Why it fails on Neuron
Before Neuron 2.32 the compiler rejects complex dtypes (NCC_EVRF004). 2.32 added
complex64 for about 30 operators; others still fail, and complex128 also needs float64.

## Example
```python
# trnport: --sdk 2.31
import torch

class ComplexRotary(torch.nn.Module):
    def forward(self, x, freqs):
        pairs = torch.view_as_complex(x.reshape(2, 8, 2))
        return torch.view_as_real(pairs * freqs).flatten(1)

model = ComplexRotary()
example_inputs = (torch.randn(2, 16), torch.polar(torch.ones(8), torch.randn(8)))
```

## Suggested rewrite
Apply rotary embeddings with real arithmetic (rotate-half: `x * cos + rotate_half(x) * sin`)
instead of complex multiplication.

## Source
aws-neuron-sdk `compiler/error-codes/EVRF004.rst`, `release-notes/components/compiler.rst`
(2.32: complex64 for about 30 operators).
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN203", symbol="complex-dtype", severity="error", category="dtype",
    title="Complex dtype",
    fix="Replace complex arithmetic with real arithmetic (e.g. rotate-half RoPE)",
)


def check(context):
    return findings_from_verdicts(context, INFO)
