"""instruction-count-risk: the graph may exceed neuronx-cc's instruction limit.

## What it flags
Graphs whose instruction count per NeuronCore may pass 5,000,000, the limit an older
neuronx-cc message states. The estimate counts one tensor-engine instruction per matmul tile
(moving side ≤ 512, stationary 128 × 128), convolutions as the equivalent matmul per group
tiled per output row, one instruction per 128 × 512 elements for other ops, three times that
for a training step, divided by the TP degree. Public cases calibrate it: the compiler's count
is 2.6 to 4.8 times the estimate (Swin2SR measured at 2.6×; the SDXL VAE decoder fails at a
104 × 152 latent and compiles at 128 × 128, which brackets the upper factor), and a graph is
flagged when the upper end of that band reaches the limit. The finding states the band. It
typically flags many small matrix products (window attention over a large image), decoders of
large images and very large unrolled graphs.

## Why it fails on Neuron
neuronx-cc refuses graphs whose generated instruction count passes its limit (NCC_EVRF007,
NCC_EBVF030, NCC_EXTP004; the older XTP002/XTP003 message says "Number of instructions ... is
over the threshold (5000000)"), after much of the compile time has been spent.

## Example
```python
# trnport: --target trn1 --dtype bf16
import torch


class WindowAttention(torch.nn.Module):
    # self-attention inside 8 x 8 windows of a feature map, as Swin-style image models do
    def __init__(self, channels=96, heads=3, window=8):
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv = torch.nn.Linear(channels, 3 * channels)

    def forward(self, x):  # x: [batch, height, width, channels]
        b, h, w, c = x.shape
        s = self.window
        windows = x.view(b, h // s, s, w // s, s, c).transpose(2, 3).reshape(-1, s * s, c)
        q, k, v = self.qkv(windows).view(-1, s * s, 3, self.heads, c // self.heads).unbind(2)
        out = torch.nn.functional.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        return x + out.transpose(1, 2).reshape(b, h // s, w // s, s, s, c).transpose(2, 3) \
            .reshape(b, h, w, c)


model = torch.nn.Sequential(*(WindowAttention() for _ in range(8))).to("meta")
example_inputs = (torch.zeros(1, 2048, 2048, 96, device="meta", dtype=torch.bfloat16),)
```

## Suggested rewrite
Shard the model (tensor or pipeline parallelism), lower the batch, image resolution or
sequence length per compiled graph, or tile the input outside the model (process the image
in patches) so each compiled graph stays small; merging many small matrix products into
larger ones (batching windows together) also cuts the count.

## Source
Instruction-limit errors:
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/compiler/error-codes/EVRF007.rst,
`EBVF030.rst`,
`EXTP004.rst`; the 5,000,000 threshold: https://github.com/aws-neuron/aws-neuron-sdk/issues/1003
and https://github.com/aws-neuron/aws-neuron-sdk/issues/987; tile sizes:
https://github.com/aws-neuron/aws-neuron-sdk/blob/master/nki/guides/architecture/trainium_inferentia2_arch.rst;
calibration:
https://github.com/aws-neuron/aws-neuron-sdk/issues/987 (Swin2SR, 8.66 million),
https://github.com/aws-neuron/aws-neuron-samples/issues/34 (SDXL VAE decoder at a 104 × 152
latent), aws-neuron-samples `torch-neuronx/inference/hf_pretrained_sdxl_base_1024_inference.ipynb`
(the same decoder compiled at 128 × 128), `instruction_factor_*` in
`resources/neuron/limits.yaml`.
"""

from trnport.analyzers.memory.findings import location_of
from trnport.analyzers.memory.locate import first_located, node_named
from trnport.analyzers.results import Finding, Provenance
from trnport.analyzers.rules.base import RuleInfo

INFO = RuleInfo(
    code="TRN404", symbol="instruction-count-risk", severity="warning",
    category="compile_limit",
    title="Graph may exceed the compiler's instruction limit",
    fix="Shard the model or lower batch, resolution or sequence length per compiled graph",
)


def check(context):
    memory = getattr(context, "memory", None)
    if memory is None or not memory.instructions.at_risk:
        return
    estimate = memory.instructions
    node = first_located(context.graph, node_named(context.graph, estimate.heaviest_node))
    share = estimate.heaviest_count / estimate.unsharded if estimate.unsharded else 0
    heaviest = f"; {share:.0%} of them from one {node.op} node" if node else ""
    low, high = estimate.band
    yield Finding(
        code=INFO.code, symbol=INFO.symbol, severity=INFO.severity, category=INFO.category,
        message=(f"About {estimate.per_core:,} instructions per NeuronCore estimated at TP "
                 f"{memory.effective_tp}; calibrated on public cases the compiler's count is "
                 f"{low / 1e6:.1f}M to {high / 1e6:.1f}M ({estimate.factor_low:g}x to "
                 f"{estimate.factor_high:g}x the estimate), and neuronx-cc refuses graphs "
                 f"above {estimate.limit:,}{heaviest}"),
        fix=INFO.fix, ops=(node.op,) if node else (), nodes=(node.name,) if node else (),
        location=location_of(node), provenance=Provenance(kind="rule", source=_source(context)),
        confidence="low",
    )


def _source(context) -> str:
    kb = context.kb
    return (f"heuristic (low confidence); limit from {kb.limit('instruction_count').source}; "
            f"calibration from {kb.limit('instruction_factor_low').source}; "
            f"{kb.limit('instruction_factor_high').source}")
