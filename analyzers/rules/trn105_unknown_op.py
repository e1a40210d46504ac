"""unknown-op: an operator the knowledge base has no entry for.

## What it flags
Nodes whose operator is not in trnport's Neuron knowledge base for this profile. trnport
never assumes such an operator works; it reports it so that someone checks it.

## Why it fails on Neuron
Neuron publishes no complete operator list for torch-neuronx 2.x; an operator outside the
torch-xla lowering table and the compiler's documented set may lower, fall back to the
CPU or fail, and only a compile shows which.

## Example
```text
An ATen operator added by a newer torch release than the knowledge base was built from,
or an ONNX operator from an opset newer than the knowledge base knows.
```

## Suggested rewrite
Check the operator with `torch_neuronx.analyze` on a Neuron host (`trnport --probe`), or
import a saved analyze() result with `trnport import-analyze`; rewrite it with known
operators if it fails.

## Source
The supported-operator list, which AWS says is not exhaustive:
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/frameworks/torch/torch-neuronx/pytorch-neuron-supported-operators.rst
"""

from trnport.analyzers.rules.base import RuleInfo, findings_from_verdicts

INFO = RuleInfo(
    code="TRN105", symbol="unknown-op", severity="warning", category="unsupported_op",
    title="Operator not in the knowledge base",
    fix="Verify the operator with torch_neuronx.analyze on a Neuron host (trnport --probe)",
)


def check(context):
    return findings_from_verdicts(context, INFO, leave_to_hazards=True)
