"""Shared fixtures for the memory tests: per-core budgets with FACTS.md §6 figures, a
Llama-7B-shaped parameter list, and small hand-built graphs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trnport.analyzers.graph import Graph, Node, Param, SourceLocation, Value
from trnport.analyzers.kb import load_kb
from trnport.analyzers.memory.hardware import CoreBudget
from trnport.analyzers.options import AnalysisOptions

GIB = 1024**3

#: One trn1 NeuronCore: 32 GiB and 820 GB/s per chip shared by 2 cores, 190 BF16 / 47.5 FP32
#: dense TFLOPS per chip, 32 cores on trn1.32xlarge (FACTS.md §6, chips.csv, instances.csv).
TRN1_CORE = CoreBudget(family="trn1", instance="trn1.32xlarge", lnc=1, hbm_bytes=16 * GIB,
                       max_cores=32, bandwidth=820e9 / 2,
                       tflops={"fp32": 47.5 / 2, "bf16": 190 / 2, "fp16": 190 / 2,
                               "fp8": 190 / 2})
#: One inf2 NeuronCore: the same NeuronCore-v2 chip figures, 24 cores on inf2.48xlarge.
INF2_CORE = CoreBudget(family="inf2", instance="inf2.48xlarge", lnc=1, hbm_bytes=16 * GIB,
                       max_cores=24, bandwidth=820e9 / 2, tflops=dict(TRN1_CORE.tflops))
#: One trn2 logical core at LNC=2: 24 GiB, 2.9 TB/s per chip over 4 logical cores,
#: 667 BF16 / 181 FP32 / 1299 FP8 TFLOPS per chip; 64 logical cores on trn2.48xlarge.
TRN2_CORE = CoreBudget(family="trn2", instance="trn2.48xlarge", lnc=2, hbm_bytes=24 * GIB,
                       max_cores=64, bandwidth=2.9e12 / 4,
                       tflops={"fp32": 181 / 4, "bf16": 667 / 4, "fp16": 667 / 4,
                               "fp8": 1299 / 4})

LLAMA2_7B = {"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
             "num_key_value_heads": 32, "intermediate_size": 11008, "vocab_size": 32000,
             "max_position_embeddings": 4096, "head_dim": 128}


def llama_params(hidden: int, layers: int, intermediate: int, vocab: int,
                 kv_hidden: int | None = None, dtype: str = "float32") -> list[Param]:
    """The weights of a Llama: embedding, per layer q/k/v/o, gate/up/down and two RMSNorm
    scales, the final norm and an untied LM head (names as Hugging Face spells them)."""
    kv_hidden = kv_hidden or hidden
    params = [Param("model.embed_tokens.weight", (vocab, hidden), dtype)]
    for i in range(layers):
        prefix = f"model.layers.{i}"
        params += [
            Param(f"{prefix}.self_attn.q_proj.weight", (hidden, hidden), dtype),
            Param(f"{prefix}.self_attn.k_proj.weight", (kv_hidden, hidden), dtype),
            Param(f"{prefix}.self_attn.v_proj.weight", (kv_hidden, hidden), dtype),
            Param(f"{prefix}.self_attn.o_proj.weight", (hidden, hidden), dtype),
            Param(f"{prefix}.mlp.gate_proj.weight", (intermediate, hidden), dtype),
            Param(f"{prefix}.mlp.up_proj.weight", (intermediate, hidden), dtype),
            Param(f"{prefix}.mlp.down_proj.weight", (hidden, intermediate), dtype),
            Param(f"{prefix}.input_layernorm.weight", (hidden,), dtype),
            Param(f"{prefix}.post_attention_layernorm.weight", (hidden,), dtype),
        ]
    params += [Param("model.norm.weight", (hidden,), dtype),
               Param("lm_head.weight", (vocab, hidden), dtype)]
    return params


def llama7b_graph(dtype: str = "float32") -> Graph:
    """A node-less graph carrying Llama-2-7B's parameter list and config summary."""
    graph = Graph(name="llama7b", params=llama_params(4096, 32, 11008, 32000, dtype=dtype))
    graph.metadata.update(hf_config=dict(LLAMA2_7B), hf_architecture="LlamaForCausalLM",
                          example_input_shapes={"input_ids": [1, 128]})
    return graph


class GraphBuilder:
    """Builds a :class:`Graph` node by node: ``b.op("aten.relu.default", ["x"], "y",
    (4, 8))``."""

    def __init__(self, name: str = "g", dtype: str = "float32") -> None:
        self.graph = Graph(name=name)
        self.dtype = dtype

    def input(self, name: str, shape: tuple, dtype: str | None = None) -> str:
        self.graph.values[name] = Value(name, shape, dtype or self.dtype)
        self.graph.inputs.append(name)
        return name

    def param(self, name: str, shape: tuple, dtype: str | None = None) -> str:
        placeholder = "p_" + name.replace(".", "_")
        self.graph.values[placeholder] = Value(placeholder, shape, dtype or self.dtype)
        self.graph.params.append(Param(name, shape, dtype or self.dtype))
        self.graph.metadata.setdefault("param_inputs", {})[placeholder] = name
        return placeholder

    def op(self, op: str, inputs: list[str], output: str, shape: tuple,
           dtype: str | None = None, module: str | None = None, **attributes) -> str:
        self.graph.values[output] = Value(output, shape, dtype or self.dtype)
        self.graph.nodes.append(Node(
            name=output, op=op, inputs=tuple(inputs), outputs=(output,), attributes=attributes,
            location=SourceLocation(file="model.py", line=len(self.graph.nodes) + 1,
                                    module=module)))
        return output

    def output(self, *names: str) -> Graph:
        self.graph.outputs = list(names)
        return self.graph


@dataclass(frozen=True)
class MemoryRuleContext:
    """What :class:`trnport.analyzers.rules.base.RuleContext` holds once the engine adds its
    ``memory`` field."""

    graph: Graph
    options: AnalysisOptions
    memory: Any
    coverage: Any = None
    kb: Any = field(default_factory=load_kb)
    profile: Any = None
    target: Any = None
