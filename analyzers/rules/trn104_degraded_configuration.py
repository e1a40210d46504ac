"""degraded-configuration: a supported operator whose configuration here costs speed.

## What it flags
Nodes that compile and run correctly on the device, but where a documented condition of
this node makes them slower or costlier to compile: today a TorchScript loop (`prim.Loop`),
which tracing unrolls into one copy of its body per iteration. Lossy numerics are not
flagged here: a lossy integer path is a dtype finding (TRN202, TRN205).

## Why it fails on Neuron
Nothing fails at compile time; the graph grows with the trip count, so compile time and
instruction count grow with it, and the cost is found late, in compile logs or throughput
tests. A trip count that depends on tensor values is not supported at all.

## Example
A TorchScript archive (`torch.jit.script`) whose `forward` runs `for step in range(n)`
holds a `prim.Loop` node; `trnport check model.pt` reports it.

## Suggested rewrite
Follow the condition's advice in the finding: usually a static, short trip count, or a loop
written over a tensor dimension so that it vectorises.

## Source
`hlo_opcode_status.csv` (while: static trip counts only); aws-neuron-sdk
`frameworks/jax/setup/jax-neuronx-known-issues.rst`.
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN104", symbol="degraded-configuration", severity="warning",
    category="performance",
    title="Operator runs, but this configuration degrades speed or accuracy",
    fix="Use the dtype or attribute the engines implement natively",
)


def check(context):
    return findings_from_verdicts(context, INFO, leave_to_hazards=True)
