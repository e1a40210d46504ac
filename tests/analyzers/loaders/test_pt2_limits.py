"""Untrusted .pt2 archives are bounded while they are read.

The corpus (hostile_archives) is built in code: each file is under 10 MB and expands to
hundreds of megabytes or millions of values. Each is checked through the real CLI in a
fresh process whose peak memory is read with getrusage (measured_cli): one line, exit 2, and
less than 512 MiB used before the refusal (a bound, not a timing).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import torch

from tests.analyzers.loaders import torch_fixtures as fx
from tests.analyzers.loaders.hostile_archives import build_corpus, with_weights_config_bomb
from tests.analyzers.loaders.measured_cli import (
    PEAK_LIMIT_MIB,
    SIZE_LIMIT_BYTES,
    assert_refused_within_bounds,
    check_measured,
)
from trnport.analyzers.errors import InputError
from trnport.analyzers.loaders.torch import bounded_json
from trnport.analyzers.loaders.torch.bounded_json import JsonLimits, read_bounded_json

REFUSALS = {
    "huge-string": "program JSON is",
    "huge-list": "program JSON is",
    "deep-nesting": "nests deeper than 64 levels",
    "many-small-objects": "holds more than",
    "strings-full-of-brackets": "program JSON is",
    "just-under-the-limits": "does not match torch's schema",
    "format-marker-bomb": "not a torch.export .pt2 archive",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("hostile"))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_hostile_archive_is_refused_in_one_line_within_the_memory_bound(corpus, name):
    assert_refused_within_bounds(corpus[name], REFUSALS[name])


@pytest.mark.slow
def test_a_weights_config_bomb_is_ignored_and_the_program_analysed(tmp_path):
    program = torch.export.export(fx.SmallCNN().eval(), fx.cnn_inputs(), strict=False)
    real = tmp_path / "cnn.pt2"
    torch.export.save(program, real)
    bomb = with_weights_config_bomb(real, tmp_path / "bomb.pt2")
    assert bomb.stat().st_size < SIZE_LIMIT_BYTES
    code, stdout, stderr, peak_mib = check_measured(bomb)
    assert code == 0, stderr
    assert json.loads(stdout)["model"]["format"] == "pt2"
    assert peak_mib < PEAK_LIMIT_MIB + 512, peak_mib  # a real analysis, torch included


def _member(tmp_path: Path, text: bytes) -> tuple[zipfile.ZipFile, zipfile.ZipInfo]:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("m.json", text)
    archive = zipfile.ZipFile(path)
    return archive, archive.getinfo("m.json")


@pytest.fixture(params=[1 << 20, 3])
def chunk_bytes(request, monkeypatch):
    """Whole reads, and three-byte reads that cut every escape and string in two."""
    monkeypatch.setattr(bounded_json, "_CHUNK_BYTES", request.param)
    return request.param


def test_brackets_and_escaped_quotes_inside_strings_are_text(tmp_path, chunk_bytes):
    text = json.dumps({"a": ['[[[[,,,,{{{{ \\" \\\\', "\\\\", '"]]'], "b": [[1, 2], {"c": 3}]})
    archive, info = _member(tmp_path, text.encode())
    limits = JsonLimits(max_bytes=1000, max_depth=3, max_values=12)
    assert json.loads(read_bounded_json(archive, info, limits, "m.json")) == json.loads(text)


def test_nesting_beyond_the_limit_is_refused(tmp_path, chunk_bytes):
    archive, info = _member(tmp_path, b'{"a": [[[["]]]]"]]]]}')
    with pytest.raises(InputError, match="nests deeper than 3 levels"):
        read_bounded_json(archive, info, JsonLimits(1000, 3, 100), "m.json")


def test_values_beyond_the_limit_are_refused(tmp_path, chunk_bytes):
    archive, info = _member(tmp_path, json.dumps(list(range(50))).encode())
    with pytest.raises(InputError, match="holds more than 40 JSON values"):
        read_bounded_json(archive, info, JsonLimits(1000, 3, 40), "m.json")


def test_bytes_beyond_the_limit_are_refused(tmp_path):
    archive, info = _member(tmp_path, b'"' + b"x" * 5000 + b'"')
    with pytest.raises(InputError, match="5002 bytes; refusing it"):
        read_bounded_json(archive, info, JsonLimits(1000, 3, 40), "m.json")
