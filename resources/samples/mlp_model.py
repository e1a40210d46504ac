"""A small decoder block to try trnport on: ``trnport check mlp_model.py --trust-code``.

trnport runs this file and reads two names from it:

- ``model``: the ``nn.Module`` to analyse;
- ``example_inputs``: forward arguments; a list of tuples gives several input shapes, which
  trnport uses to show how many graphs Neuron would compile (one per distinct shape).

A few ops here are worth a look on Neuron: the causal mask built with ``masked_fill``, GELU,
LayerNorm, and ``torch.topk`` over integer scores.
"""

import torch
from torch import nn
from torch.nn import functional as F

VOCAB = 256
WIDTH = 64
HEADS = 4


class CausalSelfAttention(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (t.view(batch, length, self.heads, -1).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) / (width // self.heads) ** 0.5
        future = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
        mixed = scores.softmax(dim=-1) @ v
        return self.out(mixed.transpose(1, 2).reshape(batch, length, width))


class MLP(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.up = nn.Linear(width, 4 * width)
        self.down = nn.Linear(4 * width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.gelu(self.up(x)))


class TinyDecoder(nn.Module):
    """Embedding, one pre-norm attention + MLP block, and the top-5 next tokens."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, WIDTH)
        self.norm1 = nn.LayerNorm(WIDTH)
        self.attn = CausalSelfAttention(WIDTH, HEADS)
        self.norm2 = nn.LayerNorm(WIDTH)
        self.mlp = MLP(WIDTH)
        self.head = nn.Linear(WIDTH, VOCAB)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.embed(tokens)
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        logits = self.head(x[:, -1])
        # integer scores (e.g. for a quantised vocabulary ranking): topk on int32
        scores = (logits * 100).round().to(torch.int32)
        return torch.topk(scores, k=5, dim=-1)


model = TinyDecoder()

# three sequence lengths: trnport reports that each needs its own compiled graph
example_inputs = [
    (torch.randint(0, VOCAB, (1, length)),) for length in (16, 32, 48)
]
