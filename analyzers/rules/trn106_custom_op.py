"""custom-op: a custom operator, custom call or non-standard ONNX domain.

## What it flags
Nodes from a namespace other than ATen (a `torch.library` custom op, a CUDA/Triton kernel
wrapper) and ONNX nodes outside the default domain (`com.microsoft`, vendor domains).

## Why it fails on Neuron
neuronx-cc accepts only the custom-call targets it knows (NCC_EHCA005 / NCC_EVRF015);
a GPU kernel has no Neuron implementation. ONNX is compiled only through PyTorch, where a
vendor-domain op has no converter.

## Example
```python
import torch

@torch.library.custom_op("trnport_doc::fused_gelu", mutates_args=())
def fused_gelu(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.gelu(x)

@fused_gelu.register_fake
def _(x):
    return torch.empty_like(x)

class Block(torch.nn.Module):
    def forward(self, x):
        return fused_gelu(x)

model = Block()
example_inputs = (torch.randn(4, 8),)
```

## Suggested rewrite
Use the reference PyTorch implementation of the kernel, or port it as an NKI kernel
(registered with `@nki.jit`) or a Neuron custom C++ operator.

## Source
aws-neuron-sdk `compiler/error-codes/EHCA005.rst`, `nki/guides/framework_custom_op.rst`,
`about-neuron/faq/onnx-faq.rst`.
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN106", symbol="custom-op", severity="warning", category="unsupported_op",
    title="Custom operator or non-standard domain",
    fix="Replace the custom kernel with its PyTorch reference or port it to NKI",
)


def check(context):
    return findings_from_verdicts(context, INFO, leave_to_hazards=True)
