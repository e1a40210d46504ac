"""xla-inference-api: PyTorch/XLA inference or NxD code on the TorchNeuron stack.

## What it flags
On the TorchNeuron stack: `torch_neuronx.trace` and its helpers (`analyze`, `DataParallel`,
`dynamic_batch`, `move_trace_to_device`, `replace_weights`, `torch_neuronx.xla_impl`), NxD
Inference (`neuronx_distributed_inference`), the NxD Core trace APIs
(`parallel_model_trace`, `ModelBuilder`, `ModelBuilderV2`) and NeuronX Distributed itself,
transformers-neuronx, and vLLM's NxD Inference route (`VLLM_NEURON_FRAMEWORK`).

## Why it fails on Neuron
From Neuron 2.34, Trn2 and Trn3 no longer support PyTorch/XLA inference, NxD Inference or
the NxD Core inference APIs: no releases, fixes or security patches there. Models compile with
`torch.compile(backend="neuron")` on TorchNeuron and LLMs are served with vLLM Neuron. On
Inf2/Trn1 these APIs stay in maintenance, so the rule does not fire on PyTorch/XLA.

## Example
```python
import torch

model = torch.nn.Linear(8, 8)
example_inputs = (torch.randn(1, 8),)


def export():
    import torch_neuronx

    return torch_neuronx.trace(model, example_inputs)
```

## Suggested rewrite
```python
model = model.to("neuron").eval()
compiled = torch.compile(model, backend="neuron", fullgraph=True)
output = compiled(example.to("neuron"))   # pad inputs to fixed sizes: each shape compiles
```
For LLM serving: `vllm serve MODEL --additional-config '{"neuron_config": {...}}'` with the
vLLM Neuron plugin.

## Source
`resources/lint/torchneuron_migration.csv`;
https://awsdocs-neuron.readthedocs-hosted.com/en/latest/about-neuron/announcements/neuron2.x/announce-no-support-torch-xla-inference-trn.html,
`announce-no-support-nxdi-nxd-core-inference-trn.html` and
`announce-eos-nxdi-nxd-core-inference.html` in the same folder;
https://awsdocs-neuron.readthedocs-hosted.com/en/latest/torch/compile/reference-torch-compile.html;
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/vllm-neuron/docs/getting-started/migration-nxdi-to-vllm-neuron.md
"""

from trnport.analyzers.lint.findings import model_file_findings
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN709", symbol="xla-inference-api", severity="error", category="porting",
    title="PyTorch/XLA inference or NxD API on the TorchNeuron stack",
    fix='Compile with torch.compile(model, backend="neuron") on device "neuron"; serve LLMs '
        "with vLLM Neuron",
)
LINT_CHECKS = ("xla-inference-api",)


def check(context):
    return model_file_findings(context, INFO, LINT_CHECKS)
