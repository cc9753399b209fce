"""Two writers at once lose nothing and never interleave a half-written event; a recorded
event survives kill -9 of its writer right after the call returned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from dashboard.store import dose_events, open_store, record_dose_event

ROOT = Path(__file__).resolve().parents[2]
EACH = 25


def _whole(events, writers: list[str]) -> None:
    """Every writer's every event is there once, and each event's fields belong together."""
    assert len(events) == EACH * len(writers)
    for writer in writers:
        mine = [e for e in events if e.who == writer]
        assert sorted(e.snapshot["sequence"] for e in mine) == list(range(EACH))
        for event in mine:
            assert event.snapshot["writer"] == writer
            assert event.note == f"{writer} #{event.snapshot['sequence']}"
    assert len({e.id for e in events}) == len(events)


def _record(url: str, writer: str, errors: list) -> None:
    try:
        store = open_store(url)
        for sequence in range(EACH):
            record_dose_event(
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
        store.dispose()
    except Exception as error:  # reported by the test, not lost in a thread
        errors.append(error)


def test_two_threads_recording_at_once_lose_nothing(store, store_url):
    errors: list = []
    threads = [threading.Thread(target=_record, args=(store_url, w, errors)) for w in "AB"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _whole(dose_events(store), ["A", "B"])


def _writer(url: str, name: str, count: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.writer", url, name, str(count), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_two_processes_recording_at_once_lose_nothing(store, store_url):
    writers = [_writer(store_url, name, EACH) for name in ("P", "Q")]
    for process in writers:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.count("recorded") == EACH
    _whole(dose_events(store), ["P", "Q"])


def test_a_recorded_event_survives_kill_9_of_its_writer(store, store_url):
    process = _writer(store_url, "K", 1, "--then-sleep")
    line = process.stdout.readline()
    os.kill(process.pid, signal.SIGKILL)  # right after the call returned
    process.wait(timeout=30)
    process.stdout.close()
    if process.stderr is not None:
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    recorded = int(line.split()[1])
    reopened = open_store(store_url)
    try:
        [event] = dose_events(reopened)
    finally:
        reopened.dispose()
    assert (event.id, event.who, event.note) == (recorded, "K", "K #0")
