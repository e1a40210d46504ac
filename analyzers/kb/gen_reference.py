"""Generator helpers for the hardware and release side of the knowledge base: profiles from
releases.csv, targets from chips.csv / instances.csv / dtypes.csv, each merged with the
curated YAML that says what the CSVs leave implicit. Used only by ``generate``."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class GenerationError(Exception):
    """The reference data and the curated files disagree; the message says where."""


def read_csv(reference: Path, name: str) -> list[dict[str, str]]:
    """Rows of one reference CSV as dicts (the header row gives the keys)."""
    path = reference / name
    if not path.is_file():
        raise GenerationError(f"{path}: reference file missing")
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def first_number(text: str) -> float | None:
    match = _NUMBER.search(text or "")
    return float(match.group()) if match else None


def _int_or_none(text: str) -> int | None:
    value = first_number(text)
    return int(value) if value is not None else None


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# ---- profiles -------------------------------------------------------------------------


def build_profiles(reference: Path, curated: dict, stack_ids: set[str]) -> dict:
    """profiles.yaml: each curated profile filled from its releases.csv row. A field the
    curated profile names wins over the CSV (whose component columns are empty for the
    newest releases); ``stack_ids`` are the stacks stacks.yaml defines."""
    releases = {row["neuron_sdk"]: row for row in read_csv(reference, "releases.csv")}
    source_note = "releases.csv"
    profiles = []
    for spec in _inherited(curated["profiles"]):
        row = releases.get(spec["release"])
        if row is None:
            raise GenerationError(
                f"profile {spec['id']}: release {spec['release']} not in releases.csv"
            )

        def pick(key: str, from_csv: str | None, spec: dict = spec) -> Any:
            return spec[key] if key in spec else (from_csv or None)

        torch_neuronx = pick("torch_neuronx", _first(row["torch_neuronx_versions"]))
        profiles.append(
            {
                "id": spec["id"],
                "sdk": spec["release"],
                "covers": spec["covers"],
                "date": spec.get("date") or row["release_date"].split(" ")[0],
                "neuronx_cc": pick("neuronx_cc", row["neuronx_cc"]),
                "torch_neuronx": torch_neuronx,
                "torch_xla": spec.get("torch_xla"),
                "pytorch": pick("pytorch", _newest(row["pytorch_versions_via_torch_neuronx"])),
                "compiler_defaults": spec["compiler_defaults"],
                "training_on_xla_supported": spec["training_on_xla_supported"],
                "complex64_ops": spec["complex64_ops"],
                "stacks": _stacks(spec, row, stack_ids),
                "default_stack": spec["default_stack"],
                "notes": spec["notes"],
                "source": f"{spec['source']}; {source_note}",
            }
        )
    ids = [p["id"] for p in profiles]
    if curated["default"] not in ids:
        raise GenerationError(f"default profile {curated['default']} is not defined")
    return {"kind": "profiles", "default": curated["default"], "profiles": profiles}


def _inherited(specs: list[dict]) -> list[dict]:
    """Curated profiles with ``like: ID`` completed from profile ID (defined earlier in the
    file, newest first): an older line repeats only what differs from the line it follows."""
    by_id: dict[str, dict] = {}
    complete = []
    for spec in specs:
        base_id = spec.get("like")
        if base_id is not None:
            if base_id not in by_id:
                raise GenerationError(f"profile {spec['id']}: like {base_id}, which is not "
                                      "defined before it")
            spec = {**by_id[base_id], **{k: v for k, v in spec.items() if k != "like"}}
        by_id[spec["id"]] = spec
        complete.append(spec)
    return complete


def _stacks(spec: dict, row: dict[str, str], stack_ids: set[str]) -> dict:
    """A profile's stacks, with the versions the CSV lists where the curated file gives none
    (torch-neuronx builds for PyTorch/XLA, libtorch-neuronx-lite for the TorchNeuron beta)."""
    from_csv = {
        "xla": [v for v in row["torch_neuronx_versions"].split("|") if _plain_version(v)],
        "torchneuron": [v for v in row["torchneuron_native_libtorch_neuronx_lite"].split("|")
                        if v],
    }
    stacks = {}
    for stack_id, offer in spec["stacks"].items():
        if stack_id not in stack_ids:
            raise GenerationError(f"profile {spec['id']}: unknown stack {stack_id}")
        stacks[stack_id] = {**offer, "versions": offer.get("versions", from_csv.get(stack_id, []))}
    for family, stack_id in spec["default_stack"].items():
        if family not in stacks.get(stack_id, {}).get("targets", {}):
            raise GenerationError(f"profile {spec['id']}: default stack {stack_id} of {family} "
                                  "does not offer that family")
    return stacks


def _plain_version(text: str) -> bool:
    return bool(text) and all(part.isdigit() for part in text.split("."))


def _first(pipe_list: str) -> str | None:
    items = [v for v in pipe_list.split("|") if v]
    return items[0] if items else None


def _newest(pipe_list: str) -> str | None:
    items = [v for v in pipe_list.split("|") if v]
    return max(items, key=lambda v: tuple(int(p) for p in v.split("."))) if items else None


# ---- targets --------------------------------------------------------------------------


def _tflops(chip: dict[str, str]) -> dict[str, int | float]:
    """TFLOPS (TOPS for int8) per chip and dtype from one chips.csv row."""
    out: dict[str, int | float] = {}
    fp8 = chip["fp8_tflops_chip"]
    if first_number(fp8) is not None:
        keys = ("mxfp8", "mxfp4") if "MX" in fp8 else ("fp8",)
        for key in keys:
            out[key] = _plain_number(first_number(fp8))
    dense = first_number(chip["bf16_fp16_tf32_tflops_chip"])
    if dense is not None:
        for key in ("bf16", "fp16", "tf32"):
            out[key] = _plain_number(dense)
    for column, key in (
        ("fp32_tflops_chip", "fp32"),
        ("int8_tops_chip", "int8"),
        ("sparse_tflops_chip", "sparse"),
    ):
        value = first_number(chip[column])
        if value is not None:
            out[key] = _plain_number(value)
    return out


def _bandwidth_gbps(text: str) -> float:
    value = first_number(text)
    if value is None:
        raise GenerationError(f"no HBM bandwidth in {text!r}")
    return value * 1000 if "TB/s" in text.split("(")[0] else value


def build_targets(reference: Path, curated: dict) -> dict:
    """targets.yaml: curated families filled with chips.csv numbers and instances.csv rows."""
    chips = {row["chip"]: row for row in read_csv(reference, "chips.csv")}
    instances = read_csv(reference, "instances.csv")
    dtypes = read_csv(reference, "dtypes.csv")
    ids = curated.get("instance_ids", {})
    families: dict[str, Any] = {}
    for family, spec in curated["families"].items():
        chip = chips.get(spec["chip"])
        if chip is None:
            raise GenerationError(f"target {family}: chip {spec['chip']} not in chips.csv")
        fam_instances = {}
        for row in instances:
            if row["neuronx_cc_target"] != spec["compiler_target"] or not row["chips"].strip():
                continue
            name = ids.get(row["instance"], row["instance"])
            fam_instances[name] = {
                "chips": int(row["chips"]),
                "vcpus": _int_or_none(row["vcpus"]),
                "host_mem_gib": first_number(row["host_mem_gib"]),
                "efa_gbps": row["efa_gbps"] or None,
                "ri_usd_per_hour": first_number(row["ri_effective_usd_per_hour"]),
                "status": row["status_in_docs"],
                "note": row["notes"],
                "source": row["source"],
            }
        if spec["default_instance"] not in fam_instances:
            raise GenerationError(
                f"target {family}: default instance {spec['default_instance']} unknown"
            )
        families[family] = {
            "chip": spec["chip"],
            "neuroncore": chip["neuroncore_version"],
            "compiler_target": spec["compiler_target"],
            "physical_cores_per_chip": int(chip["physical_cores"]),
            "hbm_gib_per_chip": _plain_number(float(chip["hbm_gib"])),
            "hbm_bandwidth_gbps_per_chip": _plain_number(_bandwidth_gbps(chip["hbm_bandwidth"])),
            "sbuf_mib_per_core": _plain_number(first_number(chip["sbuf_per_core_mib"])),
            "psum_mib_per_core": _plain_number(first_number(chip["psum_per_core_mib"])),
            "tflops_per_chip": _tflops(chip),
            "lnc_default": spec["lnc_default"],
            "lnc": spec["lnc"],
            "default_instance": spec["default_instance"],
            "instances": fam_instances,
            "notes": [*spec["notes"], f"chips.csv: {chip['notes']}"]
            if chip["notes"]
            else spec["notes"],
            "source": f"{spec['source']}; {chip['source']}",
        }
    generations = {}
    previous: dict[str, str] = {}
    for gen, column in (("v2", "nc_v2_trn1_inf2"), ("v3", "nc_v3_trn2"), ("v4", "nc_v4_trn3")):
        # dtypes.csv writes "same"/"same as v3" for "as the previous generation"
        current = {
            row["dtype"]: (
                f"{previous[row['dtype']]} (as the previous generation)"
                if row[column].startswith("same") and row["dtype"] in previous
                else row[column]
            )
            for row in dtypes
        }
        previous = {k: v.removesuffix(" (as the previous generation)") for k, v in current.items()}
        generations[gen] = {
            "dtypes": current,
            "source": "dtypes.csv ("
            + "; ".join(sorted({row["source"].split(";")[0] for row in dtypes}))
            + ")",
        }
    return {
        "kind": "targets",
        "default_family": curated["default_family"],
        "families": families,
        "generations": generations,
        "runtime_overheads": curated["runtime_overheads"],
    }
