"""Find PyTorch/XLA-era code that the TorchNeuron stack does not run, by reading a script's
syntax tree: torch-xla imports and calls (``xm.mark_step()``, the XLA device, MpDeviceLoader,
the ``xla`` process group), PyTorch/XLA inference (``torch_neuronx.trace`` and its helpers),
NxD Inference / NxD Core trace APIs, XLA environment variables, and ``torch.compile`` options
TorchNeuron rejects or ignores. Also ``XLA_USE_BF16`` set together with
``--auto-cast=none``, which fails on deep forward+backward graphs on PyTorch/XLA.

What each match means, on which stack, and its replacement is the table
``resources/lint/torchneuron_migration.csv``; this module only finds the code. Names are
resolved through the script's imports (``import torch_xla.core.xla_model as xm`` makes
``xm.mark_step`` ``torch_xla.core.xla_model.mark_step``).
"""

from __future__ import annotations

import ast
import re

from trnport.analyzers.lint.issue import LintIssue, dotted
from trnport.analyzers.lint.migration import StackMigration, stack_migrations

_AUTO_CAST_NONE = re.compile(r"--auto-cast(?:=|\s+)none\b")
_FALSE_VALUES = frozenset({"", "0", "false", "no", "off"})


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name → the module or object it names, from the script's absolute imports."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _resolve(name: str, aliases: dict[str, str]) -> str:
    head, _, rest = name.partition(".")
    if head in aliases:
        return f"{aliases[head]}.{rest}" if rest else aliases[head]
    return name


def _constant(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _is_xla_string(node: ast.AST | None) -> bool:
    value = _constant(node)
    return isinstance(value, str) and (value.lower() == "xla" or value.lower().startswith("xla:"))


class _Finder:
    def __init__(self, tree: ast.AST) -> None:
        self.aliases = _aliases(tree)
        self.rows = stack_migrations()
        self.issues: list[LintIssue] = []
        self.env: dict[str, tuple[int, ast.AST | None]] = {}

    def row(self, match: str, name: str, check: str | None = None) -> StackMigration | None:
        return next((r for r in self.rows if r.match == match and r.matches(name)
                     and (check is None or r.check == check)), None)

    def add(self, row: StackMigration | None, node: ast.AST, shown: str) -> None:
        if row is not None:
            self.issues.append(LintIssue(row.check, getattr(node, "lineno", 0),
                                         f"`{shown}` {row.problem}", row.severity, key=row.api))

    # ---- imports ----------------------------------------------------------------------
    def imported(self, node: ast.Import | ast.ImportFrom) -> None:
        modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                   else [node.module] if node.module and node.level == 0 else [])
        for module in modules:
            self.add(self.row("import", module), node, f"import {module}")

    # ---- calls ------------------------------------------------------------------------
    def call(self, node: ast.Call) -> None:
        written = dotted(node.func)
        full = _resolve(written, self.aliases) if written else ""
        tail = full.rsplit(".", 1)[-1] if full else getattr(node.func, "attr", "")
        if full == "torch.compile":
            self.compile_options(node)
        if tail == "init_process_group" and (
                (node.args and _is_xla_string(node.args[0])) or
                any(k.arg == "backend" and _is_xla_string(k.value) for k in node.keywords)):
            self.add(self.row("special", "process-group:xla"), node, "init_process_group('xla')")
        elif (tail in ("to", "device", "autocast") and node.args
              and _is_xla_string(node.args[0])) or any(
                k.arg in ("device", "device_type") and _is_xla_string(k.value)
                for k in node.keywords):
            self.add(self.row("special", "device:xla"), node, f"{written or tail}(... 'xla' ...)")
        if full:
            self.add(self.row("call", full), node, f"{written}()")
        self.environment_call(node, full)

    def compile_options(self, node: ast.Call) -> None:
        for keyword in node.keywords:
            value = _constant(keyword.value)
            if keyword.arg == "dynamic" and value is True:
                self.add(self.row("keyword", "dynamic", "compile-option"), keyword.value,
                         "torch.compile(..., dynamic=True)")
            elif keyword.arg == "mode" and isinstance(value, str) and value != "default":
                self.add(self.row("keyword", "mode", "compile-option"), keyword.value,
                         f"torch.compile(..., mode={value!r})")

    # ---- environment variables --------------------------------------------------------
    def environment_call(self, node: ast.Call, full: str) -> None:
        if full in ("os.environ.setdefault", "os.putenv") and node.args:
            name = _constant(node.args[0])
            if isinstance(name, str):
                self.env.setdefault(name, (node.lineno, node.args[1] if len(node.args) > 1
                                           else None))
        elif full == "os.environ.update":
            for arg in node.args:
                if isinstance(arg, ast.Dict):
                    for key, value in zip(arg.keys, arg.values, strict=True):
                        if isinstance(_constant(key), str):
                            self.env.setdefault(str(_constant(key)), (node.lineno, value))
            for keyword in node.keywords:
                if keyword.arg:
                    self.env.setdefault(keyword.arg, (node.lineno, keyword.value))

    def assignment(self, node: ast.Assign | ast.AugAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and \
                    _resolve(dotted(target.value), self.aliases) == "os.environ":
                name = _constant(target.slice)
                if isinstance(name, str):
                    self.env.setdefault(name, (node.lineno, node.value))

    def environment_issues(self) -> None:
        for name, (line, value) in self.env.items():
            if _constant(value) is not None and str(_constant(value)).lower() in _FALSE_VALUES:
                continue
            row = self.row("env", name, "xla-api") or self.row("env", name, "xla-inference-api")
            where = ast.Constant(value=None, lineno=line)
            self.add(row, where, f"{name}=...")
        flags = self.env.get("NEURON_CC_FLAGS")
        if "XLA_USE_BF16" in self.env and flags is not None and flags[1] is not None:
            texts = " ".join(str(n.value) for n in ast.walk(flags[1])
                             if isinstance(n, ast.Constant) and isinstance(n.value, str))
            if _AUTO_CAST_NONE.search(texts):
                line = self.env["XLA_USE_BF16"][0]
                self.add(self.row("env", "XLA_USE_BF16", "bf16-auto-cast-none"),
                         ast.Constant(value=None, lineno=line),
                         "XLA_USE_BF16=1")


def stack_issues(tree: ast.AST) -> list[LintIssue]:
    """The TorchNeuron-migration issues of a parsed script (each names its table row in
    ``key``; which stack it applies to is the row's)."""
    finder = _Finder(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            finder.imported(node)
        elif isinstance(node, ast.Call):
            finder.call(node)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            finder.assignment(node)
    finder.environment_issues()
    return finder.issues
