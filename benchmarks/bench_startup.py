"""Start-up: how long ``trnport`` takes before it does any work, and what it imports.

``trnport --check tiny_cnn.onnx`` (the bundled 5-node sample) is almost all start-up; it
must finish in under 1 s of wall time on a quiet 2-core machine, as a user runs it: saving
the run in the porting history (an existing history file, as on every run but the first).
The same check without the history, and the first save into a new file (which creates the
schema), are shown beside it. ``--version`` and ``--help`` must import nothing heavy (torch,
onnx, numpy, Qt, SQLAlchemy, jinja2, transformers), and an ONNX check neither torch nor Qt.
Whole processes, median of 5.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import benchlib

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "tiny_cnn.onnx"
MAX_CHECK_S = 1.0
HEAVY = ("torch", "onnx", "numpy", "PySide6", "sqlalchemy", "jinja2", "transformers")
NOT_FOR_ONNX = ("torch", "PySide6", "transformers")
# runs the command line in-process and prints the heavy top-level modules it imported
_IMPORTS = """\
import json, sys
sys.argv = ["trnport", *sys.argv[1:]]
from trnport.app.entry import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = %r
sys.__stdout__.write("\\nIMPORTED " + json.dumps(sorted({m.split(".")[0] for m in sys.modules
                                                      if m.split(".")[0] in heavy})))
"""


def _imported(*args: str) -> list[str]:
    run = benchlib.run_child([sys.executable, "-c", _IMPORTS % (HEAVY,), *args])
    marker = run.stdout.rfind("IMPORTED ")
    if marker < 0:
        raise RuntimeError(f"trnport {' '.join(args)} printed no import list: {run.stderr[-300:]}")
    return json.loads(run.stdout[marker + len("IMPORTED "):])


def _median_wall(command: list[str], repeats: int = 5,
                 env: dict[str, str] | None = None) -> float:
    runs = [benchlib.run_child(command, env=env) for _ in range(repeats)]
    bad = [run for run in runs if run.returncode not in benchlib.ANALYSIS_FINISHED]
    if bad:
        raise RuntimeError(f"{' '.join(command[1:3])} exited {bad[0].returncode}: "
                           f"{bad[0].stderr.strip()[-300:]}")
    return benchlib.median([run.wall_s for run in runs])


def main() -> int:
    benchlib.require_engine()
    trnport = benchlib.trnport_command()
    try:
        with tempfile.TemporaryDirectory(prefix="trnport-bench-startup-") as folder:
            env = {**benchlib.child_env(), "TRNPORT_DB": str(Path(folder) / "history.db"),
                   "TRNPORT_NO_HISTORY": "0"}
            first_s = _median_wall([*trnport, "--check", str(SAMPLE)], repeats=1, env=env)
            check_s = _median_wall([*trnport, "--check", str(SAMPLE)], env=env)
        unsaved_s = _median_wall(benchlib.check_json(SAMPLE))
        version_s = _median_wall([*trnport, "--version"])
        help_s = _median_wall([*trnport, "--help"])
        light = {flag: _imported(flag) for flag in ("--version", "--help")}
        onnx_check = _imported("check", str(SAMPLE), "--no-history", "--format", "json")
    except RuntimeError as error:
        print(f"could not run: {error}")
        return benchlib.COULD_NOT_RUN
    rows = [benchlib.seconds_row("trnport --check tiny_cnn.onnx (wall)", check_s, MAX_CHECK_S),
            benchlib.info_row("  the same, first save into a new history file",
                              f"{first_s:.3f} s"),
            benchlib.info_row("  the same, --no-history --format json", f"{unsaved_s:.3f} s"),
            benchlib.info_row("trnport --version (wall)", f"{version_s:.3f} s"),
            benchlib.info_row("trnport --help (wall)", f"{help_s:.3f} s")]
    for flag, modules in light.items():
        rows.append(benchlib.Row(f"{flag} imports", ", ".join(modules) or "nothing heavy",
                                 target="nothing heavy", passed=not modules))
    wrong = sorted(set(onnx_check) & set(NOT_FOR_ONNX))
    rows.append(benchlib.Row("--check x.onnx imports", ", ".join(onnx_check) or "nothing heavy",
                             target="no torch, Qt, transformers", passed=not wrong))
    return benchlib.print_table("Start-up", rows, (f"heavy modules: {', '.join(HEAVY)}",))


if __name__ == "__main__":
    sys.exit(main())
