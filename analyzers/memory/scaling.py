"""How each intermediate value grows with batch, sequence length and tensor parallelism.

The graph is exported at one batch ``b0`` and one sequence length ``s0``; the fit grid asks
for other batches, lengths and TP degrees without exporting again. Every value is given
exponents so that its size at ``(b, s, tp)`` is ``bytes0 × (b/b0)^β × (s/s0)^σ / tp^τ``:

* ``σ`` counts the dimensions equal to ``s0`` (or to ``s0`` times the batch or a head count,
  e.g. the flattened ``[b·s, hidden]`` of a projection): 1 for a hidden state, 2 for an
  attention-score tensor ``[b, heads, s, s]``. When ``s0`` equals a model dimension (the
  default 128 tokens against a head_dim of 128) a ``[b, heads, s, d]`` value is
  indistinguishable by shape from a score tensor; then only values in the softmax region
  (connected to a softmax through non-matmul ops, all with two such dims) get ``σ = 2``.
* ``β`` is 1 for values that data-flow from a user input (everything the batch flows through)
  and 0 for values computed from weights and constants only (rotary tables, masks built from
  ``arange``).
* ``τ`` approximates Megatron-style tensor parallelism: values whose last dimension is the
  model's hidden size (the residual stream, norms, projection outputs) are replicated on every
  rank; everything else (heads, MLP intermediate, logits, attention scores) is split. This is
  conservative: the output of a column-parallel Q projection also has the hidden size and is
  really split. With sequence parallelism (assumed for training, where NeuronX Distributed
  pairs it with TP) those are split along the sequence as well, so every token-bearing value
  is divided by TP.
* ``scores`` marks the attention scores and probabilities (two sequence dims, in the softmax
  region). A fused attention kernel (flash attention, the NKI attention kernels NeuronX
  Distributed Inference uses) never holds them in HBM; :class:`Scale` says whether to count
  them.
  Without a Hugging Face config every value is taken as split.

Dimensions that are symbols (an ONNX ``batch`` axis) are resolved from ``--batch`` (axis 0 of
each user input) and ``--seq-len`` (axis 1 of integer token inputs); values still unsized are
counted in ``unsized`` and left out of the totals.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from trnport.analyzers.graph.ir import Graph, Value
from trnport.analyzers.memory.ops import MATMUL_PACKETS, SOFTMAX_PACKETS, op_packet

INTEGER_DTYPES = frozenset({"int64", "int32", "int16", "int8", "uint8", "uint16", "uint32",
                            "uint64"})


@dataclass(frozen=True)
class ModelDims:
    """Size-defining numbers of a transformer, from ``Graph.metadata["hf_config"]``."""

    hidden: int | None = None
    layers: int | None = None
    heads: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None
    intermediate: int | None = None
    vocab: int | None = None
    #: routed experts per MoE layer and the experts each token is routed to (router top-k)
    experts: int | None = None
    top_k: int | None = None
    #: width of one expert's MLP (``moe_intermediate_size``, else ``intermediate_size``)
    expert_intermediate: int | None = None

    @classmethod
    def from_graph(cls, graph: Graph) -> ModelDims:
        config = graph.metadata.get("hf_config") or {}

        def number(key: str) -> int | None:
            value = config.get(key)
            return int(value) if isinstance(value, (int, float)) and value > 0 else None

        hidden, heads = number("hidden_size"), number("num_attention_heads")
        head_dim = number("head_dim") or (hidden // heads if hidden and heads else None)
        return cls(hidden=hidden, layers=number("num_hidden_layers"), heads=heads,
                   kv_heads=number("num_key_value_heads") or heads, head_dim=head_dim,
                   intermediate=number("intermediate_size"), vocab=number("vocab_size"),
                   **_experts(number))

    @property
    def is_moe(self) -> bool:
        return bool(self.experts and self.experts > 1)

    @property
    def sizes(self) -> frozenset[int]:
        return frozenset(d for d in (self.hidden, self.head_dim, self.intermediate, self.vocab)
                         if d)


def _experts(number) -> dict[str, int | None]:
    """The router's numbers from a config: experts, top-k and one expert's MLP width."""
    experts = number("num_local_experts") or number("n_routed_experts") or number("num_experts")
    if not experts:
        return {}
    return {"experts": experts, "top_k": number("num_experts_per_tok"),
            "expert_intermediate": number("moe_intermediate_size") or number("intermediate_size")}


@dataclass(frozen=True)
class ShapeContext:
    """The export's batch and sequence length, the model's dimensions and resolved symbols."""

    batch: int
    seq_len: int | None
    dims: ModelDims
    symbols: Mapping[str, int]

    @property
    def seq_collides(self) -> bool:
        """True when the sequence length equals a model dimension (shape matching is
        ambiguous)."""
        return self.seq_len is not None and self.seq_len in self.dims.sizes

    def seq_cofactors(self) -> frozenset[int]:
        heads = {h for h in (self.dims.heads, self.dims.kv_heads) if h}
        return frozenset({1, self.batch} | heads | {self.batch * h for h in heads})


@dataclass(frozen=True)
class Scale:
    """A point of the fit grid relative to the export: batch, sequence length and TP, and
    whether attention runs as a fused kernel that never holds the score tensors and whether
    sequence parallelism splits the TP-replicated activations too."""

    batch: int
    seq_len: int | None
    tp: int = 1
    fused_attention: bool = False
    sequence_parallel: bool = False


#: A value's growth class: (β, σ, τ, scores) as described in the module docstring.
ScaleClass = tuple[int, int, int, int]


def class_factor(cls: ScaleClass, context: ShapeContext, scale: Scale) -> float:
    beta, sigma, tau, scores = cls
    if scores and scale.fused_attention:
        return 0.0
    if scale.sequence_parallel and (beta or sigma):
        tau = 1
    factor = (scale.batch / context.batch) ** beta
    if sigma and context.seq_len and scale.seq_len:
        factor *= (scale.seq_len / context.seq_len) ** sigma
    return factor / scale.tp ** tau


def shape_context(graph: Graph, batch: int, seq_len: int | None) -> ShapeContext:
    """The batch and sequence length the graph was exported with (``batch``/``seq_len`` are
    the user's options, used to resolve symbolic input axes)."""
    symbols: dict[str, int] = {}
    inputs = [graph.values[n] for n in graph.inputs if n in graph.values]
    for value in inputs:
        if value.shape and isinstance(value.shape[0], str):
            symbols.setdefault(value.shape[0], batch)
        if (seq_len and value.rank == 2 and value.dtype in INTEGER_DTYPES
                and isinstance(value.shape[1], str)):
            symbols.setdefault(value.shape[1], seq_len)
    example = graph.metadata.get("example_input_shapes") or {}
    tokens = example.get("input_ids") or example.get("decoder_input_ids")
    export_batch, export_seq = None, None
    if tokens and len(tokens) == 2:
        export_batch, export_seq = int(tokens[0]), int(tokens[1])
    else:
        for value in inputs:
            shape = resolve_shape(value, symbols)
            if not shape:
                continue
            export_batch = export_batch or shape[0]
            if export_seq is None and value.rank == 2 and value.dtype in INTEGER_DTYPES:
                export_seq = shape[1]
    return ShapeContext(batch=export_batch or batch, seq_len=export_seq,
                        dims=ModelDims.from_graph(graph), symbols=symbols)


_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.FloorDiv: operator.floordiv}


