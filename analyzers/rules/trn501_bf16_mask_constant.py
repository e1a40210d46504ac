"""bf16-mask-constant: an attention mask filled with `-inf` or `finfo(...).min` under bf16.

## What it flags
Fill constants of `masked_fill`, `full`, `where`, `scalar_tensor` (ONNX `Constant` /
`ConstantOfShape`) equal to `-inf`, `torch.finfo(torch.float32).min` or
`torch.finfo(torch.bfloat16).min`, when the model runs in bf16/fp16 (`--dtype`, a bf16
node, or `--auto-cast=all` in the profile). On trn1/inf2 `-inf` masks are flagged in any
dtype.

## Why it fails on Neuron
bf16 keeps float32's exponent but not its largest values: `finfo(float32).min` rounds to
`-inf` when cast to bf16, and adding a second mask to `finfo(bfloat16).min` (causal plus
padding) overflows to `-inf` too. A fully masked softmax row then computes
`-inf - (-inf) = NaN`, which spreads through the rest of the model. On NeuronCore-v2
(trn1/inf2), infinities passing through matmul-based transposes give NaN unless the
model is compiled with `--enable-saturate-infinity` (which costs speed).

## Example
```python
import torch

class MaskedScores(torch.nn.Module):
    def forward(self, scores, mask):
        scores = scores.masked_fill(mask, torch.finfo(torch.float32).min)
        return torch.softmax(scores, dim=-1)

model = MaskedScores()
example_inputs = (torch.randn(2, 8, 8), torch.rand(2, 8, 8) > 0.5)
```

## Suggested rewrite
Fill with a large but representable negative value in the compute dtype (e.g. `-1e4`, or
`torch.finfo(dtype).min / 2` applied once), combine masks with `torch.where` rather than
by adding them, and never let a row be fully masked.

## Source
`compiler_flags_and_env.csv` (`--enable-saturate-infinity`: trn1, clamps ±inf before
matmul-based transposes to avoid NaN); `dtypes.csv` and aws-neuron-sdk
`about-neuron/arch/neuron-features/data-types.rst` (BF16 compute); PyTorch `torch.finfo`
(bfloat16 max 3.39e38 < float32 max 3.40e38).
"""

from trnport.analyzers.hazards import mask_constants, node_location
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN501", symbol="bf16-mask-constant", severity="warning", category="numerical",
    title="Mask constant overflows or yields NaN under bf16",
    fix="Fill masks with a representable value such as -1e4 and select with torch.where",
)
_REDUCED_DTYPES = ("bf16", "fp16", "fp8")
_REDUCED_VALUES = ("bfloat16", "float16")
_WHY = {
    "float32-min": "finfo(float32).min is beyond bf16's range and rounds to -inf when cast "
                   "to bf16; a fully masked softmax row then becomes NaN",
    "bfloat16-min": "finfo(bfloat16).min leaves no headroom: adding a second mask or bias "
                    "overflows to -inf in bf16, and a fully masked softmax row becomes NaN",
    "-inf": "an -inf mask makes a fully masked softmax row compute -inf - (-inf) = NaN",
}


def check(context):
    reduced_run = _reduced_precision(context)
    saturate_note = _saturate_note(context)
    for found in mask_constants(context.graph):
        node = found.node
        reduced = reduced_run or _node_is_reduced(context.graph, node)
        if not reduced and not (found.kind == "-inf" and saturate_note):
            continue
        message = f"{node.op}: fill value {found.value:g} ({found.kind}); {_WHY[found.kind]}"
        if found.kind == "-inf" and saturate_note:
            message += f"; {saturate_note}"
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
            message=message, fix=INFO.fix, ops=(node.op,), nodes=(node.name,),
            location=node_location(node),
            provenance=Provenance(kind="rule", source=context.kb.citation("bf16_mask_constant")),
            confidence="high" if found.kind != "-inf" else "medium",
        )


def _reduced_precision(context) -> bool:
    if getattr(context.options, "dtype", "bf16") in _REDUCED_DTYPES:
        return True
    defaults = getattr(context.profile, "compiler_defaults", None) or {}
    return defaults.get("auto_cast") == "all"


def _node_is_reduced(graph, node) -> bool:
    return any((value := graph.values.get(name)) is not None
               and value.dtype in _REDUCED_VALUES for name in node.outputs if name)


def _saturate_note(context) -> str | None:
    if getattr(context.target, "neuroncore", None) == "v2":
        return ("on trn1/inf2 (NeuronCore-v2) infinities through matmul-based transposes give "
                "NaN unless compiled with --enable-saturate-infinity")
    return None
