"""Writing an output file without harming what the path points at.

A report or model path given by a user is not always a plain file: CI scripts pass
``/dev/stdout``, ``/dev/null`` or a FIFO, a symlink may point at the file a web server
publishes, and a disk may be full. So:

- a regular file (or a new name) is replaced atomically: a temporary file beside it is
  written, flushed to disk and renamed over it, and removed again if anything fails;
- a symlink is followed and its target written (the link itself stays);
- a character device or FIFO is opened and written through, never replaced;
- a directory, block device or socket is refused;
- ``-`` is standard output.

Every write is checked: a full disk or a closed device raises :class:`OutputError` (one
line) and no partial file is left behind.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from pathlib import Path

from trnport.analyzers.errors import InputError

STDOUT_NAME = "-"


class OutputError(InputError):
    """An output path cannot be written; ``str(error)`` names the path and the reason."""


def is_stdout(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is the ``-`` that names standard output."""
    return os.fspath(path) == STDOUT_NAME


def write_output(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` (text is encoded as UTF-8) to ``path`` as the module docstring says."""
    payload = _as_bytes(data)
    if is_stdout(path):
        _write_stdout(payload)
        return
    target = Path(path)
    try:
        if target.is_symlink():
            target = Path(os.path.realpath(target))
        kind = _kind(target)
        if kind == "stream":
            _write_through(target, payload)
        elif kind == "file":
            _replace_atomically(target, payload)
        else:
            raise OutputError(f"cannot write {shown(path)}: it is {kind}; name a file")
    except OSError as error:
        raise OutputError(f"cannot write {shown(path)}: {_reason(error)}") from None


def shown(path: str | os.PathLike[str]) -> str:
    """``path`` as printable text: bytes that are not UTF-8 as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _as_bytes(data: str | bytes) -> bytes:
    if isinstance(data, bytes):
        return data
    # a lone surrogate (a file name that is not UTF-8) is written escaped, never refused
    return data.encode("utf-8", "backslashreplace")


def _kind(path: Path) -> str:
    """``file`` (regular or absent), ``stream`` (character device, FIFO) or what it is."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "file"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "neither a file nor a stream"


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # a device that accepts nothing is as good as full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def _write_through(path: Path, payload: bytes) -> None:
    # no O_CREAT and no O_TRUNC: the node exists and is not ours to recreate
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        _write_all(fd, payload)
    finally:
        os.close(fd)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _replace_atomically(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            _write_all(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        # mkstemp creates the file private (0600); an output gets the usual permissions
        os.chmod(tmp_name, 0o666 & ~_current_umask())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _write_stdout(payload: bytes) -> None:
    sys.stdout.flush()
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:  # a text-only stand-in (tests, an embedding GUI)
        sys.stdout.write(payload.decode("utf-8", "backslashreplace"))
        sys.stdout.flush()
        return
    stream.write(payload)
    stream.flush()


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__
