"""Assemble the memory and compute assessment of one graph for one set of options.

This is the framework- and knowledge-base-free core of :func:`trnport.analyzers.memory.
assess_memory`: it takes the per-core budgets already read from the knowledge base.
"""

from __future__ import annotations

from collections.abc import Sequence

from trnport.analyzers.graph.ir import Graph
from trnport.analyzers.kb import load_kb
from trnport.analyzers.memory.activations import profile_activations
from trnport.analyzers.memory.dtypes import WEIGHT_BYTES, DtypePolicy
from trnport.analyzers.memory.fit import (
    Layout,
    MemoryModel,
    nearby_values,
    pp_values,
    tp_values,
)
from trnport.analyzers.memory.flops import flops_by_status, profile_compute
from trnport.analyzers.memory.hardware import CoreBudget
from trnport.analyzers.memory.instructions import estimate_instructions
from trnport.analyzers.memory.kv_cache import decoder_kv_spec
from trnport.analyzers.memory.params import summarize_params
from trnport.analyzers.memory.result import MemoryResult, TargetFit
from trnport.analyzers.memory.roofline import forward_workload, roofline
from trnport.analyzers.memory.scaling import resolved_shapes, shape_context
from trnport.analyzers.memory.sharding import sharding_issues
from trnport.analyzers.memory.training_state import training_state
from trnport.analyzers.options import AnalysisOptions


def common_assumptions() -> tuple[str, ...]:
    """What every estimate assumes; the reservations as the knowledge base gives them."""
    overheads = load_kb().runtime_overheads
    microcode = overheads["microcode_mb_per_physical_core"]
    scratchpad = overheads["scratchpad_page_mb_noncontiguous"]
    return (
        "weights, KV heads and layers are split evenly by TP and PP; norms are counted as split",
        "activations at other batches and lengths are rescaled from the exported shapes",
        f"usable HBM = HBM per logical core - microcode ({microcode:g} MB per physical core) - "
        f"one {scratchpad:g} MB scratchpad page; DMA rings and collectives buffers are not "
        "subtracted",
        "roofline: weights read once, elementwise ops fused into matmuls/convolutions/"
        "attention, work split evenly over TP ranks; collectives not costed",
    )


INFERENCE_ASSUMPTIONS = (
    "activation peak: eager live bytes over the topological order (views share storage, no "
    "fusion); activations whose last dimension is the hidden size are replicated across TP",
)
TRAINING_ASSUMPTIONS = (
    "saved activations: every tensor the forward produces (upper bound), no activation "
    "checkpointing; sequence parallelism splits them by TP; pipeline stages hold 1/PP",
    "training step = 3x the forward FLOPs and traffic plus one read and write of the "
    "training state",
)
FUSED_ATTENTION_ASSUMPTION = (
    "decoder from a Hugging Face config: attention runs as a fused kernel (NeuronX "
    "Distributed), so the eager graph's attention scores are not counted in the fit"
)


def uses_fused_attention(graph: Graph) -> bool:
    """True for decoders built from a Hugging Face config: the loader exports eager attention
    (explicit scores) for coverage, but they are served and trained on Neuron through NeuronX
    Distributed, whose attention kernels (flash attention; NKI attention CTE/TKG) never hold
    the ``[batch, heads, seq, seq]`` scores in HBM."""
    return decoder_kv_spec(graph) is not None and \
        graph.metadata.get("hf_attn_implementation") == "eager"


