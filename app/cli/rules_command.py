"""trnport rules: list the finding codes, or print one rule's documentation."""

from __future__ import annotations

import argparse

from trnport.app.cli.exit_codes import OK
from trnport.app.cli.parser import UsageError

HELP = "list finding codes or explain one (trnport rules TRN101)"


def register(subparsers) -> None:
    parser = subparsers.add_parser("rules", help=HELP, description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("code", nargs="?", help="a code (TRN101) or symbol (unsupported-op)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from trnport.analyzers.rules import all_rules, find_rule
    from trnport.analyzers.rules.docs import rule_markdown

    if args.code is None:
        for module in all_rules():
            info = module.INFO
            print(f"{info.code}  {info.symbol:<34} {info.severity:<8} {info.title}")
        return OK
    module = find_rule(args.code)
    if module is None:
        raise UsageError(f"no rule {args.code!r}; 'trnport rules' lists them")
    print(rule_markdown(module), end="")
    return OK
