"""sharding-constraint: a model dimension the tensor-parallel degree cannot split evenly.

## What it flags
At the TP degree the model will run at — `--tp`, or the smallest degree that fits per-core
HBM when that is larger — a dimension that NeuronX Distributed shards is not divisible by it:
attention heads, KV heads (unless TP is a multiple of them, which replicates them),
vocabulary (parallel embedding and LM head) or MLP intermediate size. As an info, it also
notes when the MLP intermediate per core stays above 4096, the most the NKI MLP kernel takes.

## Why it fails on Neuron
Tensor parallelism splits attention by heads, the MLP by intermediate columns and embeddings
by vocabulary rows, evenly over the ranks. A degree that does not divide a dimension runs
padded: memory and compute are spent on zeros (AWS runs 40-head models at TP 32 that way).
The NKI MLP kernel rejects an intermediate dimension above 4096 per core with
NCC_EBIR023.

## Example
```python
# trnport: --target inf2 --dtype bf16
import torch


class Block(torch.nn.Module):
    def __init__(self, width=15360, heads=20):
        super().__init__()
        self.heads = heads
        self.qkv = torch.nn.Linear(width, 3 * width, bias=False)
        self.out = torch.nn.Linear(width, width, bias=False)
        self.up = torch.nn.Linear(width, 4 * width, bias=False)
        self.down = torch.nn.Linear(4 * width, width, bias=False)

    def forward(self, x):
        batch, length, width = x.shape
        q, k, v = self.qkv(x).view(batch, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        attended = torch.nn.functional.scaled_dot_product_attention(q, k, v)
        x = x + self.out(attended.transpose(1, 2).reshape(batch, length, width))
        return x + self.down(torch.nn.functional.gelu(self.up(x)))


class Model(torch.nn.Module):
    def __init__(self, depth=16):
        super().__init__()
        self.blocks = torch.nn.ModuleList(Block() for _ in range(depth))

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


# 45 billion parameters with 20 heads: needs TP 8 on inf2, and 8 does not divide 20
with torch.device("meta"):
    model = Model()
example_inputs = (torch.zeros(1, 128, 15360, device="meta", dtype=torch.bfloat16),)
```

## Suggested rewrite
Pick a TP degree that divides the head count (and KV heads, vocabulary and intermediate
size), e.g. 4, 5, 10 or 20 for 20 heads; pad the vocabulary to a multiple of TP; keep KV heads
a divisor or a multiple of TP. With the NKI MLP kernel, raise TP until the intermediate size
per core is at most 4096, or leave that kernel disabled.

## Source
Parallel layers and their splits:
https://github.com/aws-neuron/neuronx-distributed/blob/main/src/neuronx_distributed/parallel_layers/layers.py;
uneven splits run padded: aws-neuron-sdk `about-neuron/benchmarks/trn1/latency_data_decoder.csv`
(40-head Llama-2-13B and CodeLlama-13B at TP 32),
`libraries/nxd-inference/developer_guides/model-reference.rst` (Qwen2.5 with 28 and 40 heads);
MLP kernel limit:
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/compiler/error-codes/EBIR023.rst
"""

from trnport.analyzers.memory.findings import location_of
from trnport.analyzers.memory.locate import first_located, node_named
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN403", symbol="sharding-constraint", severity="info", category="memory",
    title="Tensor-parallel degree does not split a model dimension evenly",
    fix="Choose a tensor-parallel degree that divides the dimension",
)


def check(context):
    memory = getattr(context, "memory", None)
    if memory is None:
        return
    for issue in memory.sharding:
        node = first_located(context.graph, node_named(context.graph, issue.node))
        if issue.dimension == "MLP kernel intermediate":
            fix = ("Raise TP until the MLP intermediate size per core is at most 4096, or leave "
                   "the NKI MLP kernel disabled")
        else:
            fix = f"Choose a TP degree that divides the {issue.dimension} ({issue.size})"
        yield Finding(
            code=INFO.code, symbol=INFO.symbol, severity=issue.severity,
            category=INFO.category, message=issue.message, fix=fix,
            ops=(node.op,) if node else (), nodes=(node.name,) if node else (),
            location=location_of(node), provenance=Provenance(kind="rule", source=issue.source),
        )
