"""unsupported-op: an operator that the Neuron toolchain cannot compile or run.

## What it flags
Nodes whose operator has no lowering that neuronx-cc accepts for the chosen SDK profile:
torch-xla produces no HLO for it, or the compiler rejects the HLO it produces. On TorchNeuron,
which runs an op it does not implement on the host CPU (TRN102), only what neuronx-cc rejects
after lowering and what the CPU cannot run either (CUDA-only kernels) stay here.

## Why it fails on Neuron
`torch_neuronx.trace` raises when an operator can be neither lowered nor compiled, and
`torch_neuronx.analyze` lists it with `failureAt` set to `Lowering to HLO` or `neuronx-cc`.
In lazy XLA training the op instead leaves the device and fragments the graph. Under
`torch.compile(backend="neuron")` a graph that fails to compile raises by default.

## Example
```python
# trnport: --target inf2
import torch

class SpectrumMagnitude(torch.nn.Module):
    def forward(self, x):
        return torch.fft.rfft(x).abs()

model = SpectrumMagnitude()
example_inputs = (torch.randn(4, 64),)
```

## Suggested rewrite
Express the operation with supported primitives (an FFT as a matmul with a DFT matrix,
a triangular solve as inverse and matmul), or keep it outside the compiled graph, at its edge.

## Source
`torch_neuronx.analyze` reports `aten::fft_fft` as unsupported (aws-neuron-sdk
`frameworks/torch/torch-neuronx/api-reference-guide/inference/api-torch-neuronx-analyze.rst`);
triangular_solve is rejected with NCC_EUOC002 (`compiler/error-codes/EUOC002.rst`);
TorchNeuron: awsdocs-neuron `latest/torch/reference/best-practices-pytorch-neuron.html`,
`latest/torch/reference/env-vars.html` (`TORCH_NEURONX_DISABLE_FALLBACK_EXECUTION`).
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN101", symbol="unsupported-op", severity="error", category="unsupported_op",
    title="Operator not supported by the Neuron compiler",
    fix="Replace the operator with supported primitives or move it out of the compiled graph",
)


def check(context):
    return findings_from_verdicts(context, INFO, leave_to_hazards=True)
