"""The operator sweep: every OpInfo of torch's operator database, its first float32 CPU
sample exported as a one-op model, brought to dispatch level and given verdicts.

One row per OpInfo: the verdict of every op of its graph (``op=status``), or why it could
not be exported. The committed table (``tests/golden/opinfo_verdicts.tsv``) is regenerated
with ``TRNPORT_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils._pytree import tree_flatten, tree_unflatten

from trnport.analyzers.coverage import assess_coverage
from trnport.analyzers.errors import InputError
from trnport.analyzers.kb import load_kb
from trnport.analyzers.loaders.torch.fx_graph import export_program, graph_from_exported_program
from trnport.analyzers.options import AnalysisOptions

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "opinfo_verdicts.tsv"
TARGET, SDK = "inf2", "2.32"


def opinfos() -> list:
    """Every OpInfo that runs float32 on the CPU, keyed ``name[.variant]``, sorted."""
    from torch.testing._internal.common_methods_invocations import op_db

    found = {}
    for info in op_db:
        if torch.float32 in info.supported_dtypes("cpu"):
            found.setdefault(key_of(info), info)
    return [found[key] for key in sorted(found)]


def key_of(info) -> str:
    return info.name + (f".{info.variant_test_name}" if info.variant_test_name else "")


class _OneOp(torch.nn.Module):
    """A module that calls one OpInfo on its sample; tensors are the forward inputs."""

    def __init__(self, info, sample) -> None:
        super().__init__()
        self.op = info.op
        leaves, self.spec = tree_flatten((sample.input, sample.args, sample.kwargs))
        self.slots = [isinstance(leaf, torch.Tensor) for leaf in leaves]
        self.constants = [None if slot else leaf
                          for leaf, slot in zip(leaves, self.slots, strict=True)]
        self.tensors = tuple(leaf for leaf in leaves if isinstance(leaf, torch.Tensor))

    def forward(self, *tensors):
        supplied = iter(tensors)
        leaves = [next(supplied) if slot else const
                  for slot, const in zip(self.slots, self.constants, strict=True)]
        first, args, kwargs = tree_unflatten(leaves, self.spec)
        return self.op(first, *args, **kwargs)


@dataclass(frozen=True)
class SweepRow:
    key: str
    verdicts: tuple[tuple[str, str], ...]  # (op, status), sorted, one per distinct op
    not_exported: str | None = None

    def text(self) -> str:
        if self.not_exported is not None:
            return f"{self.key}\tnot exported: {self.not_exported}"
        body = " ".join(f"{op}={status}" for op, status in self.verdicts) or "(no ops)"
        return f"{self.key}\t{body}"


def sweep_row(info, kb=None) -> SweepRow:
    """Export ``info``'s first float32 CPU sample and judge it for inf2 on SDK 2.32."""
    kb = kb or load_kb()
    key = key_of(info)
    sample = next(iter(info.sample_inputs("cpu", torch.float32, requires_grad=False)))
    module = _OneOp(info, sample)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = export_program(module, module.tensors)
            graph = graph_from_exported_program(program, key,
                                                backend_kernels=kb.backend_kernels)
    except InputError as exc:
        return SweepRow(key, (), _short(str(exc)))
    options = AnalysisOptions(target=TARGET, sdk=SDK)
    result = assess_coverage(graph, kb, kb.profile(SDK), kb.target(TARGET), options)
    statuses: dict[str, str] = {}
    for verdict in result.verdicts:
        # the worst status of an op across its nodes
        previous = statuses.get(verdict.op)
        if previous is None or _RANK[verdict.status] > _RANK[previous]:
            statuses[verdict.op] = verdict.status
    return SweepRow(key, tuple(sorted(statuses.items())))


_RANK = {"supported": 0, "conditional": 1, "cpu_fallback": 2, "unsupported": 3, "unknown": 4}


def _short(message: str) -> str:
    """A stable one-line reason: the message up to its first detail, without addresses."""
    line = message.splitlines()[0] if message else ""
    for marker in (" (", ": Could not", " at 0x"):
        line = line.split(marker, 1)[0] if marker == " at 0x" else line
    return line[:160]


def read_golden() -> dict[str, str]:
    if not GOLDEN.is_file():
        return {}
    rows = {}
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, body = line.partition("\t")
            rows[key] = body
    return rows


def write_golden(rows: list[SweepRow]) -> None:
    header = ("# Verdict per OpInfo (torch's operator database): its first float32 CPU sample, "
              f"exported, at dispatch level, on {TARGET} with SDK {SDK}.\n"
              "# Regenerate: TRNPORT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest "
              "tests/analyzers/coverage/test_opinfo_sweep.py\n")
    body = "".join(row.text() + "\n" for row in sorted(rows, key=lambda r: r.key))
    tmp = GOLDEN.with_suffix(".tmp")
    tmp.write_text(header + body, encoding="utf-8")
    tmp.replace(GOLDEN)
