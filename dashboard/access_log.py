"""The access log: who opened which page or patient, and what they did, when (UTC).

One JSON object per line in a file (IL2_ACCESS_LOG). The store issue moves this into the
database; every writer goes through :func:`record`, so only this module changes then.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

_LOCK = threading.Lock()  # one server, many sessions: lines must not interleave


def record(
    path: Path,
    *,
    who: str,
    role: str,
    action: str,
    page: str | None = None,
    patient: str | None = None,
    when: datetime | None = None,
) -> dict[str, str | None]:
    """Append one entry and return it. Raises OSError when the log cannot be written: an
    access that cannot be logged must not go on silently (the caller decides)."""
    entry = {
        "when": (when or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
        "who": who,
        "role": role,
        "action": action,
        "page": page,
        "patient": patient,
    }
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(line)
    return entry


def read(path: Path) -> list[dict]:
    """Every entry of the log, oldest first (for tests and audits)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
