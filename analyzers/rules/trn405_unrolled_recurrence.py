"""unrolled-recurrence: a loop over the sequence is unrolled into the compiled graph.

## What it flags
A source line that produced many nodes inside one module: a recurrence stepped in Python
(Mamba's selective scan, an RWKV time mix, an `LSTMCell` called once per token) that
`torch.export` and the XLA trace unroll into one copy of the step per iteration, and
`torch.nn.LSTM`/`GRU`, whose ATen op is a composite that decomposes into per-step ops before
it reaches the Neuron backend. The finding
names the loop's line and modules, its nodes at the full sequence length (a recurrent
Hugging Face model is exported at a 16-token probe and scaled) and their share of the
instruction estimate.

## Why it fails on Neuron
Neuron compiles one static graph; a Python loop has no loop construct in it, so the graph
grows linearly with the sequence length. Compile time grows with it, and a long sequence
passes neuronx-cc's instruction limit ("Too many instructions after unroll", NCC_EVRF007 /
NCC_EXTP004) long before memory runs out.

## Example
```python
import torch


class StepwiseRNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = torch.nn.LSTMCell(32, 32)

    def forward(self, x):  # x: [batch, time, 32]
        h = c = torch.zeros(x.shape[0], 32)
        outputs = []
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
            outputs.append(h)
        return torch.stack(outputs, dim=1)


model = StepwiseRNN()
example_inputs = (torch.randn(1, 64, 32),)
```

## Suggested rewrite
Process the sequence in fixed-size chunks with one compiled graph per chunk (carry the state
between calls), or use a parallel (chunked) scan formulation whose graph does not grow with
the sequence; shorter sequences per compiled graph also cut the count.

## Source
`compiler/error-codes/EVRF007.rst`, `EXTP004.rst` (instruction limit); aws-neuron-sdk release
notes, neuronx-cc 2.10.0.35 known issue "Too many instructions after unroll for function
sg0000"; PyTorch `torch.export` documentation (Python control flow is traced, loops unrolled).
"""

from trnport.analyzers.memory.instructions import TensorEngine, node_instructions
from trnport.analyzers.memory.recurrence import unrolled_loops
from trnport.analyzers.memory.scaling import resolved_shapes
from trnport.analyzers.results import Finding, Location, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN405", symbol="unrolled-recurrence", severity="warning", category="compile_limit",
    title="A loop over the sequence is unrolled into the compiled graph",
    fix="Compile a fixed-size chunk of the sequence and carry the state across calls",
)


def check(context):
    loops = unrolled_loops(context.graph)
    if not loops:
        return
    memory = getattr(context, "memory", None)
    estimate = memory.instructions if memory is not None else None
    shapes = resolved_shapes(context.graph, {})
    engine = TensorEngine.from_kb()
    for loop in loops:
        cost = round(sum(node_instructions(n, shapes.get, engine) for n in loop.nodes)
                     * loop.scale)
        share = ""
        if estimate is not None and estimate.unsharded:
            share = (f", {cost / estimate.unsharded:.0%} of the model's estimated "
                     f"{estimate.unsharded:,} instructions (limit {estimate.limit:,})")
        steps = (f" (exported at {loop.steps_exported} steps, scaled to {loop.steps_full})"
                 if loop.scale != 1 else "")
        modules = ", ".join(m for m in loop.modules[:2] if m)
        more = f" and {len(loop.modules) - 2} more" if len(loop.modules) > 2 else ""
        name = loop.file.rsplit("/", 1)[-1]
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=INFO.severity,
            category=INFO.category,
            message=(f"the loop at {name}:{loop.line} ({modules}{more}) is unrolled once per "
                     f"step: {loop.unrolled_nodes:,} nodes{steps}, about {cost:,} "
                     f"instructions{share}"),
            fix=INFO.fix, ops=tuple(dict.fromkeys(n.op for n in loop.nodes))[:4],
            nodes=tuple(n.name for n in loop.nodes),
            location=(Location(module=loop.modules[0] or None, library=f"{loop.file}:{loop.line}")
                      if loop.in_library else
                      Location(file=loop.file, line=loop.line, module=loop.modules[0] or None)),
            provenance=Provenance(kind="rule", source=(
                "aws-neuron-sdk compiler/error-codes/EVRF007.rst, EXTP004.rst; neuronx-cc "
                "2.10.0.35 release notes (Too many instructions after unroll)")),
            confidence="medium",
        )
