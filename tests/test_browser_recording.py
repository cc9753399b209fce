"""The dose record in a real browser (issue 13, "Done when"): record a dose held, correct
it, give a dose the monitor shows as HOLD (refused without the physician's reason, then
recorded as an override), and a bedside entry refused with the field named, then saved.
The app runs on a ward's record holding the demo's patients, with no sign-in on purpose
(the unsigned user has every role, a physician's included)."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from dashboard.demo.files import demo_input_files
from dashboard.store import dose_events, import_ward, load_frames, open_store
from tests.test_browser import (  # noqa: F401 (pytest-playwright's fixtures, set for Chromium)
    IDLE,
    browser_context_args,
    browser_type_launch_args,
    free_port,
    start_streamlit,
)

pytestmark = pytest.mark.browser
CLEAR = "DEMO-02"
HOLD = "DEMO-01"  # SBP 74 mmHg: HOLD under the label


def _open(page, url: str, patient: str) -> None:
    page.goto(f"{url}/patient?patient={patient}")
    page.wait_for_selector(IDLE, timeout=90_000)
    page.get_by_text("Dose record").first.wait_for(timeout=60_000)


def _idle(page) -> None:
    page.wait_for_timeout(300)  # the click's rerun starts
    page.wait_for_selector(IDLE, timeout=90_000)


def test_held_corrected_override_and_bedside_entry_in_a_real_browser(page, tmp_path):
    database = tmp_path / "ward.sqlite3"
    store = open_store(f"sqlite:///{database}", upgrade_if_new=True)
    now = pd.Timestamp.now(tz="UTC")
    import_ward(store, demo_input_files(now), who="test", timezone="America/New_York")
    env = {k: v for k, v in os.environ.items() if k != "IL2_DATA_SOURCE"}
    env |= {"IL2_DATABASE_PATH": str(database), "IL2_NO_LOGIN": "1"}
    port = free_port()
    process = start_streamlit(port, env, tmp_path / "streamlit.log")
    url = f"http://127.0.0.1:{port}"
    page.set_viewport_size({"width": 1366, "height": 3000})
    try:
        # Held, then corrected to delayed... as "given" by mistake, then back: a correction
        # is a new event naming the one it corrects.
        _open(page, url, CLEAR)
        page.get_by_role("tab", name="Held").click()
        _idle(page)
        page.get_by_label("Other reason").fill("patient asleep, family request")
        page.get_by_role("button", name="Record held").click()
        page.get_by_text("Recorded #1: dose").wait_for(timeout=60_000)
        _idle(page)
        page.get_by_text("Correct a recorded event").click()
        _idle(page)
        page.get_by_label("Reason (held or delayed)").fill("held for the night team")
        page.get_by_role("button", name="Record correction").click()
        page.get_by_text("say why this correction is made").wait_for(timeout=60_000)
        page.get_by_label("Why this correction").fill("wrong reason typed")
        page.get_by_role("button", name="Record correction").click()
        page.get_by_text("Recorded #2, correcting #1.").wait_for(timeout=60_000)

        # Giving a dose the monitor holds: the physician's reason is required.
        _open(page, url, HOLD)
        page.get_by_role("button", name="Record held").wait_for()  # a HOLD opens on "Held"
        page.get_by_role("tab", name="Given").click()
        _idle(page)
        page.get_by_text("giving this dose needs a physician's override").wait_for()
        page.get_by_role("button", name="Record given").click()
        page.locator("[data-testid='stAlert']", has_text="Not recorded").wait_for()
        page.get_by_label("Physician's override: reason").fill("SBP 74 asleep; 96 on waking")
        page.get_by_role("button", name="Record given").click()
        page.get_by_text("Recorded #3: dose").wait_for(timeout=60_000)

        # A bedside entry: refused with the field named, nothing saved; then saved.
        _idle(page)
        page.get_by_text("Bedside entry (no electronic feed)").click()
        _idle(page)  # opening it reruns the page (its form is built then): wait as a user does
        page.get_by_label("SBP (mm[Hg])").fill("400")
        page.get_by_role("button", name="Save bedside entry").click()
        refusal = page.locator("[data-testid='stAlert']", has_text="Not saved:")
        refusal.wait_for(timeout=60_000)
        assert "sbp" in refusal.inner_text()
        page.get_by_label("SBP (mm[Hg])").fill("104")
        page.get_by_role("button", name="Save bedside entry").click()
        page.get_by_text("Bedside entry saved: 1 values.").wait_for(timeout=60_000)
    except Exception:
        page.screenshot(path=str(tmp_path / "failed.png"), full_page=True)
        raise
    finally:
        process.terminate()
        process.wait(timeout=20)
    held, correction = dose_events(store, CLEAR)
    assert (held.kind, held.reason) == ("held", "patient asleep, family request")
    assert (correction.corrects, correction.reason) == (held.id, "held for the night team")
    (given,) = dose_events(store, HOLD)
    assert given.kind == "given" and given.snapshot["status"] == "hold"
    assert given.override_reason == "SBP 74 asleep; 96 on waking"
    observations = load_frames(store).observations
    entered = observations[observations["source"].astype(str).str.startswith("bedside entry")]
    assert list(
        zip(entered["patient_id"], entered["parameter"], entered["value"], strict=True)
    ) == [(HOLD, "sbp", 104.0)]
    store.dispose()
