"""xla-bf16-with-auto-cast-none: XLA_USE_BF16 together with --auto-cast=none on PyTorch/XLA.

## What it flags
On the PyTorch/XLA stack, a script that sets `XLA_USE_BF16` and passes `--auto-cast=none` in
`NEURON_CC_FLAGS`.

## Why it fails on Neuron
With both, compiling deep forward+backward graphs has crashed neuronx-cc with `NCC_INLA001` on trn2
(aws-neuron-sdk issue #1314). `XLA_USE_BF16` has been deprecated since torch-neuronx 2.5: it
turns every float and double tensor into bf16 behind the model's back. (On TorchNeuron the
variable is not read at all; TRN708 reports it there.)

## Example
```python
# trnport: --target trn1
import os

import torch

os.environ["XLA_USE_BF16"] = "1"
os.environ["NEURON_CC_FLAGS"] = "--auto-cast=none"

model = torch.nn.Linear(8, 8)
example_inputs = (torch.randn(2, 8),)
```

## Suggested rewrite
Drop `XLA_USE_BF16`; cast explicitly with `torch.autocast(device_type="xla",
dtype=torch.bfloat16)` around the forward pass, or `model.to(torch.bfloat16)`.

## Source
https://github.com/aws-neuron/aws-neuron-sdk/issues/1314;
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/about-neuron/announcements/neuron2.x/announce-eos-bf16-vars.rst;
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/archive/nxd-training/torch-neuron-envvars.rst
"""

from trnport.analyzers.lint.findings import model_file_findings
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN711", symbol="xla-bf16-with-auto-cast-none", severity="error",
    category="porting",
    title="XLA_USE_BF16 with --auto-cast=none on PyTorch/XLA",
    fix='Drop XLA_USE_BF16 and cast with torch.autocast(device_type="xla", '
        "dtype=torch.bfloat16) or model.to(torch.bfloat16)",
)
LINT_CHECKS = ("bf16-auto-cast-none",)


def check(context):
    return model_file_findings(context, INFO, LINT_CHECKS)
