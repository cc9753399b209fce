"""The ward's record on screen (issue 13, items 3-5), with AppTest on a SQLite store: a
nurse records a dose given or held, corrects an event, is refused an override a physician
may record; a bedside entry refused with the field named, then saved, reassesses the card;
a physician acknowledges a new HOLD and the ward stops flagging it; a viewer cannot record.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import acknowledgements, dose_events, import_ward, load_frames, open_store
from dashboard.views.ward_rows import NOT_ACKNOWLEDGED
from tests.app_wards import write_ward

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-secret-test-secret-test-secret",
    "client_id": "il2",
    "client_secret": "il2-secret",
    "server_metadata_url": "http://localhost:9/.well-known/openid-configuration",
}


@pytest.fixture
def ward(tmp_path, monkeypatch) -> dict:
    """The small ward in files and in a fresh SQLite store; P2 with a fresh SBP of 80
    (a HOLD under the label) when ``hold`` is asked for."""
    database = tmp_path / "ward.sqlite3"
    monkeypatch.setenv("IL2_DATABASE_PATH", str(database))
    folder = write_ward(tmp_path / "ward")
    store = open_store(upgrade_if_new=True)
    import_ward(store, folder, who="lead", timezone="UTC")
    # The files are the ward's feed too: a reading added to them (_hold) is imported when
    # the app next runs, as a site's export would be.
    monkeypatch.setenv("IL2_DATA_SOURCE", str(folder))
    monkeypatch.setenv("IL2_WARD_TIMEZONE", "UTC")
    monkeypatch.setenv("IL2_NO_LOGIN", "1")  # the ward page below runs with no sign-in
    yield {"folder": folder, "store": store}
    store.dispose()


def _hold(folder: Path) -> None:
    now = pd.Timestamp.now(tz="UTC").floor("min") - pd.Timedelta(minutes=10)
    with (folder / "observations.csv").open("a", encoding="utf-8") as file:
        file.write(f"P2,{now:%Y-%m-%dT%H:%M:00+00:00},sbp,80,mmHg\n")


def _patient(folder: Path, role: str | None, patient: str = "P2") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if role is not None:
        at.secrets["auth"] = AUTH
        email = f"{role}@ward.test"
        at.user = {
            "is_logged_in": True,
            "email": email,
            "sub": email,
            "iat": int(time.time()),
            "roles": [role],
        }
    at.session_state["timezone"] = "UTC"
    at.query_params["patient"] = patient
    at.run()
    at.switch_page("screens/patient.py").run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _open(at: AppTest, key: str, value=True) -> AppTest:
    """Open a lazy tab or expander of the dose record (its form is built only when open),
    as a click on it does."""
    at.session_state[key] = value
    return at.run()


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _card(at: AppTest) -> str:
    return next(h.proto.body for h in at.html if 'data-testid="dose-card"' in h.proto.body)


def _history(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "Monitor showed" in d.value.columns)


def test_a_nurse_records_a_dose_given_and_the_schedule_moves_on(ward):
    at = _patient(ward["folder"], "nurse")
    assert "cycle 1, dose 3" in "\n".join(m.value for m in at.markdown)
    _button(at, "Record given").click().run()
    _ok(at)
    assert [s.value for s in at.success] == ["Recorded #1: dose 3 given."]
    (event,) = dose_events(ward["store"], "P2")
    assert (event.kind, event.who, event.dose_number) == ("given", "nurse@ward.test", 3)
    assert event.snapshot["status"] == "clear"
    assert event.snapshot["protocol"] == "proleukin-label" and event.snapshot["protocol_version"]
    assert "findings" in event.snapshot and "valid_until" in event.snapshot
    history = _history(at)
    assert history.iloc[0]["What"].startswith("given at ")
    assert history.iloc[0]["Who"] == "nurse@ward.test"
    # The record drives the schedule: dose 3 given, P2 has no dose left.
    assert "no dose due" in _card(at).lower() or "NO DOSE DUE" in _card(at)
    doses = load_frames(ward["store"]).doses.query("patient_id == 'P2' and dose_number == 3")
    assert doses.iloc[0]["status"] == "given"


def test_a_nurse_records_a_dose_held_with_the_cards_criteria_preselected(ward):
    _hold(ward["folder"])
    at = _patient(ward["folder"], "nurse")
    assert "HOLD" in _card(at)
    # A HOLD opens the record on "Held", the card's criteria preselected.
    assert not [b for b in at.button if b.label == "Record given"]
    why = at.multiselect(key="held_why")
    assert why.value and why.value == why.options  # the card's criteria, preselected
    at.text_input(key="held_other").input("patient asleep, rechecking")
    _button(at, "Record held").click().run()
    _ok(at)
    (event,) = dose_events(ward["store"], "P2")
    assert event.kind == "held" and event.snapshot["status"] == "hold"
    assert event.reason.endswith("; patient asleep, rechecking")
    assert why.value[0] in event.reason


def test_a_correction_is_a_new_event_and_the_corrected_one_stays(ward):
    at = _patient(ward["folder"], "nurse")
    _button(at, "Record given").click().run()
    _open(at, "correct_open")
    at.radio(key="correct_kind").set_value("held")
    at.text_input(key="correct_reason").input("not given: pump failure")
    at.text_input(key="correct_note").input("charted given by mistake")
    _button(at, "Record correction").click().run()
    _ok(at)
    assert [s.value for s in at.success] == ["Recorded #2, correcting #1."]
    first, second = dose_events(ward["store"], "P2")
    assert second.corrects == first.id == 1
    assert (second.kind, second.note) == ("held", "charted given by mistake")
    history = _history(at)
    assert list(history["Event"]) == ["#2", "#1"]
    assert list(history["Now"]) == ["current", "corrected by #2"]
    assert "HOLD" not in _card(at)  # dose 3 held but not due yet: still the next dose


def test_a_correction_without_saying_why_is_refused(ward):
    at = _patient(ward["folder"], "nurse")
    _button(at, "Record given").click().run()
    _open(at, "correct_open")
    at.radio(key="correct_kind").set_value("held")
    at.text_input(key="correct_note").input("")
    _button(at, "Record correction").click().run()
    assert any("say why this correction is made" in e.value for e in at.error)
    assert len(dose_events(ward["store"], "P2")) == 1


def test_giving_a_held_dose_needs_a_physician_nurse_refused_physician_accepted(ward):
    _hold(ward["folder"])
    at = _patient(ward["folder"], "nurse")
    _open(at, "record_tabs", "Given")  # a HOLD opens on "Held": giving is the exception
    at.text_area(key="given_override").input("SBP 80 asleep; 95 on waking")
    _button(at, "Record given").click().run()
    assert any("only a physician may override" in e.value for e in at.error)
    assert dose_events(ward["store"], "P2") == []

    at = _patient(ward["folder"], "physician")
    _open(at, "record_tabs", "Given")
    _button(at, "Record given").click().run()
    assert any("the reason for the override is required" in e.value for e in at.error)
    at.text_area(key="given_override").input("SBP 80 asleep; 95 on waking")
    _button(at, "Record given").click().run()
    _ok(at)
    (event,) = dose_events(ward["store"], "P2")
    assert (event.override_by, event.override_reason) == (
        "physician@ward.test",
        "SBP 80 asleep; 95 on waking",
    )
    assert event.snapshot["status"] == "hold"


def test_a_bedside_entry_refused_names_the_field_then_saved_reassesses(ward):
    at = _patient(ward["folder"], "nurse", patient="P1")
    assert "INCOMPLETE" in _card(at) and "mental" in _card(at).lower()
    # Built only when opened: a page load does not pay for a form nobody opened.
    assert not [t for t in at.text_input if t.key == "bedside_sbp"]
    _open(at, "bedside_open")
    at.text_input(key="bedside_sbp").input("400")  # outside the plausible range
    at.selectbox(key="bedside_mental_status").set_value("normal")
    _button(at, "Save bedside entry").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "Not saved" in errors and "sbp" in errors
    assert load_frames(ward["store"]).observations.query("source.str.contains('bedside')").empty
    at.text_input(key="bedside_sbp").input("112")
    # The neuro check's components are kept with the grade, never dropped.
    at.selectbox(key="bedside_orientation").set_value("oriented_x3")
    at.selectbox(key="bedside_serial_sevens").set_value("slowed")
    _button(at, "Save bedside entry").click().run()
    _ok(at)
    assert [s.value for s in at.success] == ["Bedside entry saved: 4 values."]
    saved = load_frames(ward["store"]).observations
    mine = saved[saved["source"].astype(str) == "bedside entry by nurse@ward.test"]
    assert dict(zip(mine["parameter"], mine["code"], strict=True)) == {
        "sbp": None,
        "mental_status": "normal",
        "orientation": "oriented_x3",
        "serial_sevens": "slowed",
    }
    assert "INCOMPLETE" not in _card(at)  # the neuro check is fresh now: reassessed


def test_a_physician_acknowledges_a_new_hold_and_the_ward_stops_flagging_it(ward):
    _hold(ward["folder"])
    at = _patient(ward["folder"], "nurse")
    assert any("not yet acknowledged" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label.startswith("Acknowledge")]  # nurse: no

    ward_page = AppTest.from_file(APP, default_timeout=120)
    ward_page.session_state["timezone"] = "UTC"
    ward_page.run()
    _ok(ward_page)
    rows = next(d.value for d in ward_page.dataframe if "Status" in d.value.columns)
    assert rows["Status"].str.contains(NOT_ACKNOWLEDGED).sum() == 1

    at = _patient(ward["folder"], "physician")
    _button(at, "Acknowledge HOLD").click().run()
    _ok(at)
    (ack,) = acknowledgements(ward["store"], "P2")
    assert (ack.status, ack.who, ack.dose_number) == ("hold", "physician@ward.test", 3)
    ward_page.run()
    rows = next(d.value for d in ward_page.dataframe if "Status" in d.value.columns)
    assert not rows["Status"].str.contains(NOT_ACKNOWLEDGED).any()


def test_a_viewer_reads_the_record_but_cannot_record(ward):
    at = _patient(ward["folder"], "viewer")
    assert not [b for b in at.button if b.label.startswith("Record")]
    assert not [b for b in at.button if b.label == "Save bedside entry"]
    assert any("reads the record" in c.value for c in at.caption)