def estimate_memory(graph: Graph, options: AnalysisOptions, budget: CoreBudget, *,
                    other_budgets: Sequence[CoreBudget] = (), compute_dtype: str | None = None,
                    coverage_verdicts=None) -> MemoryResult:
    """Memory fit, compute and size risks of ``graph`` under ``options`` on ``budget``'s core.

    The chosen layout is ``--tp``/``--pp`` (without ``--tp``, the smallest layout of the
    budget's cores that fits, see :meth:`MemoryModel.smallest_layout`) at ``--batch`` (the
    export's batch when left at 1, e.g. a Python file's example inputs) and ``--seq-len``
    (else the export's length).
    ``other_budgets`` are other target families to summarise (smallest TP, roofline);
    ``compute_dtype`` is the dtype matmuls run in (defaults to ``options.dtype``);
    ``coverage_verdicts`` (objects with ``.node`` and ``.status``) weight coverage by FLOPs.
    """
    training = options.mode == "training"
    policy = DtypePolicy.for_graph(graph, options.dtype)
    params = summarize_params(graph, policy)
    context = shape_context(graph, options.batch, options.seq_len)
    shapes = resolved_shapes(graph, context.symbols)
    activations = profile_activations(graph, policy, context, shapes=shapes)
    kv = None if training else decoder_kv_spec(graph)
    state = training_state(params.parameters, options.dtype, options.optimizer,
                           zero1=options.zero1, dp=options.dp) if training else None
    fused = uses_fused_attention(graph)

    def model_for(core: CoreBudget) -> MemoryModel:
        return MemoryModel(params=params, activations=activations, kv_cache=kv, training=state,
                           activation_element_bytes=policy.activation_bytes, budget=core,
                           fused_attention=fused)

    model = model_for(budget)
    batch = options.batch if options.batch != 1 else context.batch
    # a recurrent model exported at a probe length is sized at the length it was asked for
    asked = (graph.metadata.get("recurrence") or {}).get("seq_len")
    seq_len = options.seq_len or asked or context.seq_len
    pps = (options.pp,) if options.pp else pp_values(1, context.dims.layers)
    fitting = model.smallest_layout(budget.max_cores, pps, batch, seq_len)
    if options.tp is not None:
        chosen = Layout(options.tp, options.pp or 1, batch, seq_len)
    else:  # without --tp the analysis is for the smallest layout that fits, else one core
        chosen = fitting or Layout(1, options.pp or 1, batch, seq_len)
    axes = _axes(graph, budget, chosen, context.dims.layers)
    smallest = model.smallest_tp(axes["tp"], chosen.pp, chosen.batch, chosen.seq_len)
    targets = tuple(
        TargetFit(budget=core, chosen=model_for(core).usage(chosen),
                  smallest_tp=model_for(core).smallest_tp(
                      tp_values(core.max_cores, chosen.tp), chosen.pp, chosen.batch,
                      chosen.seq_len))
        for core in (budget, *other_budgets))
    effective_tp = max(chosen.tp, smallest or 1)
    compute = profile_compute(graph, policy, context.symbols, shapes=shapes)
    workload = forward_workload(compute.total_flops, params.total_bytes, compute.anchor_bytes,
                                state.total_bytes if state else None)
    estimates = [roofline(workload, budget, dtype, effective_tp)
                 for dtype in WEIGHT_BYTES if budget.peak_flops(dtype)]
    compute_dtype = compute_dtype or options.dtype
    estimates += [roofline(workload, core, compute_dtype, effective_tp)
                  for core in other_budgets if core.peak_flops(compute_dtype)]
    return MemoryResult(
        mode=options.mode, dtype=options.dtype, compute_dtype=compute_dtype, budget=budget,
        params=params, activations=activations, kv_cache=kv, training=state, model=model,
        chosen=model.usage(chosen), axes=axes,
        grid=tuple(model.usage(Layout(tp, pp, b, s)) for pp in axes["pp"]
                   for s in axes["seq_len"] for b in axes["batch"] for tp in axes["tp"]),
        smallest_tp=smallest,
        largest_batch={tp: model.largest_batch(tp, chosen.pp, chosen.seq_len)
                       for tp in axes["tp"]},
        targets=targets, compute=compute, workload=workload, roofline=tuple(estimates),
        instructions=estimate_instructions(graph, context.symbols, tp=effective_tp,
                                           training=training, shapes=shapes,
                                           stages=chosen.pp),
        sharding=tuple(sharding_issues(graph, effective_tp, context.symbols,
                                       ep=options.ep if effective_tp == options.tp else 1)),
        flops_by_status=(flops_by_status(compute, coverage_verdicts)
                         if coverage_verdicts is not None else None),
        assumptions=common_assumptions()
        + (TRAINING_ASSUMPTIONS if training else INFERENCE_ASSUMPTIONS)
        + ((FUSED_ATTENTION_ASSUMPTION,) if fused else ())
        + _experts_assumption(context.dims, options),
        layout_source=options.layout_source, fitting_layout=fitting,
        unsized_inputs=unsized_inputs(graph, shapes),
    )


def unsized_inputs(graph: Graph, shapes) -> tuple[str, ...]:
    """Graph inputs that keep a symbolic dim no option resolved (an ONNX ``dim_param``
    without ``--input-shape``): nothing computed from them has a size."""
    return tuple(name for name in graph.inputs
                 if (value := graph.values.get(name)) is not None and value.shape is not None
                 and value.is_dynamic and shapes.get(name) is None)


def _experts_assumption(dims, options: AnalysisOptions) -> tuple[str, ...]:
    """How a mixture-of-experts layer is sized, with the router's numbers from the config."""
    if not dims.is_moe:
        return ()
    top_k = f"top-{dims.top_k}" if dims.top_k else "top-k not in the config"
    layout = (f"EP {options.ep} groups of TP {options.tp // options.ep}" if options.ep > 1
              else f"TP {options.tp}")
    return (f"mixture of experts: {dims.experts} routed experts, {top_k} routing; expert "
            f"weights are weights, split over {layout}; activations count every token "
            "once per routed expert (no capacity limit, no dropped tokens); the per-token "
            "copies of expert weights the export gathers are weight reads, not activations",)


def _axes(graph: Graph, budget: CoreBudget, chosen: Layout,
          layers: int | None) -> dict[str, tuple]:
    """TP up to the budget's cores; PP 1, 2, 4; a few batches and lengths around the choice
    (lengths capped at the model's maximum positions)."""
    max_positions = (graph.metadata.get("hf_config") or {}).get("max_position_embeddings")
    return {
        "tp": tuple(tp_values(budget.max_cores, chosen.tp)),
        "pp": tuple(pp_values(chosen.pp, layers)),
        "batch": tuple(nearby_values(chosen.batch)),
        "seq_len": (tuple(nearby_values(chosen.seq_len, max_positions)) if chosen.seq_len
                    else (None,)),
    }
