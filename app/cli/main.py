"""The ``trnport`` command: dispatches to the subcommands and turns every failure into a
one-line message and an exit code (0 ok, 1 gate failed, 2 bad input)."""

from __future__ import annotations

import argparse
import os
import sys

from trnport.analyzers import __version__
from trnport.analyzers.errors import InputError
from trnport.analyzers.results.printable import printable
from trnport.app.cli import (
    check_command,
    doctor_command,
    evidence_command,
    history_command,
    kb_command,
    lint_command,
    rewrite_command,
    rules_command,
)
from trnport.app.cli.exit_codes import BAD_INPUT, INTERRUPTED, OK
from trnport.app.cli.parser import OneLineParser, UsageError

COMMANDS = (check_command, rules_command, history_command, kb_command, evidence_command,
            rewrite_command, lint_command, doctor_command)


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="trnport",
        description="Porting assistant for AWS Trainium and Inferentia2: which operators "
        "compile, what falls back to the host, what to rewrite — offline, in seconds.",
        epilog="'trnport --check MODEL' is the same as 'trnport check MODEL'. "
        "'trnport' alone, or 'trnport gui [MODEL] [--screenshot OUT.png]', opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"trnport {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND",
                                       parser_class=OneLineParser)
    for command in COMMANDS:
        command.register(subparsers)
    _register_gui(subparsers)
    return parser


def _register_gui(subparsers) -> None:
    """``gui`` is started by the ``trnport`` console script before this parser runs; it is
    listed here so that ``trnport --help`` names it."""
    parser = subparsers.add_parser(
        "gui", help="open the desktop app: trnport gui [MODEL] [--screenshot OUT.png "
        "[--tab TAB] [--trust-code]]", add_help=False)
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=_gui_elsewhere)


def _gui_elsewhere(args) -> int:
    raise UsageError("the desktop app starts from the trnport command: trnport gui [MODEL]")


def _normalise(argv: list[str]) -> list[str]:
    """Accept the documented ``--check`` spelling as the ``check`` command."""
    if argv and argv[0] == "--check":
        return ["check", *argv[1:]]
    return argv


def _escape_unencodable_output() -> None:
    """A file name that is not UTF-8 reaches the reports as lone surrogates; print those
    escaped instead of failing the whole run on them."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")


def _end_on_closed_pipe() -> int:
    """The reader of our output went away (``trnport rules | head -1``): it has what it
    wanted, so stop quietly with success (``check`` keeps its gate's status itself).
    Standard output points at /dev/null from here, so the flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return OK


def os_error_text(error: OSError) -> str:
    """One line for an operating-system error that no file-specific handler caught."""
    from trnport.analyzers.output_file import shown

    reason = error.strerror or str(error) or type(error).__name__
    if error.filename:
        return f"{shown(error.filename)}: {reason}"
    return f"cannot write standard output: {reason}"


def _run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    status = args.handler(args)
    sys.stdout.flush()  # a full disk under standard output fails here, not at exit
    return status


def main(argv: list[str] | None = None) -> int:
    argv = _normalise(list(sys.argv[1:] if argv is None else argv))
    _escape_unencodable_output()
    try:
        return _run(argv)
    except BrokenPipeError:
        return _end_on_closed_pipe()
    except (UsageError, InputError) as error:
        print(f"trnport: {printable(str(error))}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print("trnport: interrupted", file=sys.stderr)
        return INTERRUPTED
    except RecursionError:
        # every reader of nested input says which file nests too deeply; this is the net
        print("trnport: the input nests too deeply to read", file=sys.stderr)
        return BAD_INPUT
    except OSError as error:
        # what is left unwrapped is writing our own standard output (a full disk, an I/O
        # error): files and databases name themselves in their own errors
        print(f"trnport: {os_error_text(error)}", file=sys.stderr)
        return BAD_INPUT
    except Exception as error:  # a bug, or a framework error a loader failed to wrap
        if os.environ.get("TRNPORT_DEBUG"):
            raise
        first = (str(error).strip().splitlines() or [""])[0][:300]
        print(f"trnport: unexpected error: {type(error).__name__}: {first} "
              "(set TRNPORT_DEBUG=1 for a traceback)", file=sys.stderr)
        return BAD_INPUT


def ending(status: int) -> int:
    """``status``, with every object left alive moved out of the collector's reach, for a
    process that ends right after: the interpreter's last full collection would walk all of
    them (the IR and report of a 100k-node model: about half a CPU-second) only to find
    them alive, and exit frees them anyway. Never for a caller that goes on running."""
    import gc

    gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(ending(main()))
