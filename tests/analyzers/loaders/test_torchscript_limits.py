"""Untrusted TorchScript archives are held to limits before ``torch.jit.load`` reads them.

The corpus (hostile_torchscript) is a real ``torch.jit.save`` archive with one entry swapped:
storages and pickles that inflate to gigabytes, pickles and code nested deep enough to
overflow torch's C++ stack. Each goes through the real CLI in a fresh process: one line,
exit 2, under 512 MiB. The scan's own rules are checked on small pickles and code.
"""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import pytest
import torch

from tests.analyzers.loaders.hostile_torchscript import HOSTILE_NAMES, build_corpus, write_real
from tests.analyzers.loaders.measured_cli import assert_refused_within_bounds, check_measured
from trnport.analyzers.errors import InputError
from trnport.analyzers.loaders.torch.torchscript_limits import (
    TorchScriptLimits,
    check_torchscript_archive,
)

REFUSALS = {
    "storage-bomb": "compressed entries inflate beyond 64 MiB",
    "pickle-string-bomb": "compressed entries inflate beyond 64 MiB",
    "pickle-many-lists": "more than 2,",
    "pickle-deep-tuples": "nests objects deeper than 1000 levels",
    "pickle-deep-lists": "nests objects deeper than 1000 levels",
    "pickle-self-holding-list": "nests objects deeper than 1000 levels",
    "code-bomb": "compressed entries inflate beyond 64 MiB",
    "code-deep-brackets": "nests brackets deeper than 200",
    "code-unary-chain": "chains more than 1000 operators",
    "code-operator-chain": "chains more than 1000 operators",
    "code-deep-lists": "nests brackets deeper than 200",
    "code-nested-ifs": "indents deeper than 1000 columns",
}


def test_every_hostile_archive_has_an_expected_refusal():
    assert sorted(REFUSALS) == HOSTILE_NAMES


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("hostile-torchscript"))


@pytest.mark.slow
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_archive_is_refused_in_one_line_within_the_memory_bound(corpus, name):
    assert_refused_within_bounds(corpus[name], REFUSALS[name])


def test_the_archive_the_corpus_is_made_from_is_analysed(tmp_path):
    code, stdout, stderr, _peak = check_measured(write_real(tmp_path / "real.pt"))
    assert code == 0, stderr
    assert json.loads(stdout)["model"]["format"] == "torchscript"


# ---- the rules, on small inputs -----------------------------------------------------------
def _archive(tmp_path: Path, entries: dict[str, bytes],
             compression: int = zipfile.ZIP_STORED) -> tuple[Path, zipfile.ZipFile]:
    path = tmp_path / "m.pt"
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(f"m/{name}", data)
    return path, zipfile.ZipFile(path)


def _check(tmp_path: Path, entries: dict[str, bytes], **limits: int) -> None:
    path, archive = _archive(tmp_path, entries)
    with archive:
        check_torchscript_archive(path, archive, TorchScriptLimits(**limits))


def _nested(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_up_to_the_limit_passes_and_one_more_level_is_refused(tmp_path):
    _check(tmp_path, {"data.pkl": pickle.dumps(_nested(10), protocol=2)}, max_nesting=10)
    with pytest.raises(InputError, match="deeper than 10 levels"):
        _check(tmp_path, {"data.pkl": pickle.dumps(_nested(11), protocol=2)}, max_nesting=10)


def test_nesting_built_through_the_memo_after_the_fact_counts(tmp_path):
    # lists made empty and memoized, then each appended into the one before it: the pickle
    # nests them only through memo references, long after each list was created
    lists = 12
    body = b"".join(b"]q" + bytes([i]) for i in range(lists))  # EMPTY_LIST, BINPUT i
    body += b"0" * lists  # POP them all: from here on they are reachable through the memo only
    body += b"".join(b"h" + bytes([i]) + b"h" + bytes([i + 1]) + b"a0" for i in range(lists - 1))
    data = b"\x80\x02" + body + b"h\x00."
    assert pickle.loads(data) == _nested_lists(lists)
    _check(tmp_path, {"data.pkl": data}, max_nesting=lists)
    with pytest.raises(InputError, match="deeper than 10 levels"):
        _check(tmp_path, {"data.pkl": data}, max_nesting=10)


def _nested_lists(count: int) -> list:
    value: list = []
    for _ in range(count - 1):
        value = [value]
    return value


def test_wide_pickles_are_not_deep(tmp_path):
    state = {f"layer{i}.weight": [[1.0, 2.0], (3, 4)] for i in range(2000)}
    _check(tmp_path, {"data.pkl": pickle.dumps(state, protocol=2)}, max_nesting=4)


def test_opcodes_beyond_the_limit_are_refused(tmp_path):
    with pytest.raises(InputError, match="more than 50 opcodes"):
        _check(tmp_path, {"data.pkl": pickle.dumps(list(range(100)), protocol=2)},
               max_pickle_ops=50, pickle_ops_per_byte=0)


def test_a_malformed_pickle_is_refused_in_one_line(tmp_path):
    with pytest.raises(InputError, match=r"data\.pkl is not a valid pickle"):
        _check(tmp_path, {"data.pkl": b"\x80\x02]"})


def test_compressed_entries_are_bounded_by_what_they_inflate_to(tmp_path):
    path, archive = _archive(tmp_path, {"data/0": b"\0" * 5000}, zipfile.ZIP_DEFLATED)
    with archive, pytest.raises(InputError, match="inflate beyond"):
        check_torchscript_archive(path, archive, TorchScriptLimits(max_inflated_bytes=4096))


@pytest.mark.parametrize(("code", "match"), [
    ("def f(x):\n    return " + "(" * 6 + "x" + ")" * 6 + "\n", "brackets deeper than 5"),
    ("def f(x):\n    return " + "-" * 6 + "x\n", "more than 5 operators"),
    ("def f(x):\n    return (x +\n x +\n x +\n x +\n x +\n x +\n x)\n", "more than 5 operators"),
    ("def f(x):\n" + "".join("  " * (i + 1) + "if x:\n" for i in range(4)) + "  " * 5
     + "pass\n", "indents deeper than 8 columns"),
])
def test_code_nesting_rules(tmp_path, code, match):
    with pytest.raises(InputError, match=match):
        _check(tmp_path, {"code/__torch__.py": code.encode()}, max_brackets=5,
               max_statement_operators=5, max_indent=8)


def test_brackets_and_operators_in_strings_and_comments_are_text(tmp_path):
    code = ('def f(x):\n    y = "((((((----- [[[[[["  # ))))))+++++++\n'
            "    return x  # (((((((\n")
    _check(tmp_path, {"code/__torch__.py": code.encode()}, max_brackets=2,
           max_statement_operators=3)


def test_statements_reset_the_operator_count(tmp_path):
    code = "def f(x):\n" + "    x = x + x + x\n" * 50 + "    return x\n"
    _check(tmp_path, {"code/__torch__.py": code.encode()}, max_statement_operators=4)


def test_a_real_traced_transformer_is_within_every_limit(tmp_path):
    transformers = pytest.importorskip("transformers")
    config = transformers.GPT2Config(n_layer=4, n_embd=32, n_head=2, vocab_size=100,
                                     n_positions=32)
    model = transformers.GPT2LMHeadModel(config).eval()

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return self.model(ids, return_dict=False, use_cache=False)[0]

    traced = torch.jit.trace(Logits(), torch.randint(0, 100, (1, 8)), strict=False)
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer)
    path = tmp_path / "gpt2.pt"
    path.write_bytes(buffer.getvalue())
    with zipfile.ZipFile(path) as archive:
        check_torchscript_archive(path, archive)
