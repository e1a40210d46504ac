"""Reading a JSON member of an untrusted zip archive within fixed limits.

A zip member's declared size is whatever the writer put there, and a few megabytes of
deflate can expand to gigabytes; JSON parsed into Python objects takes many times its text
(an empty list costs 56 bytes for its two characters). So the member is decompressed in
chunks and each chunk is measured before the next is read: the bytes so far, the nesting
depth and the number of JSON values (counted from the commas and brackets outside strings,
with numpy, so a limit costs a pass at C speed). The first limit crossed ends the read with
one line naming it; only text within every limit is ever parsed.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

import numpy as np

from trnport.analyzers.errors import InputError

_CHUNK_BYTES = 1 << 20
_STRUCTURE = b'"[]{},'
_DROPPED = bytes(b for b in range(256) if b not in _STRUCTURE)
_QUOTE, _COMMA = ord('"'), ord(",")
_OPENERS = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSERS = np.frombuffer(b"]}", dtype=np.uint8)


@dataclass(frozen=True)
class JsonLimits:
    """How much of a JSON member is read before it is refused."""

    max_bytes: int
    max_depth: int
    max_values: int


class _Meter:
    """The running state of the scan across chunks."""

    def __init__(self, limits: JsonLimits, what: str) -> None:
        self.limits, self.what = limits, what
        self.size = self.depth = self.values = 0
        self.in_string = False
        self.pending = b""  # a run of backslashes cut by the chunk boundary

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limits.max_bytes:
            raise InputError(f"{self.what} expands to more than {self.limits.max_bytes} bytes; "
                             "refusing it")
        text = self.pending + chunk
        kept = len(text.rstrip(b"\\"))
        text, self.pending = text[:kept], text[kept:]
        # an escaped backslash, then an escaped quote, says nothing about string bounds
        text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
        self._count(np.frombuffer(text.translate(None, _DROPPED), dtype=np.uint8))

    def _count(self, marks: np.ndarray) -> None:
        if marks.size == 0:
            return
        quotes = np.cumsum(marks == _QUOTE) + (1 if self.in_string else 0)
        outside = quotes % 2 == 0
        self.in_string = bool(quotes[-1] % 2)
        step = (np.isin(marks, _OPENERS).astype(np.int64)
                - np.isin(marks, _CLOSERS).astype(np.int64)) * outside
        depths = self.depth + np.cumsum(step)
        if int(depths.max()) > self.limits.max_depth:
            raise InputError(f"{self.what} nests deeper than {self.limits.max_depth} levels; "
                             "refusing it")
        self.depth = int(depths[-1])
        self.values += int(np.count_nonzero(((marks == _COMMA) | (step > 0)) & outside))
        if self.values > self.limits.max_values:
            raise InputError(f"{self.what} holds more than {self.limits.max_values} JSON "
                             "values; refusing it")


def read_bounded_json(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: JsonLimits,
                      what: str) -> bytearray:
    """The bytes of member ``info``, or :class:`InputError` as soon as a limit is crossed
    (``what`` names the member in the message). Truncation and CRC errors propagate as
    zipfile raises them."""
    if info.file_size > limits.max_bytes:
        raise InputError(f"{what} is {info.file_size} bytes; refusing it "
                         f"(the limit is {limits.max_bytes})")
    meter = _Meter(limits, what)
    data = bytearray()
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            meter.feed(chunk)
            data += chunk
    return data


def read_bounded(archive: zipfile.ZipFile, name: str, max_bytes: int) -> bytes | None:
    """At most ``max_bytes`` of member ``name`` (None if longer): for small marker files."""
    with archive.open(name) as stream:
        data = stream.read(max_bytes + 1)
    return None if len(data) > max_bytes else data
