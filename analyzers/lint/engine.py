"""Find GPU-only code in a PyTorch script by reading its syntax tree (never running it).

Each :class:`LintIssue` names a *check* (``cuda-device``, ``host-sync``...); the TRN7xx rule
modules turn checks into findings, with the Neuron replacement for the analysis's PyTorch
stack from ``resources/lint/gpu_migration.csv``. The PyTorch/XLA → TorchNeuron checks are in
:mod:`.stack_migration`.
"""

from __future__ import annotations

import ast
from pathlib import Path

from trnport.analyzers.errors import InputError
from trnport.analyzers.lint.issue import LintIssue, dotted
from trnport.analyzers.lint.stack_migration import stack_issues

CUDA_LIBRARIES = {
    "apex": "cuda-library", "bitsandbytes": "cuda-library",
    "flash_attn": "cuda-attention", "xformers": "cuda-attention",
    "triton": "cuda-kernels",
}
# torch.cuda calls that only probe: on a Neuron host they answer False / 0 and the script
# silently takes its CPU path instead of failing
PROBE_CALLS = frozenset({"is_available", "device_count", "is_bf16_supported", "is_initialized"})
HOST_READS = frozenset({"item", "cpu", "numpy", "tolist"})
__all__ = ["LintIssue", "dotted", "lint_file", "lint_source"]
STEP_BOUNDARIES = frozenset({"mark_step", "optimizer_step", "sync", "MpDeviceLoader",
                             "ParallelLoader"})


