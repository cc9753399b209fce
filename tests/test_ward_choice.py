"""Which ward the app shows, and to whom (issue 13 with issue 12's rule): real data never
without sign-in unless --no-login was given, the demo never taken for a ward, the demo's
records replaced by window without deleting one in use, and a file that is no database
said as such."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import import_ward, open_store
from dashboard.store.database import StoreError, url_holds_ward
from dashboard.ui import store as ui_store
from tests.app_wards import write_ward

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
REFUSED = "no sign-in configured"


def _texts(at: AppTest) -> str:
    return "\n".join([e.value for e in at.error] + [m.value for m in at.markdown])


def _import_small_ward(database: Path, folder: Path) -> None:
    store = open_store(f"sqlite:///{database}", upgrade_if_new=True)
    try:
        import_ward(store, write_ward(folder), who="lead", timezone="UTC")
    finally:
        store.dispose()


def test_a_record_holding_a_ward_is_not_shown_without_sign_in(
    ward_record_in_tmp, tmp_path, monkeypatch
):
    monkeypatch.delenv("IL2_NO_LOGIN", raising=False)
    _import_small_ward(ward_record_in_tmp, tmp_path / "files")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert REFUSED in _texts(at) and not at.dataframe
    monkeypatch.setenv("IL2_NO_LOGIN", "1")  # --no-login, on purpose: shown, with the banner
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert len(at.dataframe(key="ward_table").value) == 2
    assert any("DEMO: no sign-in" in w.value for w in at.warning)


def test_an_open_demo_session_does_not_show_a_ward_imported_meanwhile(
    ward_record_in_tmp, tmp_path, monkeypatch
):
    monkeypatch.delenv("IL2_NO_LOGIN", raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert len(at.dataframe(key="ward_table").value) == 9  # the demo, no sign-in needed
    _import_small_ward(ward_record_in_tmp, tmp_path / "files")  # another process imports
    at.run()  # this session's next run (an automatic refresh: tests/test_browser_import.py)
    assert not at.exception, [e.value for e in at.exception]
    assert REFUSED in _texts(at)
    assert not [d for d in at.dataframe if "Patient" in d.value.columns]


def test_a_data_root_or_a_database_url_needs_sign_in_even_with_an_empty_record(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("IL2_NO_LOGIN", raising=False)
    monkeypatch.setenv("IL2_DATA_ROOT", str(write_ward(tmp_path / "ward").parent))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert REFUSED in _texts(at) and not at.dataframe
    monkeypatch.delenv("IL2_DATA_ROOT")
    monkeypatch.setenv("IL2_DATABASE_URL", f"sqlite:///{tmp_path / 'hospital.sqlite3'}")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert REFUSED in _texts(at) and not at.dataframe


def test_old_demo_records_are_removed_never_the_current_or_a_newer_one(tmp_path):
    window = pd.Timestamp("2026-12-01T22:00", tz="UTC")
    names = {
        w: tmp_path / f"demo-{w.strftime(ui_store.DEMO_STAMP)}.sqlite3"
        for w in [window + ui_store.DEMO_WINDOW * k for k in (-3, -2, -1, 0, 1)]
    }
    for path in names.values():
        path.write_bytes(b"")
        Path(f"{path}-wal").write_bytes(b"")
    (tmp_path / "demo-notes.txt").write_text("not a record")
    ui_store._remove_old_demo_files(tmp_path, window)
    left = sorted(p.name for p in tmp_path.iterdir())
    kept = [names[window + ui_store.DEMO_WINDOW * k].name for k in (-1, 0, 1)]
    assert left == sorted([*kept, *(f"{k}-wal" for k in kept), "demo-notes.txt"])


def test_a_file_that_is_no_database_is_said_to_be_so(tmp_path):
    impostor = tmp_path / "ward.sqlite3"
    impostor.write_bytes(b"this is a spreadsheet, not a database" * 100)
    with pytest.raises(StoreError, match="cannot be read"):
        url_holds_ward(f"sqlite:///{impostor}")
    with pytest.raises(StoreError, match="cannot be opened"):
        open_store(f"sqlite:///{impostor}", upgrade_if_new=True)
