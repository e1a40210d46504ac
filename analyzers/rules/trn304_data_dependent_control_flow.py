"""data-dependent-control-flow: a branch or loop decided by tensor values.

## What it flags
`torch.cond` and `torch.while_loop` in exported programs; ONNX `If` whose condition and
`Loop` whose trip count or exit condition are computed from data (constant conditions are
not flagged); Python `if`/`while` on a tensor value, which `torch.export` can only
specialise to the branch the example input took.

## Why it fails on Neuron
neuronx-cc does not support HLO `conditional` or while loops with a data-dependent trip
count. On PyTorch/XLA tracing does not help: `torch_neuronx.trace` freezes control flow, so
the compiled model always runs the branch the example input took and silently ignores the
other one; lazy XLA reads the condition on the host and cuts the graph. On TorchNeuron a
Python branch on a tensor breaks the `torch.compile(backend="neuron")` graph (an error with
`fullgraph=True`) and synchronises eager mode. Neuron has no ONNX compiler,
and onnx2torch has no converter for `If`/`Loop`.

## Example
```python
import torch

class Gate(torch.nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x - 1

model = Gate()
example_inputs = (torch.ones(4),)
```

## Suggested rewrite
Compute both branches and select with `torch.where(cond, a, b)` (both have static shapes);
give loops a fixed trip count with a mask for finished iterations.

## Source
`hlo_opcode_status.csv` (conditional, while); aws-neuron-sdk
`frameworks/jax/setup/jax-neuronx-known-issues.rst`; `api-torch-neuronx-trace.rst`
(trace freezes control flow); `about-neuron/faq/onnx-faq.rst`; issue #698 (`torch.where`);
awsdocs-neuron `latest/torch/compile/reference-torch-compile.html` (fullgraph).
"""

from trnport.analyzers.hazards import data_dependent_branches, node_location
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN304", symbol="data-dependent-control-flow", severity="error",
    category="control_flow",
    title="Branch or loop decided by tensor values",
    fix="Compute both branches and select with torch.where; give loops a fixed trip count",
)
# the same on every stack (neuronx-cc); the cond / If texts differ by stack (stacks.yaml)
_MESSAGES = {
    "while_loop": "while_loop runs until a tensor condition fails: neuronx-cc supports only "
                  "loops with a static trip count",
    "onnx-loop": "ONNX Loop whose trip count or exit condition depends on the data: "
                 "neuronx-cc supports only loops with a static trip count",
}
_STACK_TEXTS = {"cond": "cond", "onnx-if": "onnx_if"}


def check(context):
    for branch in data_dependent_branches(context.graph):
        node = branch.node
        severity = INFO.severity
        if branch.kind == "python-branch":
            guard = branch.guard or {}
            taken = guard.get("result")
            effect = " ".join(context.stack_text("python_branch", taken=taken).split())
            message = (f"Python branch on a tensor value (`{branch.what}`, "
                       f"{guard.get('expr')}): {effect}")
            severity = "warning"
        elif branch.kind in _STACK_TEXTS:
            message = " ".join(context.stack_text(_STACK_TEXTS[branch.kind]).split())
        else:
            message = _MESSAGES[branch.kind]
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=severity, category=INFO.category,
            message=message, fix=INFO.fix, ops=(node.op,), nodes=(node.name,),
            location=node_location(node),
            provenance=Provenance(kind="rule",
                                  source=context.kb.citation("data_dependent_control_flow")),
            rewrite="RW-mask-with-where", confidence="high" if branch.kind != "onnx-loop"
            else "medium",
        )
