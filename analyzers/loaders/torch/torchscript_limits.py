"""Bounds a TorchScript archive must keep before ``torch.jit.load`` may read it.

``torch.jit.load`` trusts its input: it inflates every compressed zip entry to the size the
entry declares, unpickles ``data.pkl`` and the other pickles into C++ values, and parses the
serialized code with a recursive-descent parser. A file of a few megabytes can therefore make
it allocate gigabytes (a compressed storage or pickle), or overflow its stack and kill the
process (a pickle nesting a million tuples, code nesting twenty thousand parentheses or
unary minus signs: measured on torch 2.13, all end in SIGSEGV). This module reads the archive
first, with nothing executed, and refuses what crosses a limit:

- the compressed entries together inflate to at most ``max_inflated_bytes``
  (``torch.jit.save`` stores entries uncompressed, so a real archive inflates nothing), and a
  stored entry is no larger than the bytes it occupies;
- every pickle is scanned with :mod:`pickletools`: at most ``max_pickle_ops`` opcodes in all
  (more for a larger archive: one per 256 bytes), and no object nested deeper than
  ``max_nesting`` (the stack is simulated, so nesting built through the memo or by
  appending later counts too);
- the code files hold at most ``max_code_bytes`` and nest brackets no deeper than
  ``max_brackets`` (CPython's own parser stops at 200), chain no more than
  ``max_statement_operators`` operators in one statement and indent no deeper than
  ``max_indent`` columns. TorchScript's printer writes one op per statement, so real code
  stays far below each.
"""

from __future__ import annotations

import pickletools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from trnport.analyzers.errors import InputError
from trnport.analyzers.loaders.base import first_line


@dataclass(frozen=True)
class TorchScriptLimits:
    max_inflated_bytes: int = 64 << 20
    max_pickle_ops: int = 2_000_000
    #: and per byte of the archive: a large model's pickles are long, its weights longer
    pickle_ops_per_byte: float = 1 / 256
    max_nesting: int = 1000
    max_code_bytes: int = 64 << 20
    max_brackets: int = 200
    max_statement_operators: int = 1000
    max_indent: int = 1000


TORCHSCRIPT_LIMITS = TorchScriptLimits()
_PICKLE_SUFFIXES = (".pkl", ".debug_pkl")
#: opcodes that change the container below their arguments in place
_MUTATORS = frozenset({"APPEND", "APPENDS", "SETITEM", "SETITEMS", "BUILD", "ADDITEMS"})
_STRINGS_AND_COMMENTS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|#[^\n]*')
_CODE_TOKENS = re.compile(r"[(\[{]|[)\]}]|\n[ \t]*|[-+*/%@&|^~<>=!]+|\b(?:not|and|or|if|lambda)\b")


def check_torchscript_archive(path: Path, archive: zipfile.ZipFile,
                              limits: TorchScriptLimits = TORCHSCRIPT_LIMITS) -> None:
    """Raise :class:`InputError` naming the first limit ``archive`` crosses."""
    file_size = path.stat().st_size
    _check_entry_sizes(path, archive, limits, file_size)
    scan = _PickleScan(path, limits, file_size)
    code_bytes = 0
    for entry in archive.infolist():
        if entry.filename.endswith(_PICKLE_SUFFIXES):
            with _open(path, archive, entry) as stream:
                scan.check(stream, entry.filename)
        elif "code/" in entry.filename and entry.filename.endswith(".py"):
            code_bytes += entry.file_size
            if code_bytes > limits.max_code_bytes:
                raise InputError(f"{path}: its TorchScript code exceeds "
                                 f"{limits.max_code_bytes >> 20} MiB; refusing to parse it")
            _check_code(path, entry.filename, _read_text(path, archive, entry), limits)


def check_entry_sizes(path: Path, archive: zipfile.ZipFile,
                      limits: TorchScriptLimits = TORCHSCRIPT_LIMITS) -> None:
    """Refuse a zip whose entries would inflate beyond the limit, or claim more bytes than
    the file holds."""
    _check_entry_sizes(path, archive, limits, path.stat().st_size)


