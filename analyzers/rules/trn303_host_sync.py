"""host-sync: a tensor value read into Python (`.item()`, `float(t)`, `int(t)`).

## What it flags
`aten._local_scalar_dense` / `aten.item` in an exported program: the code turns a device
tensor into a Python number and keeps computing with it. (When that number decides a
Python `if`, TRN304 reports the branch instead.)

## Why it fails on Neuron
A host read forces the pending graph to execute and copies the value to the CPU: lazy XLA
cuts the graph there (two compilations, a synchronisation every step), and
`torch_neuronx.trace` records the value the example input had as a constant, so every
later input silently reuses it.

## Example
```python
import torch

class ScaleByMax(torch.nn.Module):
    def forward(self, x):
        peak = x.abs().max().item()
        return x / peak

model = ScaleByMax()
example_inputs = (torch.randn(4, 8),)
```

## Suggested rewrite
Keep the scalar on the device as a 0-d tensor (`peak = x.abs().amax()`, then `x / peak`);
for logging in a training loop, use `xm.add_step_closure` instead of `.item()`.

## Source
aws-neuron-sdk `archive/nxd-training/pytorch-neuron-programming-guide.rst` (`.item()` and
print force graph cuts); `api-torch-neuronx-trace.rst` (trace freezes values);
pytorch/xla v2.9.0 `torch_xla/csrc/aten_xla_type.cpp` (`_local_scalar_dense` on the CPU).
"""

from trnport.analyzers.hazards import host_reads, node_location
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN303", symbol="host-sync", severity="warning", category="control_flow",
    title="A tensor value is read on the host",
    fix="Keep the value on the device as a 0-d tensor instead of calling .item()",
)


def check(context):
    groups: dict[tuple, list] = {}
    for read in host_reads(context.graph):
        if read.guard is not None:
            continue  # a Python branch on the value: TRN304
        loc = read.node.location
        groups.setdefault((loc.file, loc.line, loc.module), []).append(read.node)
    training = getattr(context.options, "mode", "inference") == "training"
    effect = ("cuts the lazy XLA graph and synchronises with the host every step"
              if training else
              "torch_neuronx.trace freezes the value of the example input as a constant "
              "(lazy XLA cuts the graph there)")
    for members in groups.values():
        node = members[0]
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
            message=f"{node.op}: a tensor value is read into Python on the host; {effect}",
            fix=INFO.fix, ops=(node.op,), nodes=tuple(n.name for n in members),
            location=node_location(node),
            provenance=Provenance(kind="rule", source=context.kb.citation("host_sync")),
            rewrite="RW-keep-scalar-on-device", confidence="high",
        )
