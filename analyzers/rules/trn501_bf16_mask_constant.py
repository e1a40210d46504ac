"""bf16-mask-constant: an attention mask filled with `-inf` or `finfo(...).min` under bf16.

## What it flags
Mask constants (fills of `masked_fill`, `full`, `where`, `scalar_tensor`, ONNX `Constant` /
`ConstantOfShape`, scalar operands such as `(1 - mask) * torch.finfo(torch.float32).min`,
and lifted tensor constants) equal to `-inf`, `torch.finfo(torch.float32).min` or
`torch.finfo(torch.bfloat16).min`, when the constant's value really reaches a place where it
breaks (followed forward through the graph; a `where` whose condition is always true, as in
the mask a model builds when called without one, never selects it):
`finfo(float32).min` or `-inf` reaching a softmax or arithmetic while the model runs in
bf16/fp16 (`--dtype`, a bf16 node, or `--auto-cast=all` in the profile), and any of them
added to a second mask. On trn1/inf2 `-inf` reaching a softmax is flagged in any dtype.

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
        bias = (1.0 - mask) * torch.finfo(torch.float32).min
        return torch.softmax(scores + bias, dim=-1)

model = MaskedScores()
example_inputs = (torch.randn(2, 8, 8), (torch.rand(2, 8, 8) > 0.5).float())
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

from trnport.analyzers.hazards import mask_hazards, node_location
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN501", symbol="bf16-mask-constant", severity="warning", category="numerical",
    title="Mask constant overflows or yields NaN under bf16",
    fix="Fill masks with a representable value such as -1e4 and select with torch.where",
)
_REDUCED_DTYPES = ("bf16", "fp16", "fp8")
_WHY = {
    "float32-min": "finfo(float32).min is beyond bf16's range and rounds to -inf when cast "
                   "to bf16 (0 * -inf is NaN; a fully masked softmax row becomes NaN)",
    "bfloat16-min": "finfo(bfloat16).min leaves no headroom: added to a second mask it "
                    "overflows to -inf, and a fully masked softmax row becomes NaN",
    "-inf": "an -inf mask makes a fully masked softmax row compute -inf - (-inf) = NaN",
}
_WHERE = {"softmax": "reaches the softmax", "reduced": "reaches bf16 arithmetic",
          "second-mask": "is added to a second mask"}


def check(context):
    reduced_run = _reduced_precision(context)
    saturate_note = _saturate_note(context)
    for hazard in mask_hazards(context.graph, reduced_run):
        found, sink = hazard.source, hazard.sink
        node = found.node
        if not _applies(hazard, reduced_run, saturate_note):
            continue
        what = f"lifted constant '{found.constant}'" if found.constant else \
            f"{node.op}: fill value"
        message = (f"{what} {found.value:g} ({found.kind}) {_WHERE[hazard.reason]} "
                   f"({sink.op}); {_WHY[found.kind]}")
        if found.kind == "-inf" and saturate_note:
            message += f"; {saturate_note}"
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
            message=message, fix=INFO.fix, ops=(node.op,),
            nodes=(node.name,),
            location=node_location(node),
            provenance=Provenance(kind="rule", source=context.kb.citation("bf16_mask_constant")),
            confidence="high" if found.kind != "-inf" else "medium",
        )


def _applies(hazard, reduced_run: bool, saturate_note: str | None) -> bool:
    kind = hazard.source.kind
    if hazard.reason == "second-mask":
        return True
    if kind == "-inf":
        return hazard.reason == "softmax" and (reduced_run or saturate_note is not None)
    return reduced_run or hazard.reason == "reduced"


def _reduced_precision(context) -> bool:
    if getattr(context.options, "dtype", "bf16") in _REDUCED_DTYPES:
        return True
    defaults = getattr(context.profile, "compiler_defaults", None) or {}
    return defaults.get("auto_cast") == "all"


def _saturate_note(context) -> str | None:
    if getattr(context.target, "neuroncore", None) == "v2":
        return ("on trn1/inf2 (NeuronCore-v2) infinities through matmul-based transposes give "
                "NaN unless compiled with --enable-saturate-infinity")
    return None