@lru_cache(maxsize=4096)
def _parsed(expression: str) -> ast.AST | None:
    """The expression tree of a symbolic dim (None when it does not parse); trees are only
    read, so one parse serves every value carrying the same symbol."""
    try:
        return ast.parse(expression, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _evaluate(expression: str, symbols: Mapping[str, int]) -> int | None:
    """An integer from a symbolic dim like ``s0*s1`` or ``2*s0`` when every symbol is known."""
    if expression in symbols:
        return symbols[expression]
    tree = _parsed(expression)
    if tree is None:
        return None

    def walk(node: ast.AST) -> int | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            return symbols.get(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left), walk(node.right)
            if left is None or right is None or (isinstance(node.op, ast.FloorDiv) and not right):
                return None
            return _BINARY[type(node.op)](left, right)
        return None

    return walk(tree)


def resolve_shape(value: Value | None, symbols: Mapping[str, int]) -> tuple[int, ...] | None:
    """``value``'s shape with symbolic dims resolved, or None when some stay unknown."""
    if value is None or value.shape is None:
        return None
    dims = []
    for dim in value.shape:
        size = dim if isinstance(dim, int) else _evaluate(dim, symbols)
        if size is None or size < 0:
            return None
        dims.append(size)
    return tuple(dims)


def resolved_shapes(graph: Graph, symbols: Mapping[str, int]
                    ) -> dict[str, tuple[int, ...] | None]:
    """:func:`resolve_shape` of every value of ``graph``, by value name. Big graphs repeat a
    few shapes on thousands of values, so each distinct shape is resolved once."""
    by_shape: dict[tuple, tuple[int, ...] | None] = {}
    shapes: dict[str, tuple[int, ...] | None] = {}
    for name, value in graph.values.items():
        shape = value.shape
        if shape is None:
            shapes[name] = None
            continue
        try:
            shapes[name] = by_shape[shape]
        except KeyError:
            shapes[name] = by_shape[shape] = resolve_shape(value, symbols)
    return shapes


def numel(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def seq_dim_count(shape: tuple[int, ...], context: ShapeContext) -> int:
    if not context.seq_len:
        return 0
    cofactors = context.seq_cofactors()
    return sum(1 for d in shape if d and d % context.seq_len == 0
               and d // context.seq_len in cofactors)


def reachable_from_inputs(graph: Graph) -> set[str]:
    """Names of values that data-flow from a user input."""
    reached = set(graph.inputs)
    reached.discard("")  # never an omitted optional input, so membership alone decides
    for node in graph.nodes:
        if not reached.isdisjoint(node.inputs):
            reached.update(node.outputs)
            reached.discard("")
    return reached


def softmax_region(graph: Graph, context: ShapeContext,
                   shapes: Mapping[str, tuple[int, ...] | None]) -> set[str]:
    """Values connected to a softmax through non-matmul nodes whose shapes carry two sequence
    dims: the attention scores, probabilities and the mask added to them."""
    if not context.seq_len:
        return set()

    def square(name: str) -> bool:
        shape = shapes.get(name)
        return shape is not None and seq_dim_count(shape, context) >= 2

    softmax_ops = {op for op in {node.op for node in graph.nodes}
                   if op_packet(op) in SOFTMAX_PACKETS}
    frontier = [name for node in graph.nodes if node.op in softmax_ops
                for name in (*node.inputs[:1], *node.outputs[:1]) if name and square(name)]
    if not frontier:  # no scores: the graph's links need not be mapped
        return set()
    producers, consumers = {}, {}
    for node in graph.nodes:
        for name in node.outputs:
            producers[name] = node
        for name in node.inputs:
            consumers.setdefault(name, []).append(node)
    region = set(frontier)
    while frontier:
        name = frontier.pop()
        neighbours = [producers[name]] if name in producers else []
        neighbours += consumers.get(name, [])
        for node in neighbours:
            if op_packet(node.op) in MATMUL_PACKETS:
                continue
            for other in (*node.inputs, *node.outputs):
                if other and other not in region and square(other):
                    region.add(other)
                    frontier.append(other)
    return region


def classify(name: str, shape: tuple[int, ...], context: ShapeContext,
             reachable: set[str], region: set[str]) -> ScaleClass:
    """The (β, σ, τ) growth class of one value (see the module docstring)."""
    sigma = min(seq_dim_count(shape, context), 2)
    if sigma == 2 and context.seq_collides and name not in region:
        sigma = 1
    beta = 1 if name in reachable else 0
    hidden = context.dims.hidden
    residual = hidden is not None and bool(shape) and shape[-1] == hidden and name not in region
    replicated = (beta == 0 and sigma == 0) or residual
    scores = 1 if sigma == 2 and name in region else 0
    return (beta, sigma, 0 if replicated else 1, scores)
