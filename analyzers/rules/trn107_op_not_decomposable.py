"""op-not-decomposable: torch could not trace an operator down to the ops the backend receives.

## What it flags
A node that stops torch's decomposition of the exported program (the retrace that turns the
program into the ATen ops a Neuron backend receives) because the op has no kernel for the
fake tensors tracing uses (`aten._to_sparse` behind `Tensor.to_sparse()` in a saved program)
or that functionalization cannot wrap (a sparse CSR tensor reaching `to_dense`). The node
keeps the verdict of the op as written; the rest of the model is analysed with a dense
stand-in for its result.

## Why it fails on Neuron
The Neuron PyTorch stacks capture graphs by the same tracing: `torch.compile(backend="neuron")`
runs AOTAutograd over fake tensors, and PyTorch/XLA needs a lowering for every op it
receives. An op that torch itself cannot trace without real data breaks the graph there;
sparse layouts in particular fall back to the CPU in torch-xla.

## Example
```python
import torch

class SparseMix(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(8, 8)

    def forward(self, x):
        y = self.proj(x)
        return torch.relu(y) + y.to_sparse_csr().to_dense()

model = SparseMix()
example_inputs = (torch.randn(2, 8),)
```

## Suggested rewrite
Keep tensors dense on the device (mask with `torch.where` instead of a sparse layout), or move
the op to the host code around the compiled model.

## Source
PyTorch `torch.export` decompositions and fake tensors
(https://docs.pytorch.org/docs/stable/export.html,
https://docs.pytorch.org/docs/stable/torch.compiler_fake_tensor.html); torch-xla 2.9
`xla_native_functions.yaml` (no sparse lowerings); awsdocs-neuron
`latest/torch/compile/reference-torch-compile.html`.
"""

from trnport.analyzers.results import Finding, Location, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN107", symbol="op-not-decomposable", severity="warning",
    category="unsupported_op",
    title="Operator torch cannot trace to the backend's ops",
    fix="Keep the tensor dense on the device, or move the op to host code outside the model",
)
SOURCE = ("https://docs.pytorch.org/docs/stable/export.html; "
          "https://docs.pytorch.org/docs/stable/torch.compiler_fake_tensor.html")


def check(context):
    nodes = context.nodes_by_name
    for item in context.graph.metadata.get("undecomposable") or ():
        node = nodes.get(item["node"])
        loc = node.location if node is not None else None
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=INFO.severity,
            category=INFO.category,
            message=(f"{item['op']}: torch cannot trace it to the ops the backend receives "
                     f"({item['reason']}); its verdict is for the op as written, and the rest "
                     "of the model was analysed with a dense stand-in for its result"),
            fix=INFO.fix, ops=(item["op"],), nodes=(item["node"],) if node else (),
            location=Location(file=loc.file, line=loc.line, module=loc.module) if loc
            else Location(),
            provenance=Provenance(kind="rule", source=SOURCE), confidence="medium",
        )
