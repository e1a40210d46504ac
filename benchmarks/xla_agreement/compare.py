"""Agreement of trnport's OpInfo verdict table with what torch-xla did with each op.

    python compare.py opinfo_xla.jsonl ../../tests/golden/opinfo_verdicts.tsv

Counts the OpInfos both sides ran (exported by trnport, run without error by torch-xla) and,
for each, whether trnport calls anything in it a CPU fallback (or worse) exactly when torch-xla
recorded an ``aten::`` fallback counter ("falls back" agreement), and whether the ops named
agree too (same packets, with in-place and generated functional names folded together).
Prints both figures and every disagreement.
"""

from __future__ import annotations

import json
import sys

OFF_DEVICE = {"cpu_fallback", "unsupported", "unknown"}


def packet(op: str) -> str:
    name = op.replace("aten::", "aten.").split(".")[1]
    return name.removesuffix("_functional").rstrip("_") or name


def main(truth_path: str, table_path: str) -> int:
    with open(truth_path, encoding="utf-8") as handle:
        truth = {r["key"]: r for r in map(json.loads, filter(str.strip, handle))}
    rows = {}
    with open(table_path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip() and not line.startswith("#"):
                key, _, body = line.rstrip("\n").partition("\t")
                rows[key] = body
    total = same_verdict = same_ops = 0
    differences = []
    for key, body in sorted(rows.items()):
        record = truth.get(key)
        if record is None or "error" in record or body.startswith("not exported"):
            continue
        xla = {packet(c) for c in record["fallbacks"]}
        ours = {packet(op) for op, _, status in (x.rpartition("=") for x in body.split())
                if status in OFF_DEVICE and op.startswith("aten.")}
        total += 1
        same_verdict += bool(xla) == bool(ours)
        same_ops += xla == ours
        if xla != ours:
            differences.append(f"{key}: torch-xla {sorted(xla)} / trnport {sorted(ours)}")
    if not total:
        print("no OpInfo ran on both sides")
        return 2
    print(f"falls-back agreement: {same_verdict}/{total} = {100 * same_verdict / total:.1f}%")
    print(f"same ops named:       {same_ops}/{total} = {100 * same_ops / total:.1f}%")
    print("\n".join(differences))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
