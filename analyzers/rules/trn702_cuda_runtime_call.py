"""cuda-runtime-call: cUDA runtime API called.

## What it flags
Calls into `torch.cuda` other than mixed precision: `set_device`, `synchronize`,
`empty_cache`, memory statistics, CUDA graphs (errors), and `is_available` / `device_count`
(warnings: they answer False / 0 on a Neuron host, so the script silently takes its CPU path).

## Why it fails on Neuron
There is no CUDA runtime on Trainium or Inferentia2 instances; NeuronCores are selected with
`NEURON_RT_VISIBLE_CORES` and counted through torch-xla's runtime API. CUDA graphs have no
equivalent: the whole step is already compiled into one NEFF.

## Example
```python
import torch

model = torch.nn.Linear(4, 4)
example_inputs = (torch.randn(2, 4),)


def pick_gpu(rank):
    torch.cuda.set_device(rank)
```

## Suggested rewrite
On TorchNeuron: `torch.distributed.get_rank()`, `get_world_size()` and the `torch.accelerator`
APIs. On PyTorch/XLA:
```python
import torch_xla.runtime as xr

rank, world = xr.global_ordinal(), xr.world_size()
```

## Source
`reference/neuron/gpu_to_neuron_migration.csv` rows 2 and 15; aws-neuron-sdk
`archive/nxd-training/pytorch-neuron-programming-guide.rst`,
`release-notes/components/pytorch.rst` (2.26.0 known issues).
"""

from trnport.analyzers.lint.findings import model_file_findings
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN702", symbol="cuda-runtime-call", severity="error", category="porting",
    title="CUDA runtime API called",
    fix="Remove the torch.cuda call; use torch.accelerator / torch.distributed APIs (on "
        "PyTorch/XLA torch_xla.runtime)",
)
LINT_CHECKS = ('cuda-runtime', 'cuda-graphs')


def check(context):
    return model_file_findings(context, INFO, LINT_CHECKS)
