"""Read, validate and freeze ``resources/neuron/``.

Each YAML file is validated against its definition in ``resources/schemas/kb.schema.json``;
bad data raises :class:`InputError` with one line naming the file and the failing path.

Speed: parsing ~450 kB of YAML takes longer than the load budget, so the generator also
writes ``kb.compiled.json``, a JSON copy of the same data stamped with the sha256 of the
YAML bytes. The loader hashes the YAML it finds and uses the copy only when the stamp
matches; any edit to a YAML file makes it parse the YAML instead. Either way the data is
validated before use. No torch or onnx import happens here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

from trnport.analyzers.errors import InputError
from trnport.analyzers.kb.knowledge_base import KnowledgeBase
from trnport.analyzers.kb.model import (
    DtypeIssueSpec,
    KnownIssue,
    Limit,
    OpEntry,
    Profile,
    Rewrite,
    RewriteAutomation,
    Rule,
    SourceEdit,
    StackOffer,
    StackSpec,
)
from trnport.analyzers.kb.schema import SchemaValidator, SchemaViolation

META_FILE = "kb.yaml"
COMPILED_FILE = "kb.compiled.json"
_KIND_DEFINITIONS = {
    "meta": "meta_file",
    "profiles": "profiles_file",
    "targets": "targets_file",
    "dtypes": "dtypes_file",
    "rewrites": "rewrites_file",
    "limits": "limits_file",
    "citations": "citations_file",
    "ops": "ops_file",
    "stacks": "stacks_file",
    "known_issues": "known_issues_file",
}


def resources_dir() -> Path:
    import trnport.resources

    return Path(trnport.resources.__file__).parent


def default_kb_dir() -> Path:
    return resources_dir() / "neuron"


def default_schema_path() -> Path:
    return resources_dir() / "schemas" / "kb.schema.json"


def yaml_digest(raw: dict[str, bytes]) -> str:
    """sha256 over the YAML files (name and bytes, in name order)."""
    digest = hashlib.sha256()
    for name in sorted(raw):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(raw[name])
    return digest.hexdigest()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{path}: cannot read knowledge base file ({exc.strerror or exc})"
        ) from exc


def read_raw_files(kb_dir: Path) -> dict[str, bytes]:
    """The meta file and every file it lists, as bytes keyed by relative name."""
    raw = {META_FILE: _read_bytes(kb_dir / META_FILE)}
    meta = _parse_yaml(kb_dir / META_FILE, raw[META_FILE])
    files = meta.get("files") if isinstance(meta, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise InputError(
            f"{kb_dir / META_FILE}: invalid knowledge base index: 'files' must list the data files"
        )
    for name in files:
        if name != META_FILE:
            raw[name] = _read_bytes(kb_dir / name)
    return raw


def _parse_yaml(path: Path, data: bytes) -> Any:
    from trnport.analyzers.kb.yaml_io import load_yaml_text

    try:
        return load_yaml_text(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: knowledge base file is not UTF-8 text") from exc
    except Exception as exc:  # yaml.YAMLError and friends: report one line
        first = str(exc).strip().splitlines()
        raise InputError(
            f"{path}: invalid YAML ({first[0] if first else type(exc).__name__})"
        ) from exc


def _compiled_files(kb_dir: Path) -> tuple[dict[str, bytes], dict[str, Any]] | None:
    """(raw YAML bytes, parsed data) from the JSON copy, or None when it is missing or stale."""
    compiled_path = kb_dir / COMPILED_FILE
    if not compiled_path.is_file():
        return None
    try:
        compiled = json.loads(compiled_path.read_bytes())
        names = list(compiled["files"])
    except (ValueError, KeyError, TypeError):
        return None
    if META_FILE not in names or not all((kb_dir / name).is_file() for name in names):
        return None
    raw = {name: _read_bytes(kb_dir / name) for name in names}
    if compiled.get("digest") != yaml_digest(raw):
        return None
    meta_files = (
        compiled["files"][META_FILE].get("files")
        if isinstance(compiled["files"][META_FILE], dict)
        else None
    )
    if not isinstance(meta_files, list) or set(meta_files) | {META_FILE} != set(names):
        return None
    return raw, compiled["files"]


def parse_files(kb_dir: Path) -> dict[str, Any]:
    """The parsed data of every file: the JSON copy when its stamp matches the YAML bytes,
    otherwise the YAML itself."""
    fast = _compiled_files(kb_dir)
    if fast is not None:
        return fast[1]
    raw = read_raw_files(kb_dir)
    return {name: _parse_yaml(kb_dir / name, data) for name, data in raw.items()}


def validate_files(kb_dir: Path, parsed: dict[str, Any], schema_path: Path) -> None:
    """Validate each file against the schema definition for its ``kind``."""
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{schema_path}: unreadable knowledge base schema ({exc})") from exc
    validator = SchemaValidator(schema)
    for name, data in parsed.items():
        kind = data.get("kind") if isinstance(data, dict) else None
        definition = _KIND_DEFINITIONS.get(kind)
        if definition is None:
            raise InputError(
                f"{kb_dir / name}: invalid knowledge base data at /kind: unknown kind {kind!r}"
            )
        try:
            validator.validate(data, definition)
        except SchemaViolation as exc:
            raise InputError(
                f"{kb_dir / name}: invalid knowledge base data at {exc.path}: {exc.message}"
            ) from exc


# ---- building the frozen values -------------------------------------------------------


def _rule(data: dict) -> Rule:
    return Rule(
        id=data.get("id"),
        when=MappingProxyType(data["when"]),
        status=data["status"],
        code=data.get("code"),
        reason=data["reason"],
        rewrite=data.get("rewrite"),
        source=data["source"],
        confidence=data["confidence"],
    )


def _verdict_fields(item: dict) -> dict[str, Any]:
    """The verdict every op entry and dtype issue carries, as keyword arguments."""
    return {
        "status": item["status"], "code": item.get("code"), "reason": item["reason"],
        "rewrite": item.get("rewrite"), "source": item["source"],
        "confidence": item["confidence"], "rules": tuple(_rule(r) for r in item.get("rules", ())),
    }


def _op_entries(data: dict) -> MappingProxyType:
    entries = {}
    for key, item in data["ops"].items():
        entries[key] = OpEntry(key=key, **_verdict_fields(item),
                               aten=tuple(item.get("aten", ())),
                               evidence=tuple(item.get("evidence", ())))
    return MappingProxyType(entries)


def _profile(data: dict) -> Profile:
    return Profile(
        id=data["id"],
        sdk=data["sdk"],
        covers=tuple(data["covers"]),
        date=data["date"],
        neuronx_cc=data.get("neuronx_cc"),
        torch_neuronx=data.get("torch_neuronx"),
        torch_xla=data.get("torch_xla"),
        pytorch=data.get("pytorch"),
        compiler_defaults=MappingProxyType(data["compiler_defaults"]),
        training_on_xla_supported=data["training_on_xla_supported"],
        complex64_ops=data.get("complex64_ops", False),
        notes=tuple(data["notes"]),
        source=data["source"],
        stacks=MappingProxyType({stack_id: _stack_offer(stack_id, offer)
                                 for stack_id, offer in data["stacks"].items()}),
        default_stack=MappingProxyType(dict(data["default_stack"])),
    )


def _stack_offer(stack_id: str, data: dict) -> StackOffer:
    return StackOffer(
        stack=stack_id, package=data["package"], versions=tuple(data.get("versions", ())),
        training=data["training"], targets=MappingProxyType(dict(data["targets"])),
        withdrawn=MappingProxyType(dict(data.get("withdrawn", {}))), note=data.get("note"),
        source=data["source"],
    )


def _stack_spec(stack_id: str, data: dict) -> StackSpec:
    return StackSpec(
        id=stack_id, name=data["name"], summary=data["summary"], device=data["device"],
        unavailable=data["unavailable"], source=data["source"],
        texts=MappingProxyType(dict(data["texts"])), texts_source=data["texts_source"],
        verdicts=MappingProxyType(dict(data.get("verdicts", {}))),
        dtype_issues=MappingProxyType(dict(data.get("dtype_issues", {}))),
        host_read_ops=frozenset(data.get("host_read_ops", ())),
        no_cpu_kernel=frozenset(data.get("no_cpu_kernel", ())),
        no_table_note=data.get("no_table_note"),
    )


def _rewrite(rewrite_id: str, data: dict) -> Rewrite:
    auto = data.get("automated")
    automation = None if auto is None else RewriteAutomation(
        id=rewrite_id, answers=tuple(auto["answers"]),
        matches=MappingProxyType({engine: tuple(ops) for engine, ops in auto["matches"].items()}),
        before=auto["before"], after=auto["after"], safe=auto["safe"],
        notes=tuple(auto.get("notes", ())),
    )
    edits = tuple(SourceEdit(e["pattern"], e["replacement"]) for e in data.get("edits", ()))
    titles = data.get("stack_titles")
    return Rewrite(rewrite_id, data["title"], data["source"], automation, edits,
                   MappingProxyType(dict(titles)) if titles else None)


def _known_issue(data: dict) -> KnownIssue:
    when = data.get("when")
    return KnownIssue(
        id=data["id"], kind=data["kind"], ops=frozenset(data["ops"]),
        when=MappingProxyType(when) if when else None,
        affected_min=data["affected"].get("min"), affected_max=data["affected"]["max"],
        fixed_in=data["fixed_in"], summary=data["summary"], workaround=data.get("workaround"),
        source=data["source"], confidence=data["confidence"],
    )


def build_kb(parsed: dict[str, Any]) -> KnowledgeBase:
    """Freeze validated file data into a :class:`KnowledgeBase`."""
    by_kind: dict[str, list[Any]] = {}
    for data in parsed.values():
        by_kind.setdefault(data["kind"], []).append(data)
    meta = by_kind["meta"][0]
    ops = {data["namespace"]: _op_entries(data) for data in by_kind.get("ops", [])}
    profiles_file = by_kind["profiles"][0]
    targets = by_kind["targets"][0]
    dtypes = by_kind["dtypes"][0]
    families = {name: frozenset(members) for name, members in dtypes["families"].items()}
    issues = tuple(
        DtypeIssueSpec(
            id=i["id"],
            dtypes=frozenset(d for name in i["dtypes"] for d in families.get(name, (name,))),
            **_verdict_fields(i),
        )
        for i in dtypes["issues"]
    )
    rewrites = {rid: _rewrite(rid, r) for rid, r in by_kind["rewrites"][0]["rewrites"].items()}
    stacks = by_kind["stacks"][0]
    limits = {name: Limit(name, item["value"], item["meaning"], item["source"], item["confidence"])
              for name, item in by_kind["limits"][0]["limits"].items()}
    return KnowledgeBase(
        generated=meta["generated"],
        inputs=MappingProxyType(meta.get("inputs", {})),
        profiles=tuple(_profile(p) for p in profiles_file["profiles"]),
        default_profile=profiles_file["default"],
        families=MappingProxyType(targets["families"]),
        default_family=targets["default_family"],
        generations=MappingProxyType(targets["generations"]),
        runtime_overheads=MappingProxyType(targets["runtime_overheads"]),
        aten_ops=ops.get("aten", MappingProxyType({})),
        torch_ops=ops.get("torch", MappingProxyType({})),
        onnx_ops=ops.get("onnx", MappingProxyType({})),
        dtype_families=MappingProxyType(families),
        dtype_issues=issues,
        rewrites=MappingProxyType(rewrites),
        dtype_storage=MappingProxyType(dict(dtypes["storage"]["stored_as"])),
        limits=MappingProxyType(limits),
        citations=MappingProxyType(dict(by_kind["citations"][0]["citations"])),
        stacks=MappingProxyType({stack_id: _stack_spec(stack_id, spec)
                                 for stack_id, spec in stacks["stacks"].items()}),
        int64_posture=MappingProxyType(dict(stacks["int64_posture"])),
        known_issues=tuple(_known_issue(i) for data in by_kind.get("known_issues", [])
                           for i in data["issues"]),
        backend_kernels=frozenset(stacks["backend_kernels"]["ops"]),
    )


def load_kb_from(kb_dir: Path, schema_path: Path | None = None) -> KnowledgeBase:
    """Load, validate and freeze the knowledge base in ``kb_dir`` (uncached)."""
    parsed = parse_files(kb_dir)
    validate_files(kb_dir, parsed, schema_path or default_schema_path())
    kinds = {data["kind"] for data in parsed.values()}
    missing = {"meta", "profiles", "targets", "dtypes", "rewrites", "limits", "citations",
               "ops", "stacks"} - kinds
    if missing:
        raise InputError(
            f"{kb_dir}: knowledge base lacks file kind(s): {', '.join(sorted(missing))}"
        )
    return build_kb(parsed)


def compiled_copy(raw: dict[str, bytes], parsed: dict[str, Any]) -> str:
    """The text of ``kb.compiled.json`` for these files (written by the generator)."""
    return json.dumps(
        {"digest": yaml_digest(raw), "files": parsed},
        separators=(",", ":"),
        sort_keys=True,
        ensure_ascii=False,
    )
