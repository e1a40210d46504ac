"""A separate process saving sessions into a history database, for the concurrency tests.

    python -m tests.app.history.history_writer DB_URL COUNT FINDINGS TAG

Saves COUNT sessions (0: until killed), each with FINDINGS findings, on models named
after TAG; prints "ready" once the store is open and "saved ID" after each commit.
"""

from __future__ import annotations

import sys

from tests.app.history.history_samples import many_findings, memory_section, report
from trnport.app.history import open_store


def main(argv: list[str]) -> int:
    db_url, count, finding_count, tag = argv[0], int(argv[1]), int(argv[2]), argv[3]
    findings = many_findings(finding_count)
    with open_store(db_url) as store:
        print("ready", flush=True)
        number = 0
        while count == 0 or number < count:
            saved = store.save_session(report(f"/models/{tag}-{number % 5}.onnx", findings,
                                              memory=memory_section(10_000 + number)))
            print(f"saved {saved.id}", flush=True)
            number += 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
