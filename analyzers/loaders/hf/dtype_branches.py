"""Which floating dtypes a model's code branches on, read from its source.

A graph exported from a model built in one dtype gives the graph of the model built in
another (:mod:`trnport.analyzers.graph.retype`) only while the Python code took the same
path in both. A trace records no branch, so the code is read instead: T5 clamps its hidden
states ``if hidden_states.dtype == torch.float16``, Falcon upcasts ``if input_dtype ==
torch.float16 or input_dtype == torch.bfloat16``. Each condition (of ``if``, ``elif``,
``while``, ``assert`` and conditional expressions) in the modules that define the model's
layers is looked at; one that tests a dtype counts the floating dtypes it names, and one
that compares two dtypes without naming any (``x.dtype != weight.dtype``) counts as
``"any"``. Conditions on integer dtypes (``labels.dtype == torch.long``) do not count, nor
does a guard whose only effect is a cast to a tensor's dtype (ViT's ``if pixel_values.dtype
!= expected_dtype: pixel_values = pixel_values.to(expected_dtype)``): either way the value
ends in the model's dtype, which retyping renames.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from functools import cache

#: the dtypes a condition can name, by their spellings in torch
_FLOATS = {
    "float16": re.compile(r"\b(?:float16|half)\b"),
    "bfloat16": re.compile(r"\bbfloat16\b"),
    "float32": re.compile(r"\b(?:float32|float)\b(?!\s*\()"),
}
_INTEGER_DTYPE = re.compile(r"\btorch\.(?:long|int\d*|uint\d+|bool)\b")
_COMPARISON = re.compile(r"==|!=|\bin\b|\bis\b")
_DTYPE = re.compile(r"dtype\b")
#: what a dtype comparison between two tensors counts as: it may go either way
ANY = "any"


def dtype_branches(model: object) -> tuple[str, ...]:
    """The dtypes (``"float16"``, ``"bfloat16"``, ``"float32"``, or :data:`ANY`) that
    conditions in the transformers modules defining ``model``'s layers test, sorted."""
    modules = {type(layer).__module__ for layer in _layers(model)}
    found: set[str] = set()
    for name in sorted(modules):
        if name.startswith("transformers."):
            found.update(_module_branches(name))
    return tuple(sorted(found))


def condition_dtypes(condition: str) -> set[str]:
    """The dtypes a condition (its source text) branches on (see the module docstring)."""
    if not _COMPARISON.search(condition) or not _DTYPE.search(condition):
        return set()
    named = {dtype for dtype, spelling in _FLOATS.items() if spelling.search(condition)}
    if named:
        return named
    if len(_DTYPE.findall(condition)) >= 2 and not _INTEGER_DTYPE.search(condition):
        return {ANY}
    return set()


def _layers(model: object) -> Iterable[object]:
    modules = getattr(model, "modules", None)
    return modules() if callable(modules) else (model,)


@cache
def _module_branches(name: str) -> frozenset[str]:
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    if not path:
        return frozenset({ANY})  # code that cannot be read may branch on anything
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return frozenset({ANY})
    return frozenset(source_branches(text))


def source_branches(text: str) -> set[str]:
    """The dtypes the conditions in Python source ``text`` test; :data:`ANY` for text that
    does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {ANY}
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)) \
                and not _casts_to_a_tensors_dtype(node):
            found |= condition_dtypes(ast.unparse(node.test))
    return found


def _casts_to_a_tensors_dtype(node: ast.AST) -> bool:
    """``if x.dtype != w.dtype: x = x.to(w.dtype)``: taken or not, ``x`` ends in the dtype
    of a tensor of the model, which is the dtype retyping renames (a cast to a dtype the
    tensor has is no node). Not when the cast names a dtype of its own."""
    if not isinstance(node, ast.If) or node.orelse or len(node.body) != 1:
        return False
    (statement,) = node.body
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
            and isinstance(statement.value, ast.Call)):
        return False
    call = statement.value
    return (isinstance(call.func, ast.Attribute) and call.func.attr in ("to", "type")
            and ast.unparse(call.func.value) == ast.unparse(statement.targets[0])
            and len(call.args) == 1 and not call.keywords
            and not any(spelling.search(ast.unparse(call.args[0]))
                        for spelling in _FLOATS.values()))
