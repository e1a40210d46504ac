"""missing-step-boundary: training step loop without a step boundary.

## What it flags
On PyTorch/XLA (TorchNeuron has no step boundary: its eager ops run as dispatched), a loop
that runs `.backward()` and an optimizer step but never calls `xm.mark_step()`,
`torch_xla.sync()` or `xm.optimizer_step(...)` and does not iterate an `MpDeviceLoader`.

## Why it fails on Neuron
torch-xla records operations lazily and compiles and runs them only at a step boundary;
without one, the graph grows across iterations until something forces execution, and the
compiled graphs differ from step to step.

## Example
```python
# trnport: --target trn1
import torch

model = torch.nn.Linear(4, 1)
example_inputs = (torch.randn(2, 4),)


def train(loader, optimizer):
    for batch, target in loader:
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(batch), target).backward()
        optimizer.step()
```

## Suggested rewrite
```python
import torch_xla.core.xla_model as xm

for batch, target in loader:
    ...
    loss.backward()
    xm.optimizer_step(optimizer)   # or optimizer.step(); xm.mark_step()
```

## Source
`reference/neuron/gpu_to_neuron_migration.csv` row 3; aws-neuron-sdk
`archive/nxd-training/pytorch-neuron-programming-guide.rst`; pytorch/xla
`docs/source/learn/migration-to-xla-on-tpus.md`.
"""

from trnport.analyzers.lint.findings import model_file_findings
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN707", symbol="missing-step-boundary", severity="warning", category="porting",
    title="Training step loop without a step boundary",
    fix="Call xm.mark_step() (torch_xla.sync()) at the end of each step or use xm.optimizer_step",
)
LINT_CHECKS = ('step-boundary',)


def check(context):
    return model_file_findings(context, INFO, LINT_CHECKS)
