"""Tell whether a PNG shows something: exit 0 if its pixels are not all one colour.

Standard library only, so the smoke test can run beside a bundle on a machine without the
project's venv. Reads the 8-bit, non-interlaced RGB/RGBA/grey files Qt writes.
Usage: python3 png_stats.py FILE.png
"""

from __future__ import annotations

import struct
import sys
import zlib

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytes]:
    stride = width * bpp
    rows, previous, pos = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            add = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
            line[i] = (line[i] + add) & 0xFF
        rows.append(bytes(line))
        previous = line
    return rows


def distinct_colours(path: str, limit: int = 16) -> tuple[int, int, int]:
    """(width, height, number of distinct pixel values, counted up to ``limit``)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or interlace or colour not in CHANNELS:
        raise ValueError(f"unsupported PNG layout (depth {depth}, colour type {colour})")
    bpp = CHANNELS[colour]
    seen: set[bytes] = set()
    for row in _unfilter(zlib.decompress(idat), width, height, bpp):
        for x in range(0, len(row), bpp * 7):  # a sample of pixels is plenty
            seen.add(row[x:x + bpp])
        if len(seen) >= limit:
            break
    return width, height, len(seen)


def main(argv: list[str]) -> int:
    width, height, colours = distinct_colours(argv[1])
    print(f"{argv[1]}: {width}x{height}, {colours}{'+' if colours >= 16 else ''} colours")
    return 0 if width > 0 and height > 0 and colours > 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
