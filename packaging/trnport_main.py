"""Entry script of the desktop bundle: the ``trnport`` console script, made safe to freeze.

The analysis runs in ``spawn`` child processes (GUI worker, ``check --jobs``); in a frozen
executable the child re-runs this file, and ``freeze_support`` turns it into the worker
instead of a second copy of the app.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from trnport.app.entry import main

    sys.exit(main())
