"""``trnport kb import-torchneuron FILE --torch-neuronx VERSION``: store a copy of TorchNeuron's
compatibility table (``torch_api_compatibility.md`` from github.com/aws-neuron/torch-neuronx,
regenerated for each release) so that analyses on the TorchNeuron stack take their per-op
verdicts from it. The file is read, never run; an unexpected format is refused with one line
saying what was expected (exit 2)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trnport.app.cli.exit_codes import OK

HELP = ("store TorchNeuron's compatibility table (torch_api_compatibility.md) for one "
        "torch-neuronx version")


def register_import(lists) -> None:
    parser = lists.add_parser(
        "import-torchneuron", help=HELP,
        description="Store a copy of TorchNeuron's compatibility table "
        "(torch_api_compatibility.md from github.com/aws-neuron/torch-neuronx, regenerated for "
        "each release) for one torch-neuronx version; analyses on the TorchNeuron stack of the "
        "SDK line that ships that version then take its per-op verdicts (provenance imported). "
        "The file is read, never run; an unexpected format is refused with one line saying "
        "what was expected (exit 2).")
    parser.add_argument("file", type=Path, metavar="FILE",
                        help="a copy of torch_api_compatibility.md")
    parser.add_argument("--torch-neuronx", required=True, metavar="VERSION",
                        dest="torch_neuronx",
                        help="the TorchNeuron torch-neuronx version the table belongs to, "
                        "e.g. 2.14.3.0 (the file does not say)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text summary or JSON (default: text)")
    parser.set_defaults(handler=run_import)


def _profiles_using(kb, version: str, folder: str) -> list[str]:
    """The SDK profiles whose TorchNeuron analyses now use this version's table."""
    from trnport.analyzers.coverage.stacks import torchneuron_table
    from trnport.analyzers.options import AnalysisOptions

    options = AnalysisOptions(torchneuron_tables=folder)
    used = []
    for profile in kb.profiles:
        table = torchneuron_table(kb, profile, options)
        if table is not None and table.version == version:
            used.append(profile.id)
    return used


def run_import(args) -> int:
    from trnport.analyzers.kb import load_kb
    from trnport.app.cli.torchneuron_tables import import_table, tables_folder

    folder = tables_folder()
    table, stored = import_table(args.file, args.torch_neuronx, folder)
    counts = {status: sum(row.status == status for row in table.rows)
              for status in ("Y", "CPU_FALLBACK", "N")}
    profiles = _profiles_using(load_kb(), table.version, folder)
    if args.format == "json":
        sys.stdout.write(json.dumps({
            "torch_neuronx": table.version, "stored": str(stored), "rows": len(table.rows),
            "by_status": counts, "sha256": table.sha256, "profiles": profiles,
        }, indent=2) + "\n")
        return OK
    print(f"imported {len(table.rows)} API rows of the TorchNeuron compatibility table for "
          f"torch-neuronx {table.version} ({counts['Y']} Y, {counts['CPU_FALLBACK']} "
          f"CPU_FALLBACK, {counts['N']} N) into {stored}")
    if profiles:
        print(f"TorchNeuron verdicts on SDK {', '.join(profiles)} now come from it "
              "(provenance imported)")
    else:
        print("no SDK profile lists this torch-neuronx version; the table is kept but no "
              "analysis uses it")
    return OK
