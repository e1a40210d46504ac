"""Small PyTorch models built in code for the torch loader tests, and independent counters.

The counters read torch's own graphs (``ep.graph`` after ``run_decompositions``, an inlined
TorchScript graph) so that the loaders' op multisets are checked against what torch reports,
not against the loaders' own logic.
"""

from __future__ import annotations

import functools
import inspect
import operator
from collections import Counter

import torch
import torch.nn.functional as F
from torch import nn

# What loaders.torch.fx_graph documents as bookkeeping: never emitted as nodes.
EXPORT_BOOKKEEPING = frozenset({
    "aten._assert_tensor_metadata.default", "aten._assert_scalar.default",
    "aten.sym_constrain_range.default", "aten.sym_constrain_range_for_size.default",
    "aten.sym_size.int", "aten.sym_numel.default", "aten.sym_stride.int",
    "aten.sym_storage_offset.default", "aten.alias.default", "aten.lift_fresh_copy.default",
})


class SmallCNN(nn.Module):
    """conv → batch norm → relu → max pool → flatten → linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        y = F.relu(self.bn(y))
        y = self.pool(y)
        return self.fc(torch.flatten(y, 1))


class TinyAttention(nn.Module):
    """Single-head attention with a causal mask and a top-k over the output scores."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.register_buffer("causal", torch.ones(64, 64, dtype=torch.bool).triu(1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        length = x.shape[1]
        q, k, v = self.qkv(self.norm(x)).chunk(3, dim=-1)
        scores = q @ k.transpose(-1, -2)
        scores = scores.masked_fill(self.causal[:length, :length], float("-inf"))
        out = self.proj(scores.softmax(dim=-1) @ v)
        top_values, top_indices = torch.topk(out, k=2, dim=-1)
        return top_values, top_indices


def cnn_inputs() -> tuple[torch.Tensor]:
    return (torch.randn(2, 3, 8, 8),)


def attention_inputs(length: int = 6) -> tuple[torch.Tensor]:
    return (torch.randn(2, length, 16),)


def source_line(function, fragment: str) -> int:
    """The file line number of the first line of ``function`` containing ``fragment``."""
    lines, first = inspect.getsourcelines(function)
    for offset, text in enumerate(lines):
        if fragment in text:
            return first + offset
    raise AssertionError(f"{fragment!r} not in {function.__qualname__}")


def core_aten_counter(ep: torch.export.ExportedProgram) -> Counter:
    """Ops of ``ep`` as the backend receives them (dispatch level, as the loaders build it),
    minus getitem, SymInt arithmetic and the documented bookkeeping ops, counted straight
    from torch's FX graph."""
    from trnport.analyzers.loaders.torch.dispatch_level import to_dispatch_level

    return _counter(to_dispatch_level(ep))


def dispatch_level_counter(ep: torch.export.ExportedProgram) -> Counter:
    """Ops of ``ep`` after functionalization and the dispatcher's CompositeImplicitAutograd
    kernels, counted the same way (torch's ``run_decompositions`` with those kernels)."""
    from torch._export.utils import _collect_all_valid_cia_ops_for_aten_namespace

    key = torch._C.DispatchKey.CompositeImplicitAutograd
    sdpa = torch.ops.aten.scaled_dot_product_attention.default
    table = {op: functools.partial(op._op_dk, key)
             for op in _collect_all_valid_cia_ops_for_aten_namespace() if op is not sdpa}
    return _counter(ep.run_decompositions(table))


def _counter(decomposed: torch.export.ExportedProgram) -> Counter:
    counts: Counter = Counter()
    for node in decomposed.graph.nodes:
        if node.op != "call_function" or node.target is operator.getitem:
            continue
        if not isinstance(node.target, torch._ops.OpOverload):
            continue  # Python arithmetic on SymInts (operator.mul...)
        if str(node.target) not in EXPORT_BOOKKEEPING:
            counts[str(node.target)] += 1
    return counts


def torchscript_counter(path) -> Counter:
    """``aten::`` node kinds of a saved TorchScript module's inlined graph (blocks included),
    as ``aten.<name>``."""
    module = torch.jit.load(str(path), map_location="cpu")
    graph = module.graph.copy()
    torch._C._jit_pass_inline(graph)
    counts: Counter = Counter()

    def walk(block) -> None:
        for node in block.nodes():
            if node.kind().startswith("aten::"):
                counts[node.kind().replace("::", ".")] += 1
            for inner in node.blocks():
                walk(inner)

    walk(graph)
    return counts


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
