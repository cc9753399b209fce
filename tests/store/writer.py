"""A separate process recording dose events (the concurrency and kill -9 tests).

    python -m tests.store.writer URL WRITER COUNT [--then-sleep]

Prints "recorded ID" after each event returns, flushed, so that the parent knows the call
returned; with --then-sleep it then waits to be killed.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from dashboard.store import open_store, record_dose_event


def main(argv: list[str]) -> None:
    url, writer, count = argv[0], argv[1], int(argv[2])
    store = open_store(url)
    for sequence in range(count):
        event = record_dose_event(
            store,
            patient_id="P001",
            cycle=1,
            dose_number=7,
            kind="given",
            at=datetime.now(UTC),
            who=writer,
            note=f"{writer} #{sequence}",
            snapshot={"status": "clear", "writer": writer, "sequence": sequence},
        )
        print(f"recorded {event.id}", flush=True)
    if "--then-sleep" in argv:
        time.sleep(600)


if __name__ == "__main__":
    main(sys.argv[1:])
