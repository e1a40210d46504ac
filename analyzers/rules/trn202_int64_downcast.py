"""int64-downcast: int64 tensors that the compiler narrows to int32.

## What it flags
`int64` values that can pass the int32 range, found by a static range analysis over the graph
(`trnport.analyzers.hazards.int_ranges`): an unbounded `int64` input, or the node where a
computation first leaves the int32 range (products of ids, `cumsum`/`prod` over long axes,
large constants). Indices, positions, masks, `arange` over a dimension and shape arithmetic
stay in range and are not reported. All such values of a model are one finding, with their
nodes.

## Why it fails on Neuron
neuronx-cc downcasts int64 to int32: always on trn1/inf2 and by default on trn2/trn3
(native int64 needs `--native-int64=enabled` and runs roughly 20-30% slower). Values
beyond 2^31 wrap. From Neuron 2.32 `--implicit-integer-downcast` can turn lossy integer
paths into hard errors, and the next release is announced to make that the default.

## Example
```python
import torch

class HashedIds(torch.nn.Module):
    # hashed token features: ids * 1000003 passes 2**31 for ids above 2147
    def __init__(self):
        super().__init__()
        self.tokens = torch.nn.Embedding(32000, 8)
        self.buckets = torch.nn.Embedding(4096, 8)

    def forward(self, ids):
        return self.tokens(ids) + self.buckets((ids * 1000003) % 4096)

model = HashedIds()
example_inputs = (torch.randint(0, 32000, (2, 16)),)
```

## Suggested rewrite
Create index tensors as int32 (`torch.arange(n, dtype=torch.int32)`) and cast tokenizer
outputs to int32 before they reach the model.

## Source
aws-neuron-sdk `about-neuron/arch/neuron-features/data-types.rst`,
`release-notes/components/compiler.rst` (2.32.0: `--native-int64`,
`--implicit-integer-downcast`).
"""

from trnport.analyzers.hazards import node_location, wide_int64_values
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN202", symbol="int64-downcast", severity="warning", category="dtype",
    title="int64 is narrowed to int32 by the compiler",
    fix="Use int32 for indices and token ids, or make sure values stay below 2**31",
)
#: how many places the message names before it counts the rest
_NAMED = 3


def check(context):
    narrowed = context.with_code(INFO.code)
    if not narrowed:  # the target keeps int64 (or the model has none)
        return
    wide = wide_int64_values(context.graph)
    if not wide:
        return
    issue = narrowed[0]
    nodes = tuple(dict.fromkeys(node.name for value in wide for node in value.nodes))
    places = [_place(value) for value in wide]
    more = f" and {len(places) - _NAMED} more" if len(places) > _NAMED else ""
    first = wide[0].nodes[0]
    rewrite = getattr(issue, "rewrite", None)
    entry = context.kb.rewrite(rewrite) if rewrite and context.kb is not None else None
    fix = entry.title_for(context.stack_id) if entry is not None and entry.title else INFO.fix
    yield Finding(
        code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
        message=(f"{len(wide)} int64 value{'s' if len(wide) > 1 else ''} can pass the int32 "
                 f"range that neuronx-cc narrows int64 to: {'; '.join(places[:_NAMED])}{more}"),
        fix=fix, ops=tuple(dict.fromkeys(n.op for value in wide for n in value.nodes)),
        nodes=nodes, location=node_location(first),
        provenance=Provenance(kind="rule", source=issue.source or "trnport knowledge base"),
        rewrite=rewrite, confidence="medium",
    )


def _place(value) -> str:
    node = value.nodes[0]
    where = f" at {node.location}" if node.location.file or node.location.module else ""
    if value.input is not None:
        return f"input '{value.input}' has no known bound (read by {node.op}{where})"
    return f"{node.op}{where} reaches {value.bound}"
