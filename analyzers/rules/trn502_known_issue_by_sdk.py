"""known-issue-by-sdk: an operator pattern that the analysed SDK line gets wrong or fails on,
documented as fixed in a later Neuron release.

## What it flags
Nodes that match a known issue of the Neuron SDK line being analysed (`--sdk`): a wrong
result or a compiler failure that the Neuron release notes list as fixed in a later release.
Each issue names its operators and the pattern that triggers it (for example a convolution
whose dilation is larger than its kernel, integer division, a `-inf` clamp bound, max-pool
gradients in training) and the SDK lines it affects. The finding names the release that fixed
it and its compiler version. On the fixed line and later ones the rule is silent.

## Why it fails on Neuron
The bug is in neuronx-cc of the affected releases: for a wrong result the model compiles and
runs but computes incorrect values (nothing fails, the outputs drift from the reference);
for a failure the compiler crashes on the pattern. Upgrading to the fixing release removes
it; the workaround avoids the pattern on the release you are pinned to.

## Example
```python
# trnport: --sdk 2.26 --target trn1 --dtype fp32
import torch

class Dilated(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(4, 4, kernel_size=2, dilation=3)

    def forward(self, x):
        return self.conv(x)

model = Dilated()
example_inputs = (torch.randn(1, 4, 16, 16),)
```

## Suggested rewrite
Upgrade to the Neuron release the finding names (or later). When you must stay on the
affected line, avoid the pattern (the finding's fix says how, e.g. a dilation no larger than
the kernel) and compare the compiled model's outputs with a CPU run.

## Source
`resources/neuron/known_issues.yaml`, each issue with its release-notes URL:
awsdocs-neuron `release-notes/components/compiler.html` (Neuron 2.29.0, 2.30.0 and 2.32.0
bug fixes: clamp with `-inf`, select-and-scatter boundaries, integer division, convolution
kernel smaller than dilation, int64-to-int32 casts folded into DMA, scatter with scalar
operands); versions per release from `releases.csv`.
"""

from trnport.analyzers.hazards import node_location
from trnport.analyzers.hazards.known_issues import known_issue_hits
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN502", symbol="known-issue-by-sdk", severity="warning", category="numerical",
    title="Known wrong result or failure on this SDK line, fixed in a later release",
    fix="Upgrade to the Neuron release that fixed it",
)
#: what each kind of issue is called in a message, and the severity/category it carries
_KINDS = {
    "wrong_result": ("wrong result", "warning", "numerical"),
    "failure": ("compiler failure", "error", "unsupported_op"),
}


def check(context):
    mode = getattr(context.options, "mode", "inference")
    groups: dict[tuple, list] = {}
    for hit in known_issue_hits(context.graph, context.kb, context.profile, context.target,
                                mode):
        loc = hit.node.location
        groups.setdefault((hit.issue.id, loc.file, loc.line, loc.module), []).append(hit)
    for hits in groups.values():
        issue, first = hits[0].issue, hits[0].node
        label, severity, category = _KINDS[issue.kind]
        fixed = _release(context.kb, issue.fixed_in)
        fix = f"Upgrade to Neuron {issue.fixed_in} or later"
        if issue.workaround:
            fix += f"; on {context.profile.id}, {issue.workaround}"
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=severity, category=category,
            message=(f"{first.op}: known {label} on Neuron SDK {context.profile.id}: "
                     f"{issue.summary}; fixed in {fixed}"),
            fix=fix, ops=tuple(dict.fromkeys(h.node.op for h in hits)),
            nodes=tuple(h.node.name for h in hits), location=node_location(first),
            provenance=Provenance(kind="rule", source=issue.source),
            confidence=issue.confidence,
        )


def _release(kb, line: str) -> str:
    """``Neuron 2.30 (neuronx-cc 2.25.3371.0)``: the fixing line and its compiler."""
    try:
        profile = kb.profile(line)
    except Exception:  # a line the kb no longer carries: name it without the compiler
        return f"Neuron {line}"
    compiler = f" (neuronx-cc {profile.neuronx_cc})" if profile.neuronx_cc else ""
    return f"Neuron {line}{compiler}"
