"""Headless Chromium for report tests, and a small PNG reader to check its screenshots.

Tests that need Chromium skip with a visible reason when it is missing, except under
``CI=true``, where a missing browser is a failure (CI must install Debian's ``chromium``).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--disable-extensions", "--mute-audio",
)


def chromium() -> str:
    """The Chromium binary, or skip (fail under CI=true) when there is none."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found:
        return found
    message = "headless Chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI must have it")
    pytest.skip(message)


def _run(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="trnport-chromium-") as profile:
        return subprocess.run(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=timeout, check=False,
        )


def _url(page: Path, fragment: str) -> str:
    return page.resolve().as_uri() + (f"#{fragment}" if fragment else "")


def dump_dom(page: Path, fragment: str = "") -> str:
    """The page's DOM after its scripts ran, as Chromium serialises it (``fragment``: the
    part of the URL after ``#``)."""
    result = _run("--virtual-time-budget=3000", "--dump-dom", _url(page, fragment))
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 2400,
               dark: bool = False, fragment: str = "") -> Path:
    """Render ``page`` and save a ``width`` × ``height`` screenshot to ``png``; ``dark``
    renders it for a reader whose system prefers a dark colour scheme."""
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    result = _run("--virtual-time-budget=3000", f"--window-size={width},{height}",
                  *(("--force-dark-mode",) if dark else ()),
                  f"--screenshot={png}", _url(page, fragment))
    assert result.returncode == 0 and png.is_file(), result.stderr[-2000:]
    return png


def run_harness(html: str, script: str, folder: Path) -> dict:
    """Add ``script`` to the page (admitted by the page's CSP through its hash), load it and
    return the JSON the script left in ``<pre id="harness">``."""
    import base64
    import hashlib
    import json
    import re

    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    html = re.sub(r"(script-src 'sha256-[^']+')", rf"\1 'sha256-{digest}'", html)
    html = html.replace("</body>", f"<script>{script}</script></body>")
    page = folder / "harness.html"
    page.write_text(html, encoding="utf-8")
    found = re.search(r'<pre id="harness">(.*?)</pre>', dump_dom(page), re.S)
    assert found, "the harness script did not run"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<")
                      .replace("&gt;", ">").replace("&amp;", "&"))


def print_pdf(page: Path, pdf: Path) -> Path:
    """Print ``page`` to ``pdf`` as Chromium's print dialog would (print CSS applies)."""
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.unlink(missing_ok=True)
    result = _run("--virtual-time-budget=3000", "--no-pdf-header-footer",
                  f"--print-to-pdf={pdf}", page.resolve().as_uri())
    assert result.returncode == 0 and pdf.is_file(), result.stderr[-2000:]
    return pdf


def pdf_text(pdf: Path) -> str | None:
    """The PDF's text in reading order (poppler's pdftotext), or None without it."""
    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    result = subprocess.run([tool, "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _paeth(left: int, up: int, up_left: int) -> int:
    estimate = left + up - up_left
    pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - up_left)
    if pa <= pb and pa <= pc:
        return left
    return up if pb <= pc else up_left


def png_rows(path: Path, max_rows: int) -> tuple[int, int, int, list[bytes]]:
    """(width, height, channels, the first ``max_rows`` decoded rows) of an 8-bit RGB or
    RGBA PNG, without an imaging library."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    position, idat, header = 8, bytearray(), None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompressobj().decompress(bytes(idat), (stride + 1) * max_rows)
    rows, previous = [], bytearray(stride)
    for index in range(min(max_rows, height)):
        start = index * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up_left = previous[i - channels] if i >= channels else 0
            predictor = (0, left, previous[i], (left + previous[i]) // 2,
                         _paeth(left, previous[i], up_left))[kind]
            line[i] = (line[i] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def pixel_colours(path: Path, max_rows: int = 420) -> set[tuple[int, int, int]]:
    """The distinct RGB colours in the top ``max_rows`` rows of a screenshot."""
    _, _, channels, rows = png_rows(path, max_rows)
    colours = set()
    for row in rows:
        for i in range(0, len(row), channels * 2):  # every other pixel is plenty
            colours.add((row[i], row[i + 1], row[i + 2]))
    return colours
