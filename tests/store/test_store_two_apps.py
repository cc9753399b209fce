"""Two app processes on one database see each other's records within one refresh (issue 13,
"Done when"), as two replicas of a hospital's deployment would: a real browser records a
dose given on one, and the other shows it when its page is next drawn. Run on PostgreSQL
(the hospital's case) and on one SQLite file shared by two processes."""

from __future__ import annotations

import os
import re

import pandas as pd
import pytest

from dashboard.demo.files import demo_input_files
from dashboard.store import import_ward, upgrade
from dashboard.store.database import Store, make_engine
from tests.test_browser import (  # noqa: F401 (pytest-playwright's fixtures, set for Chromium)
    IDLE,
    browser_context_args,
    browser_type_launch_args,
    free_port,
    start_streamlit,
)

PATIENT = "DEMO-02"  # clear on the demo ward: "Record given" needs no override
NOTHING_YET = "Nothing recorded on this monitor yet for this patient."
HISTORY = "Every event as recorded, newest first"

pytestmark = pytest.mark.browser


def _next_dose(page) -> tuple[int, int]:
    """(cycle, dose) of "Next dose: cycle 1, dose 12; the monitor shows ..." on the page."""
    text = page.get_by_text("Next dose: cycle").inner_text()
    cycle, dose = re.search(r"cycle (\d+), dose (\d+)", text).groups()
    return int(cycle), int(dose)


def test_a_dose_recorded_on_one_app_process_shows_on_the_other(browser, store_url, tmp_path):
    migrating = Store(make_engine(store_url))
    upgrade(migrating)
    now = pd.Timestamp.now(tz="UTC")
    import_ward(migrating, demo_input_files(now), who="test", timezone="America/New_York")
    migrating.dispose()
    env = {k: v for k, v in os.environ.items() if k not in ("IL2_DATA_SOURCE", "IL2_DATABASE_PATH")}
    env |= {"IL2_DATABASE_URL": store_url, "IL2_NO_LOGIN": "1"}
    processes = []
    try:
        urls = []
        for name in ("a", "b"):
            port = free_port()
            processes.append(start_streamlit(port, env, tmp_path / f"streamlit-{name}.log"))
            urls.append(f"http://127.0.0.1:{port}/patient?patient={PATIENT}")
        on_a, on_b = (browser.new_page(viewport={"width": 1366, "height": 2400}) for _ in urls)
        on_b.goto(urls[1])
        on_b.wait_for_selector(IDLE, timeout=90_000)
        on_b.get_by_text(NOTHING_YET).wait_for(timeout=60_000)
        before = _next_dose(on_b)

        on_a.goto(urls[0])
        on_a.wait_for_selector(IDLE, timeout=90_000)
        on_a.get_by_role("button", name="Record given").click()
        on_a.get_by_text("Recorded #1: dose").wait_for(timeout=60_000)

        on_b.reload()  # one refresh of the other process's page
        on_b.wait_for_selector(IDLE, timeout=90_000)
        on_b.get_by_text(HISTORY).wait_for(timeout=60_000)
        assert on_b.get_by_text(NOTHING_YET).count() == 0
        # Not only the history (read fresh): B's assessment moved on to the next dose.
        assert _next_dose(on_b) == (before[0], before[1] + 1)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)
