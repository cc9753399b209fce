"""The app reads its ward from the store (issue 13, item 1), on SQLite and PostgreSQL:
what it shows is what the store holds, a schema it does not know stops it with the reason,
an empty record shows the demo from a record of its own, and what one session imports or
records every other session sees."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard.assessment import assess_next_doses
from dashboard.loading import load_ward
from dashboard.protocols import load_protocol
from dashboard.store import holds_ward, import_ward, open_store
from dashboard.store.database import url_holds_ward
from tests.app_wards import write_ward

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def _ward_page(monkeypatch, store_url: str) -> AppTest:
    monkeypatch.setenv("IL2_DATABASE_URL", store_url)
    monkeypatch.setenv("IL2_NO_LOGIN", "1")
    monkeypatch.delenv("IL2_DATA_SOURCE", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["timezone"] = "UTC"
    return at.run()


def _rows(at: AppTest) -> pd.DataFrame:
    assert not at.exception, [e.value for e in at.exception]
    return at.dataframe(key="ward_table").value


def test_the_ward_page_shows_what_the_store_holds_as_the_files_would(
    store, store_url, tmp_path, monkeypatch
):
    folder = write_ward(tmp_path / "files")
    import_ward(store, folder, who="lead", timezone="UTC")
    at = _ward_page(monkeypatch, store_url)
    rows = _rows(at)
    # The same verdicts the engine gives on the files themselves.
    now = pd.Timestamp.now(tz="UTC").floor("min")
    from_files = assess_next_doses(load_ward(folder, "UTC"), now, load_protocol("proleukin-label"))
    expected = {a.patient_id: a.status for a in from_files}
    assert expected == {"P1": "incomplete", "P2": "clear"}
    shown = dict(zip(rows["Patient"], rows["Status"], strict=True))
    assert "INCOMPLETE" in shown["Test, Missing (P1)"]
    assert shown["Test, Well (P2)"].endswith("CLEAR")
    sidebar = "\n".join(c.value for c in at.sidebar.caption)
    assert "The ward's record" in sidebar and "Demo ward" not in sidebar


def test_a_store_written_by_a_newer_monitor_is_refused_with_the_reason(
    store, store_url, monkeypatch
):
    with store.engine.begin() as connection:  # as a newer monitor's migration would leave it
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    monkeypatch.setenv("IL2_DATABASE_URL", store_url)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    (error,) = [e.value for e in at.error]
    assert "cannot be used" in error and "revision 9999" in error and "newer" in error
    assert not at.dataframe  # nothing of the ward is shown


def test_an_empty_record_shows_the_demo_from_a_record_of_its_own(store, store_url, monkeypatch):
    at = _ward_page(monkeypatch, store_url)
    rows = _rows(at)
    assert rows["Patient"].str.contains("DEMO-").all() and len(rows) == 9
    assert any("DEMO: no sign-in" in w.value for w in at.warning)
    # The ward's own record was not touched: still no patient in it.
    assert not holds_ward(store) and not url_holds_ward(store_url)


def test_an_import_in_one_session_is_what_a_new_session_sees(store_url, tmp_path, monkeypatch):
    folder = write_ward(tmp_path / "files")
    monkeypatch.setenv("IL2_DATA_ROOT", str(tmp_path))
    first = _ward_page(monkeypatch, store_url)  # PostgreSQL: no schema yet is refused
    if "postgresql" in store_url:
        assert "db upgrade" in first.error[0].value
        from dashboard.store import upgrade
        from dashboard.store.database import Store, make_engine

        migrating = Store(make_engine(store_url))
        upgrade(migrating)
        migrating.dispose()
        first = _ward_page(monkeypatch, store_url)
    assert len(_rows(first)) == 9  # the demo, while the record is empty
    first.switch_page("screens/importing.py").run()
    first.text_input(key="import_path").input(str(folder))
    first.button(key="import_check_path").click().run()
    first.button(key="import_use").click().run()
    assert not first.exception, [e.value for e in first.exception]
    assert "import 1 (imported)" in first.success[0].value
    second = _ward_page(monkeypatch, store_url)  # a reload, a pasted link, another PC
    assert sorted(_rows(second)["Patient"]) == ["Test, Missing (P1)", "Test, Well (P2)"]
    store = open_store(store_url)
    try:
        assert holds_ward(store)
    finally:
        store.dispose()


def test_the_data_version_moves_with_what_changes_a_verdict(store, tmp_path):
    from dashboard.store import acknowledge, add_bedside_entry, data_version, record_dose_event

    versions = [data_version(store)]
    import_ward(store, write_ward(tmp_path / "files"), who="lead", timezone="UTC")
    versions.append(data_version(store))
    record_dose_event(
        store,
        patient_id="P2",
        cycle=1,
        dose_number=3,
        kind="held",
        who="nurse",
        snapshot={"status": "clear"},
        reason="asleep",
    )
    versions.append(data_version(store))
    now = pd.Timestamp.now(tz="UTC").floor("min")
    add_bedside_entry(
        store, patient_id="P1", time=now.to_pydatetime(), values={"sbp": ("112", "mm[Hg]")}, who="n"
    )
    versions.append(data_version(store))
    assert len(set(versions)) == 4  # each of these changes what the engine reads
    acknowledge(store, patient_id="P2", status="hold", who="doctor", cycle=1, dose_number=3)
    assert data_version(store) == versions[-1]  # an acknowledgement changes no verdict
