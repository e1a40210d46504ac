"""torch-xla-api: PyTorch/XLA code in a script meant for the TorchNeuron stack.

## What it flags
On the TorchNeuron stack (trn2/trn3: the default from Neuron 2.33, the only PyTorch stack
there from 2.34): `import torch_xla…`, `xm.mark_step()` / `torch_xla.sync()`, the XLA device
(`xm.xla_device()`, `torch_xla.device()`, `"xla"` device strings and `autocast("xla")`),
`xm.optimizer_step`, `xm.add_step_closure`, `MpDeviceLoader`, XLA runtime queries, the `xla`
process-group backend, and XLA environment variables (`XLA_USE_BF16`, `XLA_DOWNCAST_BF16`,
`XLA_*`, `PJRT_DEVICE`). Each finding names its TorchNeuron replacement.

## Why it fails on Neuron
TorchNeuron is the native PyTorch backend: plain PyTorch on the `neuron` device, eager or
`torch.compile(backend="neuron")`. torch-xla is another stack, which Neuron 2.34 no longer
supports on Trn2/Trn3 (and which stopped training in 2.30): its calls fail there, and its
environment variables are not read, so `XLA_USE_BF16` silently leaves the model in fp32.

## Example
```python
import torch

model = torch.nn.Linear(4, 1)
example_inputs = (torch.randn(2, 4),)


def train(loader, optimizer):
    import torch_xla.core.xla_model as xm

    for batch, target in loader:
        torch.nn.functional.mse_loss(model(batch), target).backward()
        optimizer.step()
        xm.mark_step()
```

## Suggested rewrite
```python
device = torch.device("neuron")
model.to(device)
for batch, target in loader:
    loss = torch.nn.functional.mse_loss(model(batch.to(device)), target.to(device))
    loss.backward()
    optimizer.step()          # no step boundary: eager ops run as they are dispatched
```

## Source
`resources/lint/torchneuron_migration.csv` (each row cites its source);
https://awsdocs-neuron.readthedocs-hosted.com/en/latest/about-neuron/announcements/neuron2.x/announce-no-support-torch-xla-inference-trn.html;
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/frameworks/torch/pytorch-native-overview.rst;
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/about-neuron/announcements/neuron2.x/announce-no-support-pytorch-xla-training.rst;
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/about-neuron/announcements/neuron2.x/announce-eos-bf16-vars.rst
"""

from trnport.analyzers.lint.findings import model_file_findings
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN708", symbol="torch-xla-api", severity="error", category="porting",
    title="PyTorch/XLA code on the TorchNeuron stack",
    fix='Use the standard PyTorch API on device "neuron"',
)
LINT_CHECKS = ("xla-api",)


def check(context):
    return model_file_findings(context, INFO, LINT_CHECKS)
