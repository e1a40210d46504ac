"""The command line on a terminal and in a pipe: a progress line and colour only where a
person reads them (and never with NO_COLOR, --color never or --quiet), and a reader that
closes the pipe early ends the run quietly."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys

from tests.helpers import REPO, SAMPLES, run_cli

ESCAPE = re.compile(r"\x1b\[")
MODEL = str(SAMPLES / "tiny_cnn.onnx")


def _on_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the CLI with stdout and stderr each on its own pseudo-terminal."""
    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty()
    full_env = {**os.environ, "TERM": "xterm-256color", **(env or {})}
    for name in ("NO_COLOR", "TRNPORT_DEBUG"):
        if name not in (env or {}):
            full_env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "trnport.app.cli.main", *args],
                            stdout=out_slave, stderr=err_slave, stdin=subprocess.DEVNULL,
                            cwd=REPO, env=full_env)
    os.close(out_slave)
    os.close(err_slave)
    chunks: dict[int, list[bytes]] = {out_master: [], err_master: []}
    open_fds = [out_master, err_master]
    while open_fds:
        ready, _, _ = select.select(open_fds, [], [], 300)
        if not ready:
            break
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the other end closed
                data = b""
            if data:
                chunks[fd].append(data)
            else:
                open_fds.remove(fd)
    code = proc.wait(timeout=300)
    for fd in (out_master, err_master):
        os.close(fd)
    return (code, b"".join(chunks[out_master]).decode(errors="replace"),
            b"".join(chunks[err_master]).decode(errors="replace"))


def test_a_terminal_shows_progress_on_stderr_and_a_coloured_report():
    code, out, err = _on_terminal("check", MODEL, "--no-history")
    assert code == 1  # the sample has errors
    assert "Checking operator coverage" in err and "%" in err
    assert ESCAPE.search(out) and "FIX FIRST" in out


def test_no_color_and_color_never_give_plain_text_on_a_terminal():
    for args, env in ((("check", MODEL, "--no-history"), {"NO_COLOR": "1"}),
                      (("check", MODEL, "--no-history", "--color", "never"), None)):
        code, out, _ = _on_terminal(*args, env=env)
        assert code == 1
        assert not ESCAPE.search(out), args
        assert "verdict: BLOCKED" in out


def test_quiet_on_a_terminal_prints_no_progress():
    code, out, err = _on_terminal("check", MODEL, "--no-history", "--quiet")
    assert code == 1 and out == ""
    assert "Checking operator coverage" not in err


def test_a_pipe_gets_neither_progress_nor_colour_unless_asked():
    plain = run_cli("check", MODEL, "--no-history")
    assert plain.code == 1 and plain.stderr == ""
    assert not ESCAPE.search(plain.stdout)
    forced = run_cli("check", MODEL, "--no-history", "--color", "always")
    assert ESCAPE.search(forced.stdout)


def test_a_reader_that_closes_the_pipe_ends_the_run_quietly():
    for args in (("rules",), ("kb", "ops")):
        proc = subprocess.Popen([sys.executable, "-m", "trnport.app.cli.main", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
        first = proc.stdout.readline()
        proc.stdout.close()  # as `| head -1` does
        stderr = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 0, stderr
        assert first and stderr == "", args


def test_help_lists_the_desktop_app():
    result = run_cli("--help")
    assert result.code == 0
    assert re.search(r"^\s+gui\s+open the desktop app", result.stdout, re.M)
