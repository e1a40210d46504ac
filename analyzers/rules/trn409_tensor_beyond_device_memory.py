"""tensor-beyond-device-memory: one tensor is larger than the HBM of any Neuron instance.

## What it flags
A node whose output has a static shape with more bytes than the HBM of the largest instance
(or UltraServer) of any target family, so that no device and no parallel layout can hold it.
This catches shapes that the memory estimate does not count as allocations: a `reshape`,
`view` or `expand` to a huge shape (views cost nothing in the estimate), typically a wrong
constant (`2**62` where `-1` was meant) or a shape computed from a wrong dimension. A model
that is merely too big for the chosen layout is TRN401's.

## Why it fails on Neuron
Each NeuronCore addresses its own slice of HBM, and the largest systems have a fixed number
of them. A tensor is materialised on the device by neuronx-cc whenever an op cannot keep it as
a view; one larger than every device cannot be placed anywhere and the compile fails with an
out-of-memory error (NCC_EOOM001, NCC_EOOM002), if it does not fail earlier on the shape.

## Example
```python
# trnport: --target trn2
import torch


class Broadcast(torch.nn.Module):
    def forward(self, x):
        # meant: x.expand(-1, 4096); 2**40 rows is a wrong constant
        return x.expand(2**40, 4096)


model = Broadcast()
example_inputs = (torch.ones(1, 4096),)
```

## Suggested rewrite
Check the shape constant or the dimension it is computed from (`-1` lets the runtime infer
one dim); keep the broadcast lazy by folding it into the op that consumes it, or split the
work into chunks that each fit.

## Source
HBM per core and cores per instance: FACTS.md §6 (`about-neuron/arch/neuron-hardware/*.rst`,
https://awsdocs-neuron.readthedocs-hosted.com/en/latest/about-neuron/arch/neuron-hardware/trn2-arch.html);
out-of-memory errors: `compiler/error-codes/EOOM001.rst`, `EOOM002.rst`.
"""

from __future__ import annotations

import math

from trnport.analyzers.graph import DTYPE_BYTES
from trnport.analyzers.memory.findings import location_of
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN409", symbol="tensor-beyond-device-memory", severity="error", category="memory",
    title="One tensor is larger than the HBM of the whole instance",
    fix="Check the shape constant or dimension that makes this tensor so large",
)
_GIB = 1 << 30


def _static_bytes(shape, dtype) -> int | None:
    if shape is None or not all(isinstance(d, int) for d in shape):
        return None
    return math.prod(shape) * DTYPE_BYTES.get(dtype or "", 1)


def largest_device(kb) -> tuple[str, float]:
    """The instance with the most HBM over every target family, and its GiB."""
    sizes = []
    for family in kb.targets:
        per_chip = kb.target(family.family).hbm_gib_per_chip
        sizes += [(instance.chips * per_chip, instance.name) for instance in family.instances]
    gib, name = max(sizes)
    return name, gib


def check(context):
    device, gib = largest_device(context.kb)
    limit = int(gib * _GIB)
    graph = context.graph
    # values first (shapes repeat, so sizes are computed once per shape and dtype), then
    # the nodes that write the few that are too big
    sizes: dict[tuple, int | None] = {}
    huge = {}
    for name, value in graph.values.items():
        key = (value.shape, value.dtype)
        if key not in sizes:
            sizes[key] = _static_bytes(value.shape, value.dtype)
        size = sizes[key]
        if size is not None and size > limit:
            huge[name] = (size, value)
    too_big = []
    for node in graph.nodes if huge else ():
        found = next((huge[name] for name in node.outputs if name in huge), None)
        if found is not None:
            too_big.append((found[0], node, found[1]))
    if not too_big:
        return
    size, node, value = max(too_big, key=lambda item: item[0])
    others = f" ({len(too_big) - 1} more node(s) like it)" if len(too_big) > 1 else ""
    yield Finding(
        code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
        message=(f"{node.op} output {value.name!r} has shape {list(value.shape)}: "
                 f"{math.prod(value.shape):,} elements, {size / _GIB:,.0f} GiB, more than the "
                 f"{gib:,.0f} GiB of HBM of the largest Neuron device ({device}){others}"),
        fix=INFO.fix, ops=tuple(dict.fromkeys(n.op for _, n, _ in too_big)),
        nodes=tuple(n.name for _, n, _ in too_big), location=location_of(node),
        provenance=Provenance(kind="rule", source=context.kb.citation("hbm_fit")),
    )
