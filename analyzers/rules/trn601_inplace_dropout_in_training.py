'''inplace-dropout-in-training: dropout that overwrites its input during training.

## What it flags
In `--mode training`, `nn.Dropout(inplace=True)` and `F.dropout(..., inplace=True)` (also the
alpha and feature variants), found as `aten.dropout_` in the exported training graph.

## Why it fails on Neuron
In training the dropped tensor is often one that autograd saved for the backward pass (the
output of ReLU, sigmoid, tanh or softmax). Run eagerly, as torch-xla and TorchNeuron training
do, the overwrite makes `backward()` fail ("modified by an inplace operation"); when traced,
functionalisation turns it back into a copy, so the in-place form saves no device memory and
only adds an aliasing constraint to the compiled step.

## Example
```python
# trnport: --mode training
import torch



class Head(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden, self.out = torch.nn.Linear(16, 16), torch.nn.Linear(16, 4)
        self.drop = torch.nn.Dropout(0.1, inplace=True)

    def forward(self, x):
        return self.out(self.drop(torch.relu(self.hidden(x))))


model = Head()
example_inputs = (torch.randn(8, 16),)
```

## Suggested rewrite
Use out-of-place dropout: `nn.Dropout(p)` / `F.dropout(x, p, training=self.training)`.

## Source
PyTorch autograd notes, "In-place operations with autograd"
(pytorch.org/docs/stable/notes/autograd.html); eager training on Neuron: aws-neuron-sdk
`frameworks/torch/pytorch-native-overview.rst`,
`archive/nxd-training/pytorch-neuron-programming-guide.rst`.
'''

from trnport.analyzers.memory.findings import location_of
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN601", symbol="inplace-dropout-in-training", severity="warning",
    category="performance",
    title="In-place dropout in a training graph",
    fix="Use out-of-place dropout (inplace=False)",
)
INPLACE_DROPOUT = frozenset({
    "aten.dropout_.default", "aten.alpha_dropout_.default", "aten.feature_dropout_.default",
    "aten.feature_alpha_dropout_.default",
})


def check(context):
    if context.options.mode != "training":
        return
    groups: dict[tuple, list] = {}
    for node, _ in context.graph.walk():
        if node.source_op in INPLACE_DROPOUT and not node.name.startswith("backward."):
            loc = node.location
            groups.setdefault((node.source_op, loc.file, loc.line, loc.module), []).append(node)
    for (op, *_), nodes in groups.items():
        first = nodes[0]
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
            message=(f"{op} overwrites its input during training; the tensor is often saved "
                     "for backward, so eager training fails and traced training copies it"),
            fix=INFO.fix, ops=(op,), nodes=tuple(n.name for n in nodes),
            location=location_of(first),
            provenance=Provenance(kind="rule", source=context.kb.citation("inplace_dropout")),
        )
