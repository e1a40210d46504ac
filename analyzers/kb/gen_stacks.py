"""Generator helper for ``stacks.yaml``: the curated stack definitions plus the ATen ops of the
knowledge base that the installed torch cannot run on the CPU. Used only by ``generate``.

TorchNeuron runs an op it does not implement on the host CPU, which needs a CPU kernel; a
CUDA-only kernel (flash attention recorded on a GPU) has none, so its fallback fails too.
"""

from __future__ import annotations

from collections.abc import Iterable

from trnport.analyzers.kb.gen_reference import GenerationError

# a kernel for any of these keys lets the CPU run the op (directly or decomposed)
_CPU_CAPABLE_KEYS = ("CPU", "CompositeImplicitAutograd", "CompositeExplicitAutograd",
                     "CompositeExplicitAutogradNonFunctional")


def no_cpu_kernel(aten_keys: Iterable[str]) -> list[str]:
    """Knowledge-base ATen keys (``aten.op`` or ``aten.op.overload``) whose op exists in the
    installed torch but has no kernel the CPU can run."""
    import torch

    found = []
    for key in aten_keys:
        parts = key.split(".")
        name = f"aten::{parts[1]}" + (f".{parts[2]}" if len(parts) > 2 else "")
        try:
            runnable = any(torch._C._dispatch_has_kernel_for_dispatch_key(name, dispatch_key)
                           for dispatch_key in _CPU_CAPABLE_KEYS)
        except RuntimeError:  # not an operator of this torch (a Python-level name)
            continue
        if not runnable:
            found.append(key)
    return sorted(found)


def backend_kernels(lowered: Iterable[str]) -> list[str]:
    """The overloads among ``lowered`` (``aten::einsum``) that have a
    CompositeImplicitAutograd kernel. ``lowered`` are the ops torch-xla registers on the
    AutogradXLA key, which the dispatcher reaches before the Functionalize key (where every
    other composite op is decomposed, even one torch-xla also lowers), so these arrive whole.
    As ``aten.<op>.<overload>``."""
    import torch

    found = []
    for name in lowered:
        try:
            implicit = torch._C._dispatch_has_kernel_for_dispatch_key(
                name, "CompositeImplicitAutograd")
        except RuntimeError:  # not an operator of this torch
            continue
        if implicit:
            packet, _, overload = name.removeprefix("aten::").partition(".")
            found.append(f"aten.{packet}.{overload or 'default'}")
    return sorted(found)


def build_stacks(curated: dict, aten_keys: Iterable[str], profile_stacks: set[str],
                 lowered: Iterable[str] = ()) -> dict:
    """stacks.yaml: the curated definitions, TorchNeuron's ``no_cpu_kernel`` filled in, and
    the composite ops the backend keeps whole (from ``lowered``, torch-xla's autograd-section
    registrations).
    ``profile_stacks`` are the stack ids the profiles use; each needs a definition."""
    stacks = {stack_id: dict(spec) for stack_id, spec in curated["stacks"].items()}
    missing = profile_stacks - set(stacks)
    if missing:
        raise GenerationError(f"stacks.yaml: no definition of {', '.join(sorted(missing))}")
    if "torchneuron" in stacks:
        stacks["torchneuron"]["no_cpu_kernel"] = no_cpu_kernel(aten_keys)
    kept = {"ops": backend_kernels(lowered), "source": curated["backend_kernels_source"]}
    return {"kind": "stacks", "stacks": stacks, "int64_posture": curated["int64_posture"],
            "backend_kernels": kept}
