"""fp8-variant-unsupported: an FP8 format that the target's NeuronCores reject.

## What it flags
Nodes using an FP8 dtype that the chosen target does not accept: the FNUZ variants on
every generation, `float8_e4m3fn` on trn1/trn2.

## Why it fails on Neuron
neuronx-cc rejects FNUZ FP8 types (NCC_EVRF005) and `float8_e4m3fn` on trn1/trn2
(NCC_ESPP047 / NCC_EVRF051); the supported FP8 formats differ per NeuronCore generation.

## Example
```python
# trnport: --target trn2
import torch

class Fp8Cast(torch.nn.Module):
    def forward(self, x):
        return x.to(torch.float8_e4m3fn).to(torch.float32) * 2

model = Fp8Cast()
example_inputs = (torch.randn(8, 8),)
```

## Suggested rewrite
Use `float8_e5m2` (or `float8_e4m3` where the framework has it), or let the compiler
cast with `--auto-cast-type fp8_e4m3`.

## Source
aws-neuron-sdk `compiler/error-codes/EVRF005.rst`, `ESPP047.rst`, `EVRF051.rst`;
`about-neuron/arch/neuron-features/data-types.rst`.
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN204", symbol="fp8-variant-unsupported", severity="error", category="dtype",
    title="FP8 variant not supported on this target",
    fix="Use an FP8 format the target supports (float8_e5m2, or fp8_e4m3 via auto-cast)",
)


def check(context):
    return findings_from_verdicts(context, INFO)
