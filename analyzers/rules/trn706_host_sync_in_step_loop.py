"""host-sync-in-step-loop: host read of device tensors inside the training step loop.

## What it flags
`.item()`, `.cpu()`, `.numpy()`, `.tolist()` and `print(...)` inside the innermost loop that
runs `.backward()` and an optimizer step.

## Why it fails on Neuron
Under torch-xla the step is a lazy graph; reading a value on the host cuts the graph and runs
it early, every step, which adds executions and can trigger extra compilations. With
TorchNeuron it waits for the device and breaks adaptive-eager fusion.

## Example
```python
import torch

model = torch.nn.Linear(4, 1)
example_inputs = (torch.randn(2, 4),)


def train(loader, optimizer):
    for batch, target in loader:
        loss = torch.nn.functional.mse_loss(model(batch), target)
        loss.backward()
        optimizer.step()
        print(loss.item())
```

## Suggested rewrite
Read values every N steps (`if step % 50 == 0: print(loss.item())`). On PyTorch/XLA:
```python
import torch_xla.core.xla_model as xm

xm.add_step_closure(lambda l: print(l.item()), args=(loss,))
```

## Source
`reference/neuron/gpu_to_neuron_migration.csv` row 4; aws-neuron-sdk
`archive/nxd-training/pytorch-neuron-programming-guide.rst`.
"""

from trnport.analyzers.lint.findings import model_file_findings
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN706", symbol="host-sync-in-step-loop", severity="warning", category="porting",
    title="Host read of device tensors inside the training step loop",
    fix="Read values on the host only every N steps (on PyTorch/XLA through "
        "xm.add_step_closure)",
)
LINT_CHECKS = ('host-sync',)


def check(context):
    return model_file_findings(context, INFO, LINT_CHECKS)