def _check_entry_sizes(path: Path, archive: zipfile.ZipFile, limits: TorchScriptLimits,
                       file_size: int) -> None:
    inflated = 0
    for entry in archive.infolist():
        if entry.compress_type == zipfile.ZIP_STORED:
            if entry.file_size > file_size:
                raise InputError(f"{path}: zip entry {entry.filename} declares "
                                 f"{entry.file_size} bytes, more than the whole file holds")
            continue
        inflated += entry.file_size
        if inflated > limits.max_inflated_bytes:
            raise InputError(f"{path}: its compressed entries inflate beyond "
                             f"{limits.max_inflated_bytes >> 20} MiB (at {entry.filename}); "
                             "torch.jit.save stores entries uncompressed, refusing to inflate it")


def _open(path: Path, archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> IO[bytes]:
    try:
        return archive.open(entry)
    except (zipfile.BadZipFile, NotImplementedError, OSError) as exc:
        raise InputError(f"{path}: zip entry {entry.filename} cannot be read: "
                         f"{first_line(exc)}") from exc


def _read_text(path: Path, archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> str:
    with _open(path, archive, entry) as stream:
        try:
            return stream.read().decode("utf-8", "replace")
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(f"{path}: zip entry {entry.filename} is corrupt: "
                             f"{first_line(exc)}") from exc


# ---- pickles -----------------------------------------------------------------------------
class _Value:
    """A container on the simulated pickle stack: how deep it nests, and what holds it."""

    __slots__ = ("depth", "holders")

    def __init__(self) -> None:
        self.depth = 0
        self.holders: list[_Value] | None = None  # made on first use


#: what the scan does with each opcode: its stack effect, reduced to what nesting needs
_SKIP, _PUT, _MEMOIZE, _GET, _DUP, _MARK, _LEAF, _CONTAINER, _BUILD, _FILL = range(10)
_LEAF_VALUE = _Value()  # shared by every value that can hold nothing (numbers, strings...)
_NEW_CONTAINERS = frozenset({"EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET"})


def _opcode_table() -> dict[str, tuple[int, int, bool]]:
    """opcode name → (action, arguments below the mark or on the stack, pops to a mark)."""
    table: dict[str, tuple[int, int, bool]] = {}
    for opcode in pickletools.opcodes:
        name, before = opcode.name, opcode.stack_before
        marked = pickletools.markobject in before
        fixed = before.index(pickletools.markobject) if marked else len(before)
        if name in ("PROTO", "FRAME", "STOP"):
            action = _SKIP
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            action = _PUT
        elif name == "MEMOIZE":
            action = _MEMOIZE
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            action = _GET
        elif name == "DUP":
            action = _DUP
        elif name == "MARK":
            action = _MARK
        elif not opcode.stack_after:
            action = _BUILD if before else _SKIP  # POP, POP_MARK: arguments only leave
        elif name in _MUTATORS:
            action = _FILL
        elif not before and name not in _NEW_CONTAINERS:
            action = _LEAF
        else:
            action = _CONTAINER
        table[name] = (action, fixed, marked)
    return table


_OPCODES = _opcode_table()


class _PickleScan:
    """Opcode count and nesting depth of the pickles of one archive, nothing unpickled."""

    def __init__(self, path: Path, limits: TorchScriptLimits, archive_bytes: int) -> None:
        self.path, self.limits, self.ops = path, limits, 0
        self.max_ops = limits.max_pickle_ops + int(archive_bytes * limits.pickle_ops_per_byte)

    def check(self, stream: IO[bytes], name: str) -> None:
        try:
            self._scan(stream, name)
        except InputError:
            raise
        except Exception as exc:  # a malformed pickle: torch.jit.load would say the same
            raise InputError(f"{self.path}: {name} is not a valid pickle: "
                             f"{first_line(exc)}") from exc

    def _scan(self, stream: IO[bytes], name: str) -> None:
        stack: list[_Value | None] = []  # None stands for a MARK
        memo: dict[object, _Value | None] = {}
        limit = self.max_ops
        for opcode, arg, _pos in pickletools.genops(stream):
            self.ops += 1
            if self.ops > limit:
                raise InputError(f"{self.path}: its pickles hold more than {limit:,} opcodes "
                                 f"(at {name}); refusing to unpickle them")
            action, fixed, marked = _OPCODES[opcode.name]
            if action == _LEAF:
                stack.append(_LEAF_VALUE)
            elif action == _SKIP:
                pass
            elif action == _PUT:
                memo[arg] = stack[-1] if stack else None
            elif action == _MEMOIZE:
                memo[len(memo)] = stack[-1] if stack else None
            elif action == _GET:
                stack.append(memo.get(arg) or _LEAF_VALUE)
            elif action == _DUP:
                stack.append(stack[-1] if stack else _LEAF_VALUE)
            elif action == _MARK:
                stack.append(None)
            elif action == _CONTAINER and not fixed and not marked:
                stack.append(_Value())  # an empty list, dict or set
            else:
                self._combine(stack, action, fixed, marked, name)

    def _combine(self, stack: list[_Value | None], action: int, fixed: int, marked: bool,
                 name: str) -> None:
        """An opcode that takes values off the stack and (except POP) leaves one holding them."""
        taken: list[_Value | None] = []
        if marked:
            while stack and stack[-1] is not None:
                taken.append(stack.pop())
            if stack:
                stack.pop()
        taken.extend(stack.pop() for _ in range(min(fixed, len(stack))))
        if action == _BUILD:
            return
        holder = taken.pop() if action == _FILL and taken else None  # the deepest argument
        if holder is None or holder is _LEAF_VALUE:
            holder = _Value()
        self._hold(holder, taken, name)
        stack.append(holder)

    def _hold(self, holder: _Value, held: list[_Value | None], name: str) -> None:
        """``holder`` now contains ``held``: deepen it, and everything that holds it."""
        for value in held:
            if value is None:
                continue
            if value is not _LEAF_VALUE:  # a leaf never deepens, so nothing need know its holders
                if value.holders is None:
                    value.holders = []
                value.holders.append(holder)
            if value.depth < holder.depth:
                continue
            pending = [(holder, value.depth + 1)]
            while pending:
                node, depth = pending.pop()
                if depth <= node.depth:
                    continue
                if depth > self.limits.max_nesting:
                    raise InputError(f"{self.path}: {name} nests objects deeper than "
                                     f"{self.limits.max_nesting} levels; refusing to unpickle it")
                node.depth = depth
                pending.extend((up, depth + 1) for up in node.holders or ())


# ---- code --------------------------------------------------------------------------------
def _check_code(path: Path, name: str, source: str, limits: TorchScriptLimits) -> None:
    """Refuse code whose nesting would overflow the recursive TorchScript parser."""
    depth = operators = 0
    for match in _CODE_TOKENS.finditer(_STRINGS_AND_COMMENTS.sub('""', source)):
        token = match.group()
        if token in "([{":
            depth += 1
            if depth > limits.max_brackets:
                raise _nesting(path, name, f"nests brackets deeper than {limits.max_brackets}")
        elif token in ")]}":
            depth = max(0, depth - 1)
        elif token.startswith("\n"):
            if depth == 0:
                operators = 0
                if len(token) - 1 > limits.max_indent:
                    raise _nesting(path, name, f"indents deeper than {limits.max_indent} "
                                               "columns")
        else:
            operators += 1 if token[0].isalpha() else len(token)  # "---x" is three operators
            if operators > limits.max_statement_operators:
                raise _nesting(path, name, f"chains more than "
                                           f"{limits.max_statement_operators} operators in one "
                                           "statement")


def _nesting(path: Path, name: str, what: str) -> InputError:
    return InputError(f"{path}: the TorchScript code in {name} {what}; refusing to parse it "
                      "(nesting like this overflows the stack of TorchScript's parser)")
