"""Rewrite a ``.pt2`` or Python-file model end to end: load the ExportedProgram, apply each
FX rewrite, re-export the edited program, prove it on CPU against the original (seeded random
inputs, plus the file's own example inputs when it has them), keep only proven rewrites,
re-analyse.

Loading: a Python model file runs its code (it needs ``trust_code`` like every analysis of
one). A ``.pt2`` needs ``torch.export.load`` here, because a rewrite must run the real
weights; that load can unpickle and run code stored in the archive (see
``analyzers/loaders/torch/pt2.py``), so it too needs ``trust_code``. The re-exported program
is static: dynamic dims of the original are pinned to the sizes used for verification.

Plain functions for the CLI and the GUI's worker; nothing here prints.
"""

from __future__ import annotations

import copy
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trnport.analyzers.errors import InputError, TrustRequiredError
from trnport.analyzers.output_file import write_output
from trnport.analyzers.rewrites.fx.engine import apply_to_graph, fx_rewrite, fx_rewrites
from trnport.analyzers.rewrites.verify import DEFAULT_TOLERANCE, Verification, compare
from trnport.analyzers.rewriting.outcome import RewriteOutcome, Step, with_reports

TORCH_SUFFIXES = (".pt2", ".py")
_SYMBOLIC_DIM = 3
_INT_HIGH = 8


@dataclass(frozen=True)
class TorchModel:
    """An exported program with the positional inputs it was exported with (when known)."""

    program: Any
    example_inputs: tuple | None
    path: Path


def is_torch_model(path: Path) -> bool:
    return Path(path).suffix.lower() in TORCH_SUFFIXES


def check_rewrite_ids(ids: list[str]) -> None:
    unknown = [rid for rid in ids if fx_rewrite(rid) is None]
    if unknown:
        known = ", ".join(r.INFO.id for r in fx_rewrites())
        raise InputError(f"no automated PyTorch rewrite {unknown[0]!r} (known: {known})")


def safe_rewrite_ids() -> tuple[str, ...]:
    return tuple(r.INFO.id for r in fx_rewrites() if r.INFO.safe)


def load_program(path: Path, trust_code: bool, mode: str = "inference") -> TorchModel:
    """The ExportedProgram of ``path`` (``.pt2`` or ``.py``), or an InputError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TORCH_SUFFIXES:
        raise InputError(f"{path}: rewrite takes an .onnx, .pt2 or .py model")
    if not trust_code:
        why = ("rewriting a .pt2 loads it with torch.export.load, which can run code stored in "
               "the archive" if suffix == ".pt2" else
               "running a Python model file executes its code")
        raise TrustRequiredError(f"{path}: {why}; pass --trust-code to allow it")
    from trnport.analyzers.loaders.base import require_nonempty_file

    require_nonempty_file(path)
    return _load_pt2(path) if suffix == ".pt2" else _load_python(path, mode)


def _load_pt2(path: Path) -> TorchModel:
    import logging
    import zipfile

    import torch

    if not zipfile.is_zipfile(path):
        raise InputError(f"{path}: not a torch.export .pt2 archive (not a zip file)")
    logger = logging.getLogger("torch.export")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # it logs a traceback before raising; we report one line
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.export.load(str(path))
    except Exception as error:  # not an archive, old layout, corrupt member...
        raise InputError(f"{path}: torch.export.load failed: {_line(error)}") from error
    finally:
        logger.setLevel(level)
    example = getattr(program, "example_inputs", None)
    args = tuple(example[0]) if example and not example[1] else None
    return TorchModel(program, args, path)


def _load_python(path: Path, mode: str) -> TorchModel:
    from trnport.analyzers.loaders.torch import python_file
    from trnport.analyzers.loaders.torch.fx_graph import export_program

    path = path.resolve()
    with python_file._file_folder_importable(path):
        namespace = python_file._run_file(path)
        model = python_file._model_from(path, namespace)
        inputs = python_file._example_inputs_from(path, namespace)[0]
        model.train() if mode == "training" else model.eval()
        program = export_program(model, inputs, dynamic_shapes=namespace.get("dynamic_shapes"))
    return TorchModel(program, tuple(inputs), path)


def input_sets(model: TorchModel, seed: int = 0) -> list[tuple]:
    """The example inputs (when known) and a seeded random set of the same shapes: floats
    normal, booleans at random, integers in [0, 8) or below the smallest one_hot width or
    embedding table they index."""
    import torch

    program = model.program
    placeholders = {n.name: n for n in program.graph.nodes if n.op == "placeholder"}
    user_inputs = [placeholders[name] for name in program.graph_signature.user_inputs]
    examples = model.example_inputs
    generator = torch.Generator().manual_seed(seed)
    random_args = []
    for index, node in enumerate(user_inputs):
        value = node.meta.get("val")
        if examples is not None and index < len(examples):
            like = examples[index]
            if not isinstance(like, torch.Tensor):
                random_args.append(like)
                continue
            shape, dtype = tuple(like.shape), like.dtype
        elif isinstance(value, torch.Tensor):
            shape = tuple(_concrete(d) for d in value.shape)
            dtype = value.dtype
        else:
            random_args.append(value)
            continue
        if dtype is torch.bool:
            random_args.append(torch.rand(shape, generator=generator) < 0.5)
        elif dtype.is_floating_point:
            random_args.append(torch.randn(shape, generator=generator).to(dtype))
        else:
            high = _integer_bound(node)
            random_args.append(torch.randint(0, high, shape, generator=generator).to(dtype))
    sets = [tuple(random_args)]
    if examples is not None:
        sets.insert(0, tuple(examples))
    return sets


def _concrete(dim: Any) -> int:
    if isinstance(dim, int):
        return dim
    try:
        return int(dim.node.hint) if dim.node.hint is not None else _SYMBOLIC_DIM
    except AttributeError:
        return _SYMBOLIC_DIM


def _integer_bound(node: Any) -> int:
    import torch

    aten = torch.ops.aten
    bound = _INT_HIGH
    for user in node.users:
        if user.target is aten.one_hot.default and len(user.args) > 1 and user.args[1] > 0:
            bound = min(bound, user.args[1])
        if user.target is aten.embedding.default and user.args[1] is node:
            rows = getattr(user.args[0].meta.get("val"), "shape", (bound,))[0]
            bound = min(bound, int(rows))
    return max(bound, 1)


def run_program(program: Any, args: tuple) -> dict[str, np.ndarray]:
    """The program's outputs on ``args`` (CPU, no grad) as numpy arrays, by position."""
    import torch

    with torch.no_grad():
        outputs = program.module()(*args)
    leaves = torch.utils._pytree.tree_leaves(outputs)
    result = {}
    for index, leaf in enumerate(leaves):
        if isinstance(leaf, torch.Tensor):
            tensor = leaf.detach()
            if tensor.dtype in (torch.bfloat16, torch.float16):
                tensor = tensor.float()
            result[f"output {index}"] = tensor.numpy()
        else:
            result[f"output {index}"] = np.asarray(leaf)
    return result


