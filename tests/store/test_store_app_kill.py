"""A dose recorded on screen survives the app being killed right after (issue 13, "Done
when"): the app runs as a process on a SQLite file and on PostgreSQL (fresh schema), a
real browser records a dose given, the process gets SIGKILL the moment the page confirms,
and the event is in the store when it is opened again."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest

from dashboard.demo.files import demo_input_files
from dashboard.store import dose_events, import_ward, open_store, upgrade
from dashboard.store.database import Store, make_engine
from tests.test_browser import (  # noqa: F401 (pytest-playwright's fixtures, set for Chromium)
    IDLE,
    browser_context_args,
    browser_type_launch_args,
    free_port,
    start_streamlit,
)

PATIENT = "DEMO-02"  # clear on the demo ward: "Record given" needs no override

pytestmark = pytest.mark.browser


def test_a_dose_recorded_in_the_browser_survives_kill_9(page, store_url, tmp_path):
    migrating = Store(make_engine(store_url))
    upgrade(migrating)  # a PostgreSQL schema is made on purpose, never by the app
    # The demo's patients as the ward's record, "now" at the story's "now".
    now = pd.Timestamp.now(tz="UTC")
    import_ward(migrating, demo_input_files(now), who="test", timezone="America/New_York")
    migrating.dispose()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("IL2_DATA_SOURCE", "IL2_DATABASE_PATH")}
    env["IL2_DATABASE_URL"] = store_url
    env["IL2_NO_LOGIN"] = "1"  # real data (the ward's record holds patients), on purpose
    process = start_streamlit(port, env, tmp_path / "streamlit.log")
    url = f"http://127.0.0.1:{port}"
    try:
        page.set_viewport_size({"width": 1366, "height": 2400})
        page.goto(f"{url}/patient?patient={PATIENT}")
        page.wait_for_selector(IDLE, timeout=90_000)
        page.get_by_role("button", name="Record given").click()
        try:
            page.get_by_text("Recorded #1: dose").wait_for(timeout=60_000)
        except Exception:
            page.screenshot(path=str(tmp_path / "not-recorded.png"))
            raise
        os.kill(process.pid, signal.SIGKILL)  # no shutdown, no flush: the commit must hold
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    reopened = open_store(store_url)
    try:
        (event,) = dose_events(reopened, PATIENT)
    finally:
        reopened.dispose()
    assert event.kind == "given" and event.who == "no sign-in (demo)"
    assert event.snapshot["status"] == "clear"
