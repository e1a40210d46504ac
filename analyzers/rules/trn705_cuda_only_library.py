"""cuda-only-library: imports a CUDA-only library.

## What it flags
Imports of `apex`, `bitsandbytes`, `flash_attn`, `xformers` and `triton`: libraries whose
kernels are CUDA (or Triton-for-GPU) binaries.

## Why it fails on Neuron
Their kernels cannot run on NeuronCores. Attention has NKI flash-attention kernels, fused
optimizers and quantization have NKI Library kernels, custom kernels are rewritten in NKI.

## Example
```python
import torch

try:
    from flash_attn import flash_attn_func
except ImportError:
    flash_attn_func = None

model = torch.nn.Linear(4, 4)
example_inputs = (torch.randn(2, 4),)
```

## Suggested rewrite
Use `torch.nn.functional.scaled_dot_product_attention` (or an NKI flash-attention kernel)
instead of `flash_attn_func`; `torch.optim.AdamW` instead of `apex.optimizers.FusedAdam`.

## Source
`reference/neuron/gpu_to_neuron_migration.csv` rows 16, 17 and 25; aws-neuron-sdk
`nki/library/api/index.rst`; github.com/aws-neuron/nki-samples flash attention.
"""

from trnport.analyzers.lint.findings import model_file_findings
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN705", symbol="cuda-only-library", severity="error", category="porting",
    title="Imports a CUDA-only library",
    fix="Replace it with framework ops or NKI Library kernels",
)
LINT_CHECKS = ('cuda-library', 'cuda-attention', 'cuda-kernels')


def check(context):
    return model_file_findings(context, INFO, LINT_CHECKS)
