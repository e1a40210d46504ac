"""torch-compile-option: a torch.compile option TorchNeuron rejects or ignores.

## What it flags
On the TorchNeuron stack: `torch.compile(..., dynamic=True)` (an error) and a `mode` other
than `"default"` (`"max-autotune"`, `"reduce-overhead"`…, a warning).

## Why it fails on Neuron
`torch.compile(backend="neuron")` has no dynamic shapes yet: `dynamic=True` is rejected when
the graph compiles, and every new input shape compiles a graph of its own. A non-default
`mode` logs a warning and falls back to the default; there is no CUDA-graph equivalent.

## Example
```python
import torch

model = torch.nn.Linear(8, 8)
example_inputs = (torch.randn(2, 8),)


def compiled():
    return torch.compile(model, backend="neuron", dynamic=True)
```

## Suggested rewrite
```python
compiled = torch.compile(model, backend="neuron", fullgraph=True)
# pad inputs to a few fixed sizes (buckets): each size compiles once, then hits the cache
```

## Source
https://awsdocs-neuron.readthedocs-hosted.com/en/latest/torch/compile/reference-torch-compile.html
(`dynamic`, `mode`, `fullgraph`);
`resources/lint/torchneuron_migration.csv`
"""

from trnport.analyzers.lint.findings import model_file_findings
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN710", symbol="torch-compile-option", severity="error", category="porting",
    title="torch.compile option rejected or ignored by TorchNeuron",
    fix='Drop the option: use torch.compile(model, backend="neuron") with fixed input shapes',
)
LINT_CHECKS = ("compile-option",)


def check(context):
    return model_file_findings(context, INFO, LINT_CHECKS)
