"""export-stopped-at-data-dependent-guard: `torch.export` could not capture the model past a
Python decision taken on a tensor value.

## What it flags
A Python branch, loop condition or size computed from tensor data (`while order.numel() > 0`
in a hand-written NMS, `if boxes.shape[0] == 0` after a boolean mask) at which
`torch.export` stops with "Could not guard on data-dependent expression", and which its
draft export cannot specialise either. The finding points at that line. The ops are then
those `torch.jit.trace` records for the example inputs, the way `torch_neuronx.trace`
records them; when the model cannot be traced either, nothing was analysed and the finding
is an error.

## Why it fails on Neuron
Neuron compiles static graphs (NCC_EMOD025). `torch_neuronx.trace` is built on
`torch.jit.trace`: it runs the Python decision once, on the example's values, and the
compiled model repeats that path for every input (a loop keeps the example's trip count).
On TorchNeuron `torch.compile(backend="neuron")` breaks the graph at the decision (an error
with `fullgraph=True`) and reads the value on the host each step.

## Example
```python
import torch

class GreedySuppression(torch.nn.Module):
    def forward(self, scores, boxes):
        order = scores.argsort(descending=True)
        keep = []
        while order.numel() > 0:
            best = order[0]
            keep.append(best)
            rest = order[1:]
            order = rest[scores[rest] < scores[best] * 0.9]
        return boxes[torch.stack(keep)]

model = GreedySuppression()
example_inputs = (torch.rand(8), torch.rand(8, 4))
```

## Suggested rewrite
Decide on the device with fixed shapes: score every candidate at once and select with a mask
and `torch.where` (or `torch.topk` with a fixed k), keep loops to a fixed trip count, and
move variable-length post-processing (NMS, filtering) out of the compiled model.

## Source
PyTorch `torch.export` programming model, data-dependent guards and draft export
(https://docs.pytorch.org/docs/stable/export.html,
https://docs.pytorch.org/docs/stable/draft_export.html); aws-neuron-sdk
`api-torch-neuronx-trace.rst` (trace freezes control flow and shapes),
`compiler/error-codes/EMOD025.rst`; awsdocs-neuron
`latest/torch/compile/reference-torch-compile.html` (fullgraph).
"""

from trnport.analyzers.results import Finding, Location, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN305", symbol="export-stopped-at-data-dependent-guard", severity="warning",
    category="control_flow",
    title="torch.export stopped at a decision taken on a tensor value",
    fix="Decide with masks and torch.where on fixed shapes, or move variable-length "
        "post-processing out of the compiled model",
)
SOURCE = ("https://docs.pytorch.org/docs/stable/export.html; aws-neuron-sdk "
          "api-torch-neuronx-trace.rst; compiler/error-codes/EMOD025.rst")


def check(context):
    guard = context.graph.metadata.get("export_guard")
    if not guard:
        return
    code = f" (`{guard['code']}`)" if guard.get("code") else ""
    if guard.get("captured_by"):
        severity = INFO.severity
        outcome = (f"the ops analysed are those {guard['captured_by']} recorded for the "
                   "example inputs, as torch_neuronx.trace records them: the compiled graph "
                   "would repeat the path those values took for every input")
    else:
        severity = "error"
        outcome = (f"the model could not be traced either ({guard.get('trace_error')}), so "
                   "no op was analysed: torch_neuronx.trace cannot record it")
    yield Finding(
        code=INFO.code, symbol=INFO.symbol, severity=severity, category=INFO.category,
        message=(f"torch.export cannot decide the data-dependent guard "
                 f"`{guard.get('expression')}`{code}: a Python decision on a tensor value; "
                 f"{outcome}"),
        fix=INFO.fix, ops=(), nodes=(),
        location=Location(file=guard.get("file"), line=guard.get("line")),
        provenance=Provenance(kind="rule", source=SOURCE), confidence="high",
    )
