"""cuda-autocast: cUDA mixed precision (torch.cuda.amp / autocast('cuda')).

## What it flags
`torch.cuda.amp.autocast`, `torch.cuda.amp.GradScaler`, `torch.autocast("cuda")` and
`device_type="cuda"`.

## Why it fails on Neuron
CUDA autocast is disabled (with a warning) without a GPU, so the model silently runs in fp32;
bf16 is Neuron's fast type and needs no loss scaling. Set `NEURON_CC_FLAGS=--auto-cast=none`
so the compiler does not cast a second time.

## Example
```python
import torch

model = torch.nn.Linear(4, 4)
example_inputs = (torch.randn(2, 4),)


def forward_mixed(batch):
    with torch.cuda.amp.autocast():
        return model(batch)
```

## Suggested rewrite
On TorchNeuron `device_type="neuron"`, on PyTorch/XLA `device_type="xla"`:
```python
with torch.autocast(device_type="neuron", dtype=torch.bfloat16):
    loss = model(batch)
loss.backward()          # no GradScaler with bf16
```

## Source
`reference/neuron/gpu_to_neuron_migration.csv` row 8; aws-neuron-sdk
`archive/nxd-training/pytorch-neuron-programming-guide.rst`,
`frameworks/torch/pytorch-native-overview.rst`.
"""

from trnport.analyzers.lint.findings import model_file_findings
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN704", symbol="cuda-autocast", severity="warning", category="porting",
    title="CUDA mixed precision (torch.cuda.amp / autocast('cuda'))",
    fix="Use torch.autocast with dtype=torch.bfloat16 on the Neuron device ('neuron' on "
        "TorchNeuron, 'xla' on PyTorch/XLA) and drop the GradScaler",
)
LINT_CHECKS = ('cuda-amp',)


def check(context):
    return model_file_findings(context, INFO, LINT_CHECKS)
