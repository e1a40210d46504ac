"""The ``trnport`` console script: the desktop app for no arguments or ``gui``, the
command line for everything else. Qt is imported only on the GUI path."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run trnport; without ``argv`` (the console script), on the process's own arguments,
    and the process ends when this returns."""
    script = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] == "gui":
        from trnport.app.cli.parser import UsageError
        from trnport.app.gui.launch import run_gui

        try:
            return run_gui(argv[1:])
        except UsageError as error:
            print(f"trnport: {error}", file=sys.stderr)
            return 2
    from trnport.app.cli.main import ending
    from trnport.app.cli.main import main as cli_main

    status = cli_main(argv)
    return ending(status) if script else status


if __name__ == "__main__":
    sys.exit(main())
