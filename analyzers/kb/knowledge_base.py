"""The loaded knowledge base and its look-ups (profile, target, operator, rewrite)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from trnport.analyzers.errors import InputError
from trnport.analyzers.kb.model import (
    DtypeIssueSpec,
    InstanceInfo,
    KnownIssue,
    Limit,
    OpEntry,
    Profile,
    Rewrite,
    StackChoice,
    StackSpec,
    Target,
    TargetFamily,
)

ONNX_DEFAULT_DOMAINS = ("", "ai.onnx")
TORCH_NAMESPACES = ("higher_order", "_c10d_functional", "prim")


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything in ``resources/neuron/``, validated and frozen.

    ``dtype_storage`` maps a dtype the Neuron toolchain does not keep as declared to the one
    it stores (``int64`` → ``int32``); ``limits`` are compiler and hardware limits;
    ``citations`` the sources of findings made from analyses rather than operator entries.

    ``generated`` identifies the data (a digest of the generated files); ``inputs`` names
    what it was generated from (reference snapshot, torch, onnx, onnx2torch versions).
    ``stacks`` defines the PyTorch stacks (which line offers which is in the profiles);
    ``int64_posture`` words the int64 default a verdict assumes when a line leaves it open.
    ``known_issues`` are the documented wrong results and failures a later release fixed.
    ``backend_kernels`` are the CompositeImplicitAutograd ATen ops (``aten.einsum.default``)
    the Neuron backend implements itself: the dispatcher hands them over whole, so PyTorch
    loaders keep them instead of decomposing them.
    """

    generated: str
    inputs: Mapping[str, str]
    profiles: tuple[Profile, ...]
    default_profile: str
    families: Mapping[str, Mapping[str, Any]]
    default_family: str
    generations: Mapping[str, Mapping[str, Any]]
    runtime_overheads: Mapping[str, Any]
    aten_ops: Mapping[str, OpEntry]
    torch_ops: Mapping[str, OpEntry]
    onnx_ops: Mapping[str, OpEntry]
    dtype_families: Mapping[str, frozenset[str]]
    dtype_issues: tuple[DtypeIssueSpec, ...]
    rewrites: Mapping[str, Rewrite]
    dtype_storage: Mapping[str, str]
    limits: Mapping[str, Limit]
    citations: Mapping[str, str]
    stacks: Mapping[str, StackSpec]
    int64_posture: Mapping[str, str]
    known_issues: tuple[KnownIssue, ...] = ()
    backend_kernels: frozenset[str] = frozenset()

    # ---- profiles -----------------------------------------------------------------------
    def profile(self, profile_id: str | None = None) -> Profile:
        """The profile ``profile_id`` (``"2.31"``, or a release such as ``"2.31.1"`` that a
        profile covers); the default profile for None. Unknown ids raise InputError."""
        if profile_id is None:
            profile_id = self.default_profile
        wanted = str(profile_id).strip().lstrip("v")
        line = ".".join(wanted.split(".")[:2])
        for profile in self.profiles:
            if wanted == profile.id or line in profile.covers:
                return profile
        valid = ", ".join(p.id for p in self.profiles)
        raise InputError(f"unknown Neuron SDK profile {profile_id!r}; valid profiles: {valid}")

    # ---- stacks -------------------------------------------------------------------------
    def stack(self, profile: Profile, family: str, requested: str | None = None) -> StackChoice:
        """The PyTorch stack for ``family`` on ``profile``: ``requested`` (``xla`` or
        ``torchneuron``) or the line's default; InputError when it is not offered there."""
        from trnport.analyzers.kb.stacks import choose

        return choose(self.stacks, profile, family, requested)

    def stacks_offered(self, profile: Profile, family: str) -> list[tuple[str, str]]:
        """(stack id, status) of every stack ``profile`` offers ``family``, default first."""
        from trnport.analyzers.kb.stacks import offered

        return offered(profile, family)

    # ---- targets ------------------------------------------------------------------------
    @property
    def targets(self) -> tuple[TargetFamily, ...]:
        """Every target family with its instances and LNC options, in file order."""
        return tuple(
            TargetFamily(
                family=name, chip=spec["chip"], neuroncore=spec["neuroncore"],
                default_instance=spec["default_instance"], lnc_default=spec["lnc_default"],
                lnc_options=tuple(sorted(int(k) for k in spec["lnc"])),
                instances=tuple(InstanceInfo(i, v["chips"], v.get("status"))
                                for i, v in spec["instances"].items()),
            )
            for name, spec in self.families.items()
        )

    def target(self, family: str, instance: str | None = None, lnc: int | None = None) -> Target:
        """The target ``family`` on ``instance`` (the family's default when None) at ``lnc``
        (the family's default when None); unknown names raise InputError."""
        spec = self.families.get(family)
        if spec is None:
            raise InputError(f"unknown target {family!r}; choose one of {', '.join(self.families)}")
        instances = spec["instances"]
        name = instance or spec["default_instance"]
        if name not in instances:
            raise InputError(
                f"unknown instance {name!r} for {family}; choose one of {', '.join(instances)}"
            )
        lnc_value = spec["lnc_default"] if lnc is None else int(lnc)
        layout = spec["lnc"].get(str(lnc_value))
        if layout is None:
            choices = ", ".join(spec["lnc"])
            raise InputError(
                f"LNC {lnc_value} is not available on {family}; choose one of {choices}"
            )
        chips = instances[name]["chips"]
        per_chip = layout["logical_cores_per_chip"]
        per_core = {k: v / per_chip for k, v in spec["tflops_per_chip"].items()}
        notes = tuple(spec["notes"]) + ((layout["note"],) if layout.get("note") else ())
        return Target(
            family=family,
            instance=name,
            chip=spec["chip"],
            neuroncore=spec["neuroncore"],
            compiler_target=spec.get("compiler_target", family),
            chips=chips,
            lnc=lnc_value,
            physical_cores_per_chip=spec["physical_cores_per_chip"],
            logical_cores_per_chip=per_chip,
            cores=chips * per_chip,
            hbm_gib_per_chip=spec["hbm_gib_per_chip"],
            hbm_gib_per_core=layout["hbm_gib_per_core"],
            hbm_bandwidth_gbps_per_chip=spec["hbm_bandwidth_gbps_per_chip"],
            hbm_bandwidth_gbps_per_core=spec["hbm_bandwidth_gbps_per_chip"] / per_chip,
            tflops_per_chip=MappingProxyType(dict(spec["tflops_per_chip"])),
            tflops_per_core=MappingProxyType(per_core),
            runtime_overheads=self.runtime_overheads,
            dtype_support=MappingProxyType(dict(self.generations[spec["neuroncore"]]["dtypes"])),
            notes=notes,
            source=f"{spec['source']}; {instances[name]['source']}",
        )

    # ---- operators ----------------------------------------------------------------------
    def aten(self, op_name: str) -> OpEntry | None:
        """The entry for an ATen op: by full overload (``aten.topk.default``), then by packet
        (``aten.topk``, also TorchScript's ``aten::topk``); an in-place op (``aten.add_``)
        falls back to its functional packet, as torch-xla's functionalization does."""
        name = op_name.replace("::", ".", 1)
        entry = self.aten_ops.get(name)
        if entry is not None:
            return entry
        parts = name.split(".")
        if len(parts) < 2 or parts[0] != "aten":
            return None
        packet = f"aten.{parts[1]}"
        entry = self.aten_ops.get(packet)
        if entry is None and parts[1].endswith("_") and not parts[1].startswith("__"):
            entry = self.aten_ops.get(packet.rstrip("_"))
        return entry

    def onnx(self, op_type: str, domain: str = "") -> OpEntry | None:
        """The entry for an ONNX op of the default domain; other domains have none."""
        if domain not in ONNX_DEFAULT_DOMAINS:
            return None
        return self.onnx_ops.get(op_type)

    def op(self, name: str) -> OpEntry | None:
        """Any node op name of the IR: ``aten.*``, ``onnx::Type``, ``higher_order.*``,
        ``_c10d_functional.*`` (with or without an overload suffix)."""
        if "::" in name and not name.startswith("aten::"):
            domain, op_type = name.split("::", 1)
            return self.onnx(op_type, "" if domain in ("onnx", "ai.onnx") else domain)
        namespace = name.split(".", 1)[0]
        if namespace == "aten" or name.startswith("aten::"):
            return self.aten(name)
        if namespace in TORCH_NAMESPACES:
            entry = self.torch_ops.get(name)
            if entry is None and name.count(".") >= 2:
                entry = self.torch_ops.get(name.rsplit(".", 1)[0])
            return entry
        return None

    def rewrite(self, rewrite_id: str | None) -> Rewrite | None:
        return self.rewrites.get(rewrite_id) if rewrite_id else None

    def limit(self, name: str) -> Limit:
        """The limit ``name`` of limits.yaml (``instruction_count``...); a name the data lacks
        raises KeyError, since code asks only for limits it was written against."""
        return self.limits[name]

    def citation(self, name: str) -> str:
        """The public source behind the findings of analysis ``name`` (citations.yaml)."""
        return self.citations[name]

    def dtype_family(self, name: str) -> frozenset[str]:
        """The dtypes a family name stands for (a plain dtype stands for itself)."""
        return self.dtype_families.get(name, frozenset((name,)))
