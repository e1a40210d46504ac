"""Bring an exported program to the op level a PyTorch backend receives from the dispatcher.

A Neuron PyTorch backend (torch-xla on the XLA key, TorchNeuron on PrivateUse1) gets each ATen
op after functionalization and after the dispatcher's own CompositeImplicitAutograd
decompositions — nothing more. The Python decomposition tables in ``torch._decomp`` (what
``ExportedProgram.run_decompositions()`` applies by default, to reach core ATen) are not on
that path: an op such as ``sinc`` reaches the backend as ``sinc``, and the backend either
lowers it or runs it on the CPU.

So the program is re-traced with a table that holds, for every functional
CompositeImplicitAutograd ATen op, its C++ CompositeImplicitAutograd kernel (not the Python
``py_impl`` some ops also carry, which the C++ dispatcher never runs) — except for the ops in
``backend_kernels``, which the backend implements itself and therefore receives whole
(``einsum``, ``max_pool2d`` on torch-xla). Ops with other kernels are left as they are: a
CompositeExplicitAutograd kernel runs on the device as the backend's own.

One composite kernel chooses by device type: ``scaled_dot_product_attention`` asks
``_fused_sdp_choice`` for a fused kernel only on devices that register one (CPU, CUDA, ...),
and takes the math path elsewhere — on XLA (pytorch/pytorch
``aten/src/ATen/native/transformers/attention.cpp``). The export runs on CPU fake tensors, so
it is given the math path explicitly instead of the CPU flash-attention kernel.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable
from typing import Any


def to_dispatch_level(program: Any, backend_kernels: Iterable[str] = ()) -> Any:
    """``program`` re-traced at dispatch level; ``backend_kernels`` names the
    CompositeImplicitAutograd ops (``aten.einsum.default``) the backend keeps whole."""
    table = _implicit_decompositions(frozenset(backend_kernels))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return program.run_decompositions(dict(table))


@functools.lru_cache(maxsize=4)
def _implicit_decompositions(kept: frozenset[str]) -> tuple[tuple[Any, Callable], ...]:
    """(op, its C++ CompositeImplicitAutograd kernel) for every preservable ATen op not
    in ``kept``; cached, since collecting them walks the whole ATen namespace."""
    import torch
    from torch._export.utils import _collect_all_valid_cia_ops_for_aten_namespace

    key = torch._C.DispatchKey.CompositeImplicitAutograd
    ops = sorted(_collect_all_valid_cia_ops_for_aten_namespace(), key=str)
    sdpa = torch.ops.aten.scaled_dot_product_attention.default
    return tuple((op, _attention_math if op is sdpa else _cpp_kernel(op, key))
                 for op in ops if str(op) not in kept)


def _attention_math(query: Any, key: Any, value: Any, attn_mask: Any = None,
                    dropout_p: float = 0.0, is_causal: bool = False, *, scale: Any = None,
                    enable_gqa: bool = False) -> Any:
    """What ``scaled_dot_product_attention`` runs on a device without a fused kernel."""
    import torch

    math = torch.ops.aten._scaled_dot_product_attention_math.default
    return math(query, key, value, attn_mask, dropout_p, is_causal, None, scale=scale,
                enable_gqa=enable_gqa)[0]


def _cpp_kernel(op: Any, key: Any) -> Callable:
    def run(*args: Any, **kwargs: Any) -> Any:
        return op._op_dk(key, *args, **kwargs)

    return run


__all__ = ["to_dispatch_level"]