def verify_program(original: Any, rewritten: Any, feeds: list[tuple],
                   tolerance: float = DEFAULT_TOLERANCE) -> Verification:
    """Compare ``rewritten``'s outputs with ``original``'s on every input set."""
    worst = Verification(True, 0.0, 0.0, tolerance)
    for args in feeds:
        try:
            expected = run_program(original, args)
        except Exception as error:
            return Verification(False, 0.0, 0.0, tolerance,
                                f"the original model does not run on the inputs: "
                                f"{_line(error)}")
        try:
            actual = run_program(rewritten, args)
        except Exception as error:
            return Verification(False, 0.0, 0.0, tolerance,
                                f"the rewritten model does not run: {_line(error)}")
        proof = compare(expected, actual, tolerance)
        if not proof.ok:
            return proof
        worst = Verification(True, max(worst.max_abs, proof.max_abs),
                             max(worst.max_rel, proof.max_rel), tolerance)
    return worst


def rewrite_program(model: TorchModel, rewrite_ids: list[str],
                    tolerance: float = DEFAULT_TOLERANCE, seed: int = 0) -> RewriteOutcome:
    """Apply ``rewrite_ids`` in order; each is re-exported and verified against the original
    program, and dropped (status ``refused``) when it does not export or the outputs differ."""
    from trnport.analyzers.loaders.torch.fx_graph import export_program

    check_rewrite_ids(rewrite_ids)
    feeds = input_sets(model, seed)
    current, steps = model.program, []
    for rewrite_id in rewrite_ids:
        work = _copy(current)
        applied, refusals = apply_to_graph(work.graph_module, [rewrite_id])
        if not applied:
            steps.append(Step(rewrite_id, "no-match", refusals=refusals))
            continue
        try:
            candidate = export_program(work.module(), feeds[0])
        except Exception as error:  # InputError from export, or unlifting failed
            proof = Verification(False, 0.0, 0.0, tolerance,
                                 f"the rewritten program does not export: {_line(error)}")
            steps.append(Step(rewrite_id, "refused", applied, refusals, proof))
            continue
        proof = verify_program(model.program, candidate, feeds, tolerance)
        status = "verified" if proof.ok else "refused"
        steps.append(Step(rewrite_id, status, applied, refusals, proof))
        if proof.ok:
            current = candidate
    return RewriteOutcome(current, tuple(steps))


def preview(model: TorchModel) -> list[tuple[Any, tuple, tuple]]:
    """Per rewrite: (rewrite, what it would change, its refusals) — nothing is verified."""
    rows = []
    for rewrite in fx_rewrites():
        work = _copy(model.program)
        applied, refusals = apply_to_graph(work.graph_module, [rewrite.INFO.id])
        rows.append((rewrite, applied, refusals))
    return rows


def reanalyse(model: TorchModel, outcome: RewriteOutcome, options: Any = None) -> RewriteOutcome:
    """``outcome`` with the findings cleared and introduced, both programs analysed the same
    way (saved as .pt2 and read by the analyser's safe loader)."""
    from trnport.analyzers.api import analyze

    with tempfile.TemporaryDirectory() as folder:
        before_path = Path(folder) / f"{model.path.stem}.pt2"
        after_path = Path(folder) / f"{model.path.stem}.rewritten.pt2"
        save_program(model.program, before_path)
        save_program(outcome.model, after_path)
        before = analyze(before_path, options)
        after = analyze(after_path, options)
    return with_reports(outcome, before, after)


def save_program(program: Any, path: Path) -> None:
    """``torch.export.save`` to ``path`` (a regular file atomically; see :mod:`output_file`)."""
    import io

    import torch

    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    write_output(path, buffer.getvalue())


def _copy(program: Any) -> Any:
    with warnings.catch_warnings():  # torch's pytree deprecation chatter on copy
        warnings.simplefilter("ignore", FutureWarning)
        return copy.deepcopy(program)


def _line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
