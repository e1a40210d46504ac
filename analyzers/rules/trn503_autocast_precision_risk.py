"""autocast-precision-risk: a deep float32 matmul chain that the compiler auto-casts.

## What it flags
Models whose longest chain of float32 matmul-like operations (`mm`, `bmm`, `addmm`,
convolutions; ONNX `MatMul`, `Gemm`, `Conv`) is at least 8 deep, analysed for an SDK
profile whose compiler default is `--auto-cast=matmult` or `all` (Neuron releases before
2.27). Warning when `--dtype fp32` says the model is meant to run in float32; a note
otherwise.

## Why it fails on Neuron
With `--auto-cast=matmult`, neuronx-cc silently computes every float32 matmul in bf16
(`--auto-cast-type` default), and before Neuron 2.27 accumulations were not kept in
float32 either. Each layer loses precision; across a deep stack the error compounds, so a
model validated in float32 can drift from its reference outputs. From Neuron 2.27 the
default is `--auto-cast=none` and mixed-precision accumulation is on.

## Example
```python
# trnport: --sdk 2.26 --dtype fp32
import torch

class DeepMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(
            *[torch.nn.Linear(16, 16) for _ in range(10)])

    def forward(self, x):
        return self.layers(x)

model = DeepMLP()
example_inputs = (torch.randn(2, 16),)
```

## Suggested rewrite
Compile with `--auto-cast=none` (or `--auto-cast=matmult --auto-cast-type tf32`) when
float32 accuracy matters, keep `--enable-mixed-precision-accumulation`, and compare the
compiled model's outputs with the float32 reference.

## Source
`compiler_flags_and_env.csv` (`--auto-cast`, `--auto-cast-type`, mixed-precision
accumulation); aws-neuron-sdk `release-notes/components/compiler.rst` 2.22.12471.0
(defaults changed in Neuron 2.27); `archive/appnotes/neuronx-cc/
neuronx-cc-training-mixed-precision.rst` (precision/speed ladder).
"""

from trnport.analyzers.hazards import matmul_depth, node_location
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN503", symbol="autocast-precision-risk", severity="warning", category="numerical",
    title="Deep float32 matmul stack is auto-cast to lower precision",
    fix="Compile with --auto-cast=none (or tf32) and compare against the float32 reference",
)
#: chains at least this deep are "deep" (a trnport heuristic, not a Neuron threshold)
MIN_DEPTH = 8


def check(context):
    defaults = getattr(context.profile, "compiler_defaults", None) or {}
    auto_cast = defaults.get("auto_cast")
    if auto_cast in (None, "none"):
        return
    depth, chain = matmul_depth(context.graph)
    if depth < MIN_DEPTH or not chain:
        return
    cast_type = defaults.get("auto_cast_type") or "bf16"
    accumulation = ("" if defaults.get("mixed_precision_accumulation")
                    else " with accumulation outside float32 as well")
    profile = getattr(context.profile, "id", "?")
    wants_fp32 = getattr(context.options, "dtype", None) == "fp32"
    first = chain[0]
    yield Finding(
        code=INFO.code, symbol=INFO.symbol,
        severity="warning" if wants_fp32 else "info", category=INFO.category,
        message=(f"{depth} float32 matmul-like operations in a row: SDK {profile} compiles "
                 f"with --auto-cast={auto_cast} by default, which computes them in "
                 f"{cast_type}{accumulation}; the error compounds through the stack"),
        fix=INFO.fix, ops=tuple(dict.fromkeys(n.op for n in chain)),
        nodes=tuple(n.name for n in chain), location=node_location(first),
        provenance=Provenance(kind="rule", source=context.kb.citation("autocast_precision")),
        confidence="medium",
    )
