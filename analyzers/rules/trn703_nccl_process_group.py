"""nccl-process-group: process group uses the NCCL backend.

## What it flags
`torch.distributed.init_process_group("nccl")` or `backend="nccl"`.

## Why it fails on Neuron
NCCL is NVIDIA's collective library and is not available on Neuron instances; Neuron
collectives run over NeuronLink and EFA through the `xla` (torch-neuronx) or `neuron`
(TorchNeuron) process-group backend.

## Example
```python
import torch
import torch.distributed as dist

model = torch.nn.Linear(4, 4)
example_inputs = (torch.randn(2, 4),)


def setup():
    dist.init_process_group("nccl")
```

## Suggested rewrite
On TorchNeuron: `dist.init_process_group(backend="neuron")`. On PyTorch/XLA:
```python
import torch_xla.distributed.xla_backend  # registers the 'xla' backend

dist.init_process_group("xla")
```

## Source
`reference/neuron/gpu_to_neuron_migration.csv` row 5; aws-neuron-sdk
`archive/nxd-training/pytorch-neuron-programming-guide.rst`.
"""

from trnport.analyzers.lint.findings import model_file_findings
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN703", symbol="nccl-process-group", severity="error", category="porting",
    title="Process group uses the NCCL backend",
    fix="Use the Neuron process-group backend: 'neuron' on TorchNeuron, 'xla' on PyTorch/XLA",
)
LINT_CHECKS = ('nccl-backend',)


def check(context):
    return model_file_findings(context, INFO, LINT_CHECKS)
