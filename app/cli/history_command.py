"""trnport history: the porting sessions saved by every check, and what changed between them.

  trnport history list [--model PATH]          sessions, newest first
  trnport history show ID                      one session's findings and figures
  trnport history diff A B                     fixed / new / still-open findings, deltas
  trnport history recheck ID --sdk 2.32        analyse that model again under another SDK
  trnport history export -o history.json       every session's full report
  trnport history prune --keep 20              drop old sessions (or --before 2025-01-01)
  trnport history check                        SQLite's full integrity check of the file

Every command first runs SQLite's quick check on an existing file and refuses a damaged
one without writing to it (exit 2); 'history check' runs the full integrity check and lists
what it finds (exit 0 when the file is sound, 2 when it is damaged).

The database is history.db in the user data folder unless --db or $TRNPORT_DB names
another SQLite file or a postgresql:// server.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from trnport.app.cli.exit_codes import OK
from trnport.app.cli.output import write_atomic
from trnport.app.cli.parser import OneLineParser, positive_int

HELP = "list, show, compare, re-check, export and prune saved analysis sessions"
NO_HISTORY_ENV = "TRNPORT_NO_HISTORY"
FORMATS = ("text", "json")


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """The ``--db URL`` option, for every command that reads or writes the history."""
    parser.add_argument("--db", metavar="URL", default=None,
                        help="history database: a SQLite file path or a postgresql:// URL "
                        "(default: $TRNPORT_DB, else history.db in the user data folder)")


def history_enabled(no_history: bool = False) -> bool:
    """Whether an analysis should be saved: not with ``--no-history`` nor with
    ``TRNPORT_NO_HISTORY`` set to 1/true/yes. Imports nothing heavy."""
    flag = os.environ.get(NO_HISTORY_ENV, "").strip().lower()
    return not no_history and flag not in ("1", "true", "yes", "on")


def _before_date(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date like 2025-01-31 or 2025-01-31T12:00, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _session_id(text: str) -> int:
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        message = f"expected a session id (a number), got {text!r}"
        raise argparse.ArgumentTypeError(message) from None


def register(subparsers) -> None:
    parser = subparsers.add_parser("history", help=HELP, description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="history_action", metavar="ACTION", required=True,
                                    parser_class=OneLineParser)
    common = argparse.ArgumentParser(add_help=False)
    add_db_option(common)

    listing = actions.add_parser("list", parents=[common], help="sessions, newest first")
    listing.add_argument("--model", metavar="PATH", help="only sessions of this model "
                         "(a path, or the model file's sha256)")
    listing.add_argument("--limit", type=positive_int, metavar="N", help="at most N sessions")
    listing.add_argument("--format", choices=FORMATS, default="text")
    listing.set_defaults(handler=run_list)

    show = actions.add_parser("show", parents=[common], help="one session in full")
    show.add_argument("session", type=_session_id, metavar="ID")
    show.add_argument("--format", choices=FORMATS, default="text")
    show.set_defaults(handler=run_show)

    diff = actions.add_parser("diff", parents=[common], help="compare two sessions")
    diff.add_argument("before", type=_session_id, metavar="A")
    diff.add_argument("after", type=_session_id, metavar="B")
    diff.add_argument("--format", choices=FORMATS, default="text")
    diff.set_defaults(handler=run_diff)

    recheck = actions.add_parser("recheck", parents=[common],
                                 help="analyse a session's model under another SDK profile")
    recheck.add_argument("session", type=_session_id, metavar="ID")
    recheck.add_argument("--sdk", required=True, help="the Neuron SDK profile, e.g. 2.32")
    recheck.add_argument("--trust-code", action="store_true",
                         help="allow running a Python model file (it executes its code)")
    recheck.add_argument("--no-history", action="store_true",
                         help="do not save the new analysis as a session")
    recheck.add_argument("--format", choices=FORMATS, default="text")
    recheck.set_defaults(handler=run_recheck)

    export = actions.add_parser("export", parents=[common],
                                help="every session's full report as JSON")
    export.add_argument("--format", choices=("json",), default="json")
    export.add_argument("--output", "-o", type=Path, metavar="FILE",
                        help="write here instead of standard output")
    export.set_defaults(handler=run_export)

    check = actions.add_parser("check", parents=[common],
                               help="run SQLite's full integrity check on the database file")
    check.set_defaults(handler=run_check)

    prune = actions.add_parser("prune", parents=[common], help="delete old sessions")
    which = prune.add_mutually_exclusive_group(required=True)
    which.add_argument("--keep", type=positive_int, metavar="N",
                       help="keep the newest N sessions of each model")
    which.add_argument("--before", type=_before_date, metavar="DATE",
                       help="delete sessions older than DATE (UTC unless it says otherwise)")
    prune.set_defaults(handler=run_prune)


def _print_text(text: str) -> None:
    """A history listing for the terminal: model paths and names escaped line by line."""
    from trnport.analyzers.results.printable import printable

    sys.stdout.write("\n".join(printable(line) for line in text.split("\n")))


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def run_list(args) -> int:
    from trnport.app.history import open_store
    from trnport.app.history.render import list_to_dict, render_list

    with open_store(args.db) as store:
        sessions = store.list_sessions(args.model, limit=args.limit)
    if args.format == "json":
        _print_json(list_to_dict(sessions))
    else:
        _print_text(render_list(sessions))
    return OK


def run_show(args) -> int:
    from trnport.app.history import open_store
    from trnport.app.history.render import detail_to_dict, render_detail

    with open_store(args.db) as store:
        detail = store.get_session(args.session)
    if args.format == "json":
        _print_json(detail_to_dict(detail))
    else:
        _print_text(render_detail(detail))
    return OK


def run_diff(args) -> int:
    from trnport.app.history import open_store
    from trnport.app.history.render import diff_to_dict, render_diff

    with open_store(args.db) as store:
        diff = store.diff_sessions(args.before, args.after)
    if args.format == "json":
        _print_json(diff_to_dict(diff))
    else:
        _print_text(render_diff(diff))
    return OK


def run_recheck(args) -> int:
    from trnport.app.history import open_store
    from trnport.app.history.recheck import recheck
    from trnport.app.history.render import diff_to_dict, render_diff

    save = history_enabled(args.no_history)
    with open_store(args.db) as store:
        result = recheck(store, args.session, args.sdk, trust_code=args.trust_code, save=save)
    saved = result.after.summary.id
    if args.format == "json":
        _print_json({**diff_to_dict(result.diff), "saved_session": saved})
    else:
        _print_text(render_diff(result.diff))
        print(f"Saved as session {saved}." if saved is not None else "Not saved.")
    return OK


def run_export(args) -> int:
    from trnport.app.history import open_store
    from trnport.app.history.render import EXPORT_SCHEMA

    with open_store(args.db) as store:
        sessions = list(store.export())
    document = {"schema": EXPORT_SCHEMA,
                "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "sessions": sessions}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        write_atomic(args.output, text)
        print(f"Exported {len(sessions)} sessions to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return OK


def run_prune(args) -> int:
    from trnport.app.history import open_store

    with open_store(args.db) as store:
        deleted = store.prune(keep=args.keep, before=args.before)
        left = store.count_sessions()
    print(f"Deleted {deleted} sessions; {left} left.")
    return OK


def run_check(args) -> int:
    from trnport.analyzers.errors import InputError
    from trnport.app.history.recording import check_integrity

    where, problems = check_integrity(args.db)
    if not problems:
        print(f"history database {where}: ok (integrity check passed)")
        return OK
    for problem in problems:
        print(problem)
    raise InputError(f"history database {where} is damaged: the integrity check found "
                     f"{len(problems)} problem(s) (listed above)")
