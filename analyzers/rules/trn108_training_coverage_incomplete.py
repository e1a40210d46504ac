"""training-coverage-incomplete: in training mode the backward graph could not be captured.

## What it flags
A training-mode analysis of a PyTorch model whose joint forward + backward graph could not
be traced (the model returns no floating-point value to differentiate, or the tracer refuses
the program). The verdicts then cover the forward ops only; the gradient ops Neuron would
compile for the training step were not judged. Parameters that merely receive no gradient
(an unused pretraining head) do not cause this: they are traced as frozen weights.

## Why it fails on Neuron
A Neuron training step compiles forward and backward together (one graph per iteration on
PyTorch/XLA; the AOTAutograd joint graph under `torch.compile(backend="neuron")` on
TorchNeuron). Backward ops such as `upsample_bilinear2d_backward` or the gradients of
pooling and indexing ops have their own lowerings and their own gaps, so a forward-only
verdict can call a model ready that still falls back to the CPU or fails in its backward
pass.

## Example
```python
# trnport: --mode training
import torch

class Classifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(8, 4)

    def forward(self, x):
        return self.proj(x).argmax(-1)

model = Classifier()
example_inputs = (torch.randn(2, 8),)
```

## Suggested rewrite
Analyse the module whose forward returns the loss (or the logits) in floating point, the way
the training loop differentiates it, so that the backward pass can be traced.

## Source
PyTorch `torch.export` joint-graph export and AOTAutograd
(https://docs.pytorch.org/docs/stable/export.html); aws-neuron-sdk
`archive/nxd-training/pytorch-neuron-programming-guide.rst` (one graph per training
iteration), `archive/nxd-training/pytorch-neuron-debug.rst` (ops without a lowering fall back
to the CPU in training); awsdocs-neuron `latest/torch/compile/reference-torch-compile.html`.
"""

from trnport.analyzers.results import Finding, Location, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN108", symbol="training-coverage-incomplete", severity="warning",
    category="unsupported_op",
    title="Backward graph not captured: training coverage is incomplete",
    fix="Return the loss or the logits in floating point from forward so the backward pass "
        "can be traced",
)
SOURCE = ("https://docs.pytorch.org/docs/stable/export.html; aws-neuron-sdk "
          "archive/nxd-training/pytorch-neuron-programming-guide.rst")


def check(context):
    capture = context.graph.metadata.get("training_capture")
    if context.options.mode != "training" or not capture or capture.get("complete", True):
        return
    yield Finding(
        code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
        message=(f"training mode: the backward graph could not be captured "
                 f"({capture.get('reason')}); the verdicts cover the forward ops only, so the "
                 "gradient ops of the training step were not judged"),
        fix=INFO.fix, ops=(), nodes=(), location=_output_location(context.graph),
        provenance=Provenance(kind="rule", source=SOURCE), confidence="high",
    )


def _output_location(graph) -> Location:
    """Where the model's result is computed: the last forward node located in the model
    file (the file itself when no node is, or the last located node of a saved program)."""
    source_file = graph.metadata.get("source_file")
    located = [node.location for node in graph.nodes if node.location.file]
    if source_file:
        located = [loc for loc in located if loc.file == source_file]
    if not located:
        return Location(file=source_file)
    loc = located[-1]
    return Location(file=loc.file, line=loc.line, module=loc.module)