def lint_file(path: str | Path) -> list[LintIssue]:
    """Lint the Python file at ``path``; InputError (one line, file:line) when unreadable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    return lint_source(text, str(path))


def lint_source(text: str, filename: str = "<script>") -> list[LintIssue]:
    """Lint Python source ``text``; a syntax error is an InputError naming file:line."""
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as exc:
        raise InputError(f"{filename}:{exc.lineno or 0}: syntax error: {exc.msg}") from exc
    except ValueError as exc:  # null bytes
        raise InputError(f"{filename}: not Python source: {exc}") from exc
    visitor = _Visitor()
    visitor.visit(tree)
    issues = visitor.issues + _step_loop_issues(tree, visitor.uses_torch_xla) + \
        stack_issues(tree)
    first: dict[tuple[int, str, str | None], LintIssue] = {}
    for issue in issues:  # one issue per check, row and line (nested attribute chains repeat)
        first.setdefault((issue.line, issue.check, issue.key), issue)
    return sorted(first.values(), key=lambda i: (i.line, i.check, i.message))


def _is_cuda_string(node: ast.AST | None) -> bool:
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
        return False
    value = node.value.strip().lower()
    return value == "cuda" or value.startswith("cuda:")


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.issues: list[LintIssue] = []
        self.uses_torch_xla = False

    def add(self, check: str, node: ast.AST, message: str, severity: str | None = None) -> None:
        self.issues.append(LintIssue(check, getattr(node, "lineno", 0), message, severity))

    # ---- imports ------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._imported(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0:
            self._imported(node.module, node)
            if node.module in ("torch.cuda", "torch.cuda.amp"):
                names = ", ".join(a.name for a in node.names)
                self.add("cuda-amp" if node.module.endswith("amp") or "amp" in names
                         else "cuda-runtime", node, f"imports {names} from {node.module}")

    def _imported(self, module: str, node: ast.AST) -> None:
        top = module.split(".")[0]
        if top == "torch_xla":
            self.uses_torch_xla = True
        if top in CUDA_LIBRARIES:
            self.add(CUDA_LIBRARIES[top], node, f"imports {module}, a CUDA-only library")

    # ---- calls, attributes, keywords ----------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        name = dotted(node.func)
        tail = name.rsplit(".", 1)[-1] if name else getattr(node.func, "attr", "")
        if tail == "cuda" and isinstance(node.func, ast.Attribute) and name != "torch.cuda":
            self.add("cuda-device", node, "`.cuda()` moves a tensor or module to a CUDA GPU")
        elif tail in ("to", "device") and node.args and _is_cuda_string(node.args[0]):
            self.add("cuda-device", node, f"`{name or tail}({node.args[0].value!r})` "
                     "targets a CUDA GPU")
        elif tail == "autocast" and node.args and _is_cuda_string(node.args[0]):
            self.add("cuda-amp", node, "`autocast('cuda')` enables CUDA mixed precision")
        elif tail == "init_process_group":
            self._process_group(node)
        for keyword in node.keywords:
            if keyword.arg in ("device", "device_type", "map_location") and \
                    _is_cuda_string(keyword.value):
                check = "cuda-amp" if tail in ("autocast", "GradScaler") else "cuda-device"
                self.add(check, keyword.value,
                         f"`{keyword.arg}={keyword.value.value!r}` targets a CUDA GPU")
            if keyword.arg == "backend" and _is_nccl(keyword.value):
                self.add("nccl-backend", keyword.value, "process group uses the NCCL backend")
        self.generic_visit(node)

    def _process_group(self, node: ast.Call) -> None:
        if node.args and _is_nccl(node.args[0]):
            self.add("nccl-backend", node, "`init_process_group('nccl')` needs NCCL and CUDA")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = dotted(node)
        if name.startswith("torch.cuda."):
            member = name.split(".")[2]
            if member == "amp":
                self.add("cuda-amp", node, f"`{name}` is CUDA mixed precision")
            elif member in ("graphs", "graph", "CUDAGraph", "make_graphed_callables"):
                self.add("cuda-graphs", node, f"`{name}` captures a CUDA graph")
            elif member in PROBE_CALLS:
                self.add("cuda-runtime", node, f"`{name}()` is always False/0 on a Neuron host, "
                         "so the script silently takes its non-GPU path", "warning")
            else:
                self.add("cuda-runtime", node, f"`{name}` calls the CUDA runtime")
            if not any(isinstance(n, ast.Call) for n in ast.walk(node.value)):
                return  # the inner torch.cuda.* chain is this same use
        self.generic_visit(node)


def _is_nccl(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and \
        node.value.strip().lower() == "nccl"


# ---- the training step loop -------------------------------------------------------------
def _calls_in(body: list[ast.stmt]) -> list[ast.Call]:
    """Calls in ``body``, not descending into nested function or class definitions."""
    calls: list[ast.Call] = []
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call):
            calls.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return calls


def _tail(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_step_loop(loop: ast.For | ast.While) -> bool:
    tails = {_tail(c) for c in _calls_in(loop.body)}
    return "backward" in tails and bool(tails & {"step", "optimizer_step"})


def _step_loops(tree: ast.AST) -> list[ast.For | ast.While]:
    """Innermost loops whose body runs ``.backward()`` and an optimizer step."""
    loops = [n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While, ast.AsyncFor))
             and _is_step_loop(n)]
    inner = []
    for loop in loops:
        nested = any(other is not loop and any(child is other for child in ast.walk(loop))
                     for other in loops)
        if not nested:
            inner.append(loop)
    return inner


def _step_loop_issues(tree: ast.AST, uses_torch_xla: bool) -> list[LintIssue]:
    issues = []
    for loop in _step_loops(tree):
        calls = _calls_in(loop.body)
        for call in calls:
            tail = _tail(call)
            if tail in HOST_READS and isinstance(call.func, ast.Attribute) and not call.args:
                issues.append(LintIssue("host-sync", call.lineno,
                                        f"`.{tail}()` inside the training step loop reads a "
                                        "device tensor on the host every step"))
            elif tail == "print" and isinstance(call.func, ast.Name):
                issues.append(LintIssue("host-sync", call.lineno,
                                        "`print(...)` inside the training step loop reads "
                                        "device tensors on the host every step"))
        names = {_tail(c) for c in calls} | {_tail(c) for c in _loader_calls(loop)}
        if not names & STEP_BOUNDARIES:
            where = "under torch_xla " if uses_torch_xla else ""
            issues.append(LintIssue("step-boundary", loop.lineno,
                                    f"training step loop {where}has no step boundary "
                                    "(xm.mark_step / torch_xla.sync / xm.optimizer_step)"))
    return issues


def _loader_calls(loop: ast.For | ast.While) -> list[ast.Call]:
    """Calls in the loop header (``for batch in MpDeviceLoader(...)``)."""
    header = getattr(loop, "iter", None) or getattr(loop, "test", None)
    return [n for n in ast.walk(header) if isinstance(n, ast.Call)] if header else []
