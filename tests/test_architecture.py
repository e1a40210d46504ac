"""The engine stays headless and lazy: import contracts, and --check on ONNX without torch or Qt."""

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO, SAMPLES

# Runs the real CLI in-process with PySide6 and torch made unimportable, then reports
# which heavy frameworks were imported.
_BLOCKED_RUN = """
import json, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {blocked!r}:
            raise ImportError('blocked for this test: ' + name)
        return None
sys.meta_path.insert(0, Block())
from trnport.app.cli.main import main
code = main({argv!r})
heavy = sorted(m for m in ('torch', 'PySide6', 'sqlalchemy', 'transformers', 'onnxruntime')
               if m in sys.modules)
print(json.dumps({{'code': code, 'heavy': heavy}}))
"""


def _run_blocked(argv: list[str], blocked: set[str]) -> dict:
    code = _BLOCKED_RUN.format(blocked=sorted(blocked), argv=argv)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint_imports)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 7 kept, 0 broken" in proc.stdout


def test_engine_modules_import_each_other_without_circles():
    """No module of the engine reaches itself through imports (lazy imports inside functions
    and type-checking imports count too): every import circle is a layering mistake."""
    import grimp

    graph = grimp.build_graph("trnport.analyzers")
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    circles = _circles(imports)
    assert circles == [], circles


def _circles(imports: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in sorted(imports):
        if root in index:
            continue
        work = [(root, iter(sorted(imports[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, pending = work[-1]
            target = next(pending, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(imports.get(target, ())))))
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_check_on_onnx_imports_neither_torch_nor_qt(tmp_path):
    out = tmp_path / "r.json"
    result = _run_blocked(
        ["check", str(SAMPLES / "tiny_cnn.onnx"), "--no-history", "--format", "json",
         "--output", str(out), "--quiet"],
        blocked={"torch", "PySide6"},
    )
    assert result["code"] in (0, 1)
    assert result["heavy"] == []
    assert json.loads(out.read_text())["model"]["format"] == "onnx"


def test_engine_analyses_a_torch_model_with_qt_unimportable(tmp_path):
    out = tmp_path / "r.json"
    result = _run_blocked(
        ["check", str(SAMPLES / "mlp_model.py"), "--trust-code", "--no-history",
         "--format", "json", "--output", str(out), "--quiet"],
        blocked={"PySide6"},
    )
    assert result["code"] in (0, 1)
    assert "PySide6" not in result["heavy"] and "sqlalchemy" not in result["heavy"]
    assert json.loads(out.read_text())["model"]["format"] == "python"
