"""An upload is still there after a reload (issue 13, "Done when"), in a real browser: the
ward lead uploads three CSVs on the Import page, imports them into the ward's record, and
the ward they show survives a reload and is what a second tab sees; a refused upload
writes nothing."""

from __future__ import annotations

import os

import pytest

from dashboard.store import import_reports, import_ward, open_store
from tests.app_wards import write_ward
from tests.test_browser import (  # noqa: F401 (pytest-playwright's fixtures, set for Chromium)
    IDLE,
    browser_context_args,
    browser_type_launch_args,
    free_port,
    start_streamlit,
)

pytestmark = pytest.mark.browser
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def _sidebar(page) -> str:
    return page.locator("[data-testid='stSidebar']").inner_text()


def test_an_uploaded_ward_survives_a_reload_and_a_new_tab(page, browser, tmp_path):
    folder = write_ward(tmp_path / "upload")
    database = tmp_path / "ward.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "IL2_DATA_SOURCE"}
    # --no-login on purpose: once imported, the ward is real data.
    env |= {"IL2_DATABASE_PATH": str(database), "IL2_NO_LOGIN": "1"}
    port = free_port()
    process = start_streamlit(port, env, tmp_path / "streamlit.log")
    url = f"http://127.0.0.1:{port}"
    try:
        page.set_viewport_size({"width": 1366, "height": 1600})
        page.goto(url + "/import")
        page.wait_for_selector(IDLE, timeout=90_000)
        assert "Demo ward" in _sidebar(page)  # the record is empty: the demo is shown

        # A refused upload first: every problem listed, nothing written.
        bad = os.path.join(FIXTURES, "bad", "csv_out_of_range")
        page.locator("input[type='file']").set_input_files(
            [os.path.join(bad, name) for name in sorted(os.listdir(bad)) if name.endswith(".csv")]
        )
        page.get_by_text("Nothing was loaded").wait_for(timeout=60_000)
        assert page.get_by_role("button", name="Import into the ward's record").count() == 0

        page.goto(url + "/import")  # a fresh page: the uploader empty again
        page.wait_for_selector(IDLE, timeout=90_000)
        page.locator("input[type='file']").set_input_files(
            [str(folder / name) for name in ("patients.csv", "doses.csv", "observations.csv")]
        )
        page.get_by_text("What will be loaded").wait_for(timeout=60_000)
        page.get_by_role("button", name="Import into the ward's record").click()
        page.get_by_text("(imported)").wait_for(timeout=60_000)

        page.reload()
        page.wait_for_selector(IDLE, timeout=90_000)
        page.get_by_text("The ward's record").first.wait_for(timeout=60_000)
        assert "2 patients" in _sidebar(page) and "Demo ward" not in _sidebar(page)

        other = browser.new_page()  # another tab, another session
        other.goto(url)
        other.wait_for_selector(IDLE, timeout=90_000)
        other.get_by_text("Ward: next doses").wait_for(timeout=60_000)
        assert "2 patients" in _sidebar(other)
        other.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    store = open_store(f"sqlite:///{database}")
    try:
        (report,) = import_reports(store)  # the refused upload never reached the record
    finally:
        store.dispose()
    assert report["outcome"] == "imported" and report["who"] == "no sign-in"
    assert sorted(f["name"] for f in report["files"]) == [
        "doses.csv",
        "observations.csv",
        "patients.csv",
    ]


def test_an_open_demo_page_refuses_a_ward_imported_meanwhile_at_its_next_refresh(page, tmp_path):
    """A demo session (no sign-in) must not start showing a real ward that another process
    imported: the automatic refresh (a panel rerun, not the page) sends it back through
    the sign-in gate, which refuses."""
    database = tmp_path / "ward.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("IL2_DATA_SOURCE", "IL2_NO_LOGIN")}
    env |= {"IL2_DATABASE_PATH": str(database)}
    port = free_port()
    process = start_streamlit(port, env, tmp_path / "streamlit.log")
    url = f"http://127.0.0.1:{port}"
    try:
        page.goto(url + "/settings")
        page.wait_for_selector(IDLE, timeout=90_000)
        refresh = page.get_by_label("Refresh the ward and patient panels every")
        refresh.fill("10")
        refresh.press("Enter")
        page.wait_for_timeout(500)
        page.wait_for_selector(IDLE, timeout=60_000)
        page.get_by_role("link", name="Ward").first.click()  # same session: the sidebar
        page.get_by_text("Ward: next doses").wait_for(timeout=60_000)
        assert "Demo ward" in _sidebar(page)
        store = open_store(f"sqlite:///{database}", upgrade_if_new=True)
        try:  # another process (il2-monitor import) fills the ward's record
            import_ward(store, write_ward(tmp_path / "files"), who="lead", timezone="UTC")
        finally:
            store.dispose()
        page.get_by_text("no sign-in configured").wait_for(timeout=40_000)
        assert page.get_by_text("Test, Well").count() == 0
    finally:
        process.terminate()
        process.wait(timeout=20)
