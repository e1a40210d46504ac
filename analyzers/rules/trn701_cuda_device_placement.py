"""cuda-device-placement: tensors or modules placed on a CUDA device.

## What it flags
`.cuda()`, `.to("cuda")`, `torch.device("cuda")` and `device="cuda"` / `map_location="cuda"`
keyword arguments: code that places tensors or modules on a CUDA GPU.

## Why it fails on Neuron
A Neuron instance has no CUDA runtime: the call raises at run time. Each process owns one
NeuronCore, exposed as an XLA device by torch-neuronx and as the `neuron` device by TorchNeuron.

## Example
```python
import torch

model = torch.nn.Linear(4, 4)
example_inputs = (torch.randn(2, 4),)


def to_gpu(batch):
    return batch.cuda()
```

## Suggested rewrite
On TorchNeuron (trn2/trn3; the default there from Neuron 2.33):
```python
batch = batch.to("neuron")
```
On PyTorch/XLA (inf2/trn1): `device = torch_xla.device()` then `batch.to(device)`.
The finding's fix names the replacement for the analysis's stack.

## Source
`reference/neuron/gpu_to_neuron_migration.csv` row 1; aws-neuron-sdk
`archive/nxd-training/pytorch-neuron-programming-guide.rst`,
`frameworks/torch/pytorch-native-overview.rst`.
"""

from trnport.analyzers.lint.findings import model_file_findings
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN701", symbol="cuda-device-placement", severity="error", category="porting",
    title="Tensors or modules placed on a CUDA device",
    fix='Use the Neuron device: "neuron" on TorchNeuron, torch_xla.device() on PyTorch/XLA',
)
LINT_CHECKS = ('cuda-device',)


def check(context):
    return model_file_findings(context, INFO, LINT_CHECKS)
