"""trnport kb: list the Neuron knowledge base — operators, targets, SDK profiles.

  trnport kb ops [--status S] [--profile P] [--source torch|onnx|aten] [PATTERN]
  trnport kb targets [--profile P]
  trnport kb profiles
  trnport kb import-torchneuron FILE --torch-neuronx VERSION

PATTERN matches operator names: a glob with * ? [ ] (aten.topk*), else a substring, any case.
`kb targets` and `kb profiles` show the PyTorch stacks (xla, torchneuron) each target has on
each SDK line, the default marked *. `kb import-torchneuron` stores a copy of TorchNeuron's
compatibility table (torch_api_compatibility.md) for that torch-neuronx version; analyses on
the TorchNeuron stack then take its per-op verdicts (provenance imported).
--format json prints the same rows as JSON.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys

from trnport.app.cli.exit_codes import OK
from trnport.app.cli.parser import OneLineParser

HELP = "list the knowledge base: ops, targets or profiles (trnport kb ops topk)"
KB_STATUSES = ("supported", "conditional", "cpu_fallback", "unsupported")
OP_SOURCES = ("aten", "torch", "onnx")
FORMATS = ("text", "json")
_REASON_WIDTH = 70


def register(subparsers) -> None:
    parser = subparsers.add_parser("kb", help=HELP, description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    lists = parser.add_subparsers(dest="kb_list", metavar="LIST", required=True,
                                  parser_class=OneLineParser)
    ops = lists.add_parser("ops", help="operator entries and their verdicts")
    ops.add_argument("pattern", nargs="?", metavar="PATTERN",
                     help="operator name glob or substring, e.g. 'aten.topk*' or TopK")
    ops.add_argument("--status", choices=KB_STATUSES, help="only entries with this status")
    ops.add_argument("--profile", metavar="P",
                     help="SDK profile the statuses are for, e.g. 2.31 (default: the newest)")
    ops.add_argument("--source", choices=OP_SOURCES,
                     help="only ATen ops, other torch ops (higher-order, collectives, prim), "
                     "or ONNX ops")
    ops.set_defaults(handler=run_ops)
    targets = lists.add_parser("targets", help="target families, instances, per-core numbers "
                               "and PyTorch stacks")
    targets.add_argument("--profile", metavar="P",
                         help="SDK profile whose stacks to show, e.g. 2.33 (default: the newest)")
    targets.set_defaults(handler=run_targets)
    profiles = lists.add_parser("profiles", help="Neuron SDK profiles and compiler versions")
    profiles.set_defaults(handler=run_profiles)
    disagreements = lists.add_parser(
        "disagreements", help="ops on which '--probe xla' and the static verdict disagreed, "
        "collected over runs")
    disagreements.add_argument("--clear", action="store_true",
                               help="forget the collected disagreements")
    disagreements.set_defaults(handler=run_disagreements)
    for sub in (ops, targets, profiles, disagreements):
        sub.add_argument("--format", choices=FORMATS, default="text",
                         help="text table or JSON (default: text)")
    from trnport.app.cli.kb_import import register_import

    register_import(lists)


# ---- disagreements --------------------------------------------------------------------
def run_disagreements(args) -> int:
    from trnport.app.cli.disagreements import grouped, store_path

    path = store_path()
    if args.clear:
        path.unlink(missing_ok=True)
        print(f"cleared {path}")
        return 0
    entries = grouped(path)
    if args.format == "json":
        print(json.dumps(entries, indent=2))
        return 0
    if not entries:
        print(f"no disagreements collected (run 'trnport check MODEL --probe xla'; store: "
              f"{path})")
        return 0
    print(f"{'op':<40} {'static':<13} {'torch-xla':<13} models")
    for entry in entries:
        print(f"{entry['op']:<40} {entry['static']:<13} {entry['probe']:<13} "
              f"{len(entry['models'])}  {', '.join(entry['models'][:3])}")
    return 0


# ---- ops ------------------------------------------------------------------------------
def _sdk_matches(when, profile) -> bool | None:
    """True/False when ``when`` depends on the SDK line alone, None when it needs a node."""
    if set(when) == {"sdk"}:
        bounds = when["sdk"]
        low, high = bounds.get("min"), bounds.get("max")
        version = profile.version
        return ((low is None or version >= _line(low))
                and (high is None or version <= _line(high)))
    if set(when) == {"any_of"}:
        answers = [_sdk_matches(part, profile) for part in when["any_of"]]
        return None if None in answers else any(answers)
    return None


def _line(text) -> tuple[int, ...]:
    return tuple(int(part) for part in str(text).split(".")[:2])


def op_row(source: str, entry, profile) -> dict:
    """One operator as a row: the verdict for ``profile`` (an SDK-only rule that matches it
    replaces the entry's own), and how many node-dependent rules refine it."""
    verdict = entry
    for rule in entry.rules:
        if _sdk_matches(rule.when, profile):
            verdict = rule
            break
    conditional = sum(_sdk_matches(rule.when, profile) is None for rule in entry.rules)
    return {
        "op": entry.key, "source": source, "status": verdict.status, "code": verdict.code,
        "confidence": verdict.confidence, "rules": conditional, "reason": verdict.reason,
        "rewrite": verdict.rewrite, "kb_source": verdict.source,
        **({"aten": list(entry.aten)} if entry.aten else {}),
    }


def _matches(name: str, pattern: str | None) -> bool:
    if not pattern:
        return True
    name, pattern = name.lower(), pattern.lower()
    if any(char in pattern for char in "*?["):
        return fnmatch.fnmatchcase(name, pattern)
    return pattern in name


def run_ops(args) -> int:
    from trnport.analyzers.kb import load_kb

    kb = load_kb()
    profile = kb.profile(args.profile)
    tables = {"aten": kb.aten_ops, "torch": kb.torch_ops, "onnx": kb.onnx_ops}
    rows = [
        op_row(source, entry, profile)
        for source, table in tables.items() if args.source in (None, source)
        for entry in table.values() if _matches(entry.key, args.pattern)
    ]
    if args.status:
        rows = [row for row in rows if row["status"] == args.status]
    if args.format == "json":
        _print_json({"profile": profile.id, "count": len(rows), "ops": rows})
        return OK
    _print_table(["OP", "SOURCE", "STATUS", "CODE", "CONF", "RULES", "REASON"], [
        [r["op"], r["source"], r["status"], r["code"] or "-", r["confidence"], str(r["rules"]),
         _clip(r["reason"])] for r in rows])
    print(f"{len(rows)} operators; SDK profile {profile.id}; RULES counts the conditions "
          "that refine a verdict per node (dtype, attributes, rank)")
    return OK


# ---- targets --------------------------------------------------------------------------
def stacks_of(kb, profile, family: str) -> list[dict]:
    """The stacks ``profile`` offers ``family``: id, status, whether it is the default."""
    default = profile.default_stack.get(family)
    return [{"stack": stack, "status": status, "default": stack == default}
            for stack, status in kb.stacks_offered(profile, family)]


def _stacks_text(stacks: list[dict]) -> str:
    if not stacks:
        return "none"
    return ", ".join(f"{s['stack']}{'*' if s['default'] else ''} "
                     f"({s['status'].replace('-', ' ')})" for s in stacks)


def target_row(kb, family, profile=None) -> dict:
    default = kb.target(family.family)
    profile = profile or kb.profile(None)
    return {
        "family": family.family, "chip": family.chip, "neuroncore": family.neuroncore,
        "default_instance": family.default_instance, "lnc_default": family.lnc_default,
        "lnc_options": list(family.lnc_options), "cores": default.cores,
        "hbm_gib_per_core": default.hbm_gib_per_core,
        "bf16_tflops_per_core": default.tflops_per_core.get("bf16"),
        "instances": [{"name": i.name, "chips": i.chips, "status": i.status}
                      for i in family.instances],
        "profile": profile.id, "stacks": stacks_of(kb, profile, family.family),
    }


def run_targets(args) -> int:
    from trnport.analyzers.kb import load_kb

    kb = load_kb()
    profile = kb.profile(args.profile)
    rows = [target_row(kb, family, profile) for family in kb.targets]
    if args.format == "json":
        _print_json({"profile": profile.id, "targets": rows})
        return OK
    _print_table(
        ["FAMILY", "CHIP", "CORE", "LNC", "DEFAULT INSTANCE", "CORES", "HBM/CORE", "BF16 TF/CORE",
         f"STACKS ({profile.id})", "INSTANCES"],
        [[r["family"], r["chip"], r["neuroncore"],
          "/".join(f"{n}*" if n == r["lnc_default"] else str(n) for n in r["lnc_options"]),
          r["default_instance"], str(r["cores"]), f"{r['hbm_gib_per_core']:g} GiB",
          _number(r["bf16_tflops_per_core"]), _stacks_text(r["stacks"]),
          ", ".join(i["name"] for i in r["instances"])]
         for r in rows])
    print("CORES, HBM/CORE and BF16 TF/CORE are for the default instance at the default "
          "LNC (*); 'trnport check --target F --instance I' picks others; STACKS are the "
          f"PyTorch stacks of SDK {profile.id} (* the default; --profile P for another line, "
          "--stack on 'trnport check' picks one)")
    return OK


# ---- profiles -------------------------------------------------------------------------
def profile_row(kb, profile) -> dict:
    return {
        "id": profile.id, "default": profile.id == kb.default_profile, "sdk": profile.sdk,
        "covers": list(profile.covers), "date": profile.date, "neuronx_cc": profile.neuronx_cc,
        "torch_neuronx": profile.torch_neuronx, "torch_xla": profile.torch_xla,
        "pytorch": profile.pytorch, "compiler_defaults": dict(profile.compiler_defaults),
        "training_on_xla_supported": profile.training_on_xla_supported,
        "complex64_ops": profile.complex64_ops,
        "stacks_by_target": {family.family: stacks_of(kb, profile, family.family)
                             for family in kb.targets},
        "stacks": {stack_id: {"package": offer.package, "versions": list(offer.versions),
                              "training": offer.training, "targets": dict(offer.targets),
                              "withdrawn": {f: " ".join(w.split())
                                            for f, w in offer.withdrawn.items()},
                              "note": offer.note, "source": offer.source}
                   for stack_id, offer in profile.stacks.items()},
        "notes": list(profile.notes), "source": profile.source,
    }


def _stack_summary(row: dict) -> str:
    """``inf2, trn1: xla* (maintenance) · trn2, trn3: torchneuron* (public beta)``."""
    groups: dict[str, list[str]] = {}
    for family, stacks in row["stacks_by_target"].items():
        groups.setdefault(_stacks_text(stacks), []).append(family)
    return " · ".join(f"{', '.join(families)}: {text}" for text, families in groups.items())


def run_profiles(args) -> int:
    from trnport.analyzers.kb import load_kb

    kb = load_kb()
    rows = [profile_row(kb, profile) for profile in kb.profiles]
    if args.format == "json":
        _print_json({"default": kb.default_profile, "profiles": rows})
        return OK
    _print_table(
        ["PROFILE", "SDK", "COVERS", "DATE", "NEURONX-CC", "TORCH-NEURONX", "COMPILER DEFAULTS"],
        [[r["id"] + (" (default)" if r["default"] else ""), r["sdk"], ", ".join(r["covers"]),
          str(r["date"]), r["neuronx_cc"] or "not confirmed", r["torch_neuronx"] or "-",
          _clip(", ".join(f"{k}={_plain(v)}" for k, v in r["compiler_defaults"].items()
                          if k != "source"))]
         for r in rows])
    print("\nPyTorch stacks per target (* the default; pick one with --stack on 'trnport check'):")
    for r in rows:
        print(f"  {r['id']}: {_stack_summary(r)}")
    print("select a profile with --sdk on 'trnport check'; 'trnport kb profiles --format json' "
          "shows notes and sources")
    return OK


# ---- output ---------------------------------------------------------------------------
def _plain(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}"
    return str(value)


def _number(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _clip(text: str | None, width: int = _REASON_WIDTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max([len(header[i])] + [len(row[i]) for row in rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        sys.stdout.write("  ".join(cells).rstrip() + "\n")


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
