"""host-sync: a tensor value read into Python (`.item()`, `float(t)`, `int(t)`).

## What it flags
`aten._local_scalar_dense` / `aten.item` in an exported program: the code turns a device
tensor into a Python number and keeps computing with it. (When that number decides a
Python `if`, TRN304 reports the branch instead.)

## Why it fails on Neuron
A host read forces the pending device work to finish and copies the value to the CPU. On
PyTorch/XLA, lazy XLA cuts the graph there (two compilations, a synchronisation every step),
and `torch_neuronx.trace` records the value the example input had as a constant, so every
later input silently reuses it. On TorchNeuron, eager mode waits for the queued ops (and
stops fusing them there) and `torch.compile(backend="neuron")` breaks the graph, which
raises with `fullgraph=True`.

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
for logging in a training loop, read values every N steps (on PyTorch/XLA through
`xm.add_step_closure`) instead of calling `.item()` every step.

## Source
aws-neuron-sdk `archive/nxd-training/pytorch-neuron-programming-guide.rst` (`.item()` and
print force graph cuts); `api-torch-neuronx-trace.rst` (trace freezes values);
pytorch/xla v2.9.0 `torch_xla/csrc/aten_xla_type.cpp` (`_local_scalar_dense` on the CPU);
TorchNeuron: awsdocs-neuron `latest/torch/reference/best-practices-pytorch-neuron.html` (host
reads synchronise), `latest/torch/compile/reference-torch-compile.html` (fullgraph).
"""

from trnport.analyzers.hazards import host_reads, node_location
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN303", symbol="host-sync", severity="warning", category="control_flow",
    title="A tensor value is read on the host",
    fix="Keep the value on the device as a 0-d tensor instead of calling .item()",
)


def _source(context) -> str:
    if context.stack_id == "xla":
        return context.kb.citation("host_sync")
    return context.stack.spec.texts_source


def check(context):
    groups: dict[tuple, list] = {}
    for read in host_reads(context.graph):
        if read.guard is not None:
            continue  # a Python branch on the value: TRN304
        loc = read.node.location
        groups.setdefault((loc.file, loc.line, loc.module), []).append(read.node)
    training = getattr(context.options, "mode", "inference") == "training"
    effect = " ".join(context.stack_text(
        "host_read_training" if training else "host_read_inference").split())
    for members in groups.values():
        node = members[0]
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
            message=f"{node.op}: a tensor value is read into Python on the host; {effect}",
            fix=INFO.fix, ops=(node.op,), nodes=tuple(n.name for n in members),
            location=node_location(node),
            provenance=Provenance(kind="rule", source=_source(context)),
            rewrite="RW-keep-scalar-on-device", confidence="high",
        )
