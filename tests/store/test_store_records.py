"""The ward's own records: dose events (given, held, delayed, overrides, corrections),
bedside entries, acknowledgements and the access log; all append-only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from dashboard.errors import DataValidationError, MonitorUserError
from dashboard.store import (
    AppendOnlyError,
    access_log,
    acknowledge,
    acknowledgements,
    add_bedside_entry,
    current_dose_events,
    dose_events,
    import_ward,
    load_frames,
    log_access,
    record_dose_event,
)
from dashboard.store.schema import APPEND_ONLY_TABLES
from tests.conftest import FIXTURES, WARD_ZONE

NOW = datetime(2026, 3, 4, 13, 5, tzinfo=UTC)
CLEAR = {"status": "clear", "protocol": "proleukin-label", "findings": []}
HOLD = {"status": "hold", "protocol": "proleukin-label", "findings": ["hypotension"]}


@pytest.fixture
def ward(store):
    import_ward(store, FIXTURES / "good" / "three_csv", who="lead", timezone=WARD_ZONE)
    return store


def _event(store, **changes):
    fields = {
        "patient_id": "P001",
        "cycle": 1,
        "dose_number": 7,
        "kind": "given",
        "who": "nurse.a",
        "snapshot": CLEAR,
        "at": NOW,
    }
    return record_dose_event(store, **{**fields, **changes})


def test_a_given_dose_keeps_who_when_and_what_the_monitor_showed(ward):
    before = datetime.now(UTC)
    event = _event(ward, note="given on time")
    [stored] = dose_events(ward, "P001")
    assert stored == event
    assert (stored.kind, stored.at, stored.who, stored.note) == (
        "given",
        NOW,
        "nurse.a",
        "given on time",
    )
    assert stored.snapshot == CLEAR
    assert before - timedelta(seconds=1) <= stored.recorded_at <= datetime.now(UTC)


def test_a_held_dose_needs_its_reason(ward):
    with pytest.raises(MonitorUserError, match="reason"):
        _event(ward, kind="held", at=None, snapshot=HOLD)
    event = _event(ward, kind="held", at=None, snapshot=HOLD, reason="hypotension")
    assert (event.kind, event.reason, event.at) == ("held", "hypotension", None)


def test_a_delay_names_until_when(ward):
    with pytest.raises(MonitorUserError, match="until"):
        _event(ward, kind="delayed", at=None)
    until = NOW + timedelta(hours=2)
    assert _event(ward, kind="delayed", at=until).at == until


def test_a_time_without_its_zone_is_refused(ward):
    with pytest.raises(MonitorUserError, match="time zone"):
        _event(ward, at=datetime(2026, 3, 4, 13, 5))


def test_giving_a_dose_on_hold_needs_a_physicians_override(ward):
    with pytest.raises(MonitorUserError, match="override"):
        _event(ward, snapshot=HOLD)
    with pytest.raises(MonitorUserError, match="reason for the override"):
        _event(ward, snapshot=HOLD, override_by="dr.b")
    assert dose_events(ward) == []
    event = _event(ward, snapshot=HOLD, override_by="dr.b", override_reason="SBP 88, fluids given")
    assert (event.override_by, event.override_reason) == ("dr.b", "SBP 88, fluids given")


def test_a_correction_is_a_new_event_and_the_corrected_one_stays(ward):
    wrong = _event(ward)
    right = _event(ward, kind="held", at=None, reason="fever", corrects=wrong.id)
    history = dose_events(ward, "P001")
    assert [e.id for e in history] == [wrong.id, right.id]
    assert history[0] == wrong
    assert current_dose_events(history) == [right]
    with pytest.raises(MonitorUserError, match="another dose"):
        _event(ward, dose_number=8, corrects=wrong.id)
    with pytest.raises(MonitorUserError, match="no dose event"):
        _event(ward, corrects=9999)


def test_a_bedside_entry_is_refused_with_the_field_named_then_accepted(ward):
    with pytest.raises(DataValidationError) as refused:
        add_bedside_entry(
            ward,
            patient_id="P001",
            time=NOW,
            values={"sbp": ("112", "mm[Hg]"), "temperature": ("398", "Cel")},
            who="nurse.a",
        )
    assert [p.column for p in refused.value.problems] == ["temperature value"]
    before = len(load_frames(ward).observations)
    assert len(load_frames(ward).observations) == before  # nothing of it was saved
    saved = add_bedside_entry(
        ward,
        patient_id="P001",
        time=NOW,
        values={"sbp": ("112", "mm[Hg]"), "temperature": ("39.8", "Cel")},
        who="nurse.a",
    )
    assert len(saved) == 2
    observations = load_frames(ward).observations
    rows = observations[observations["source"] == "bedside entry by nurse.a"]
    assert sorted(rows["parameter"]) == ["sbp", "temperature"]
    assert set(rows["time"]) == {NOW}


def test_a_bedside_entry_for_an_unknown_patient_is_refused(ward):
    with pytest.raises(DataValidationError, match="P999"):
        add_bedside_entry(
            ward, patient_id="P999", time=NOW, values={"sbp": ("112", "mm[Hg]")}, who="n"
        )


def test_acknowledgement_and_access_log(ward):
    with pytest.raises(MonitorUserError):
        acknowledge(ward, patient_id="P001", status="clear", who="dr.b")
    ack = acknowledge(ward, patient_id="P001", status="hold", who="dr.b", cycle=1, dose_number=7)
    assert acknowledgements(ward, "P001") == [ack]
    log_access(ward, who="dr.b", action="open patient", detail="P001")
    [line] = access_log(ward)
    assert (line["who"], line["action"], line["detail"]) == ("dr.b", "open patient", "P001")


def test_the_code_refuses_to_update_or_delete_a_record(ward):
    _event(ward)
    for table in APPEND_ONLY_TABLES:
        for statement in (f"DELETE FROM {table}", f"UPDATE {table} SET id = id"):
            with ward.writing() as connection, pytest.raises(AppendOnlyError):
                connection.execute(sa.text(statement))


def test_the_database_refuses_to_update_or_delete_a_record(ward, store_url):
    """Another client (no guard of this code) is refused by the database's triggers (on
    SQLite they fire per row: every table gets rows, a refused one included)."""
    bad = FIXTURES / "bad" / "csv_out_of_range"
    import_ward(ward, bad, who="lead", timezone=WARD_ZONE, keep_going=True)
    _event(ward)
    acknowledge(ward, patient_id="P001", status="hold", who="dr.b")
    log_access(ward, who="dr.b", action="open")
    other = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with other.begin() as connection:  # a reading as a monitor before revision 0003 kept it
            connection.execute(
                sa.text(
                    "INSERT INTO observations (import_id, patient_id, time_ns, parameter, "
                    "value, unit, recorded_value, recorded_unit, source, source_row) VALUES "
                    "(1, 'P001', 0, 'sbp', 120, 'mm[Hg]', '120', 'mmHg', 'old.csv', 2)"
                )
            )
        for table in APPEND_ONLY_TABLES:
            for statement in (f"DELETE FROM {table}", f"UPDATE {table} SET id = id"):
                with (
                    pytest.raises(sa.exc.DatabaseError, match="append-only"),
                    other.begin() as connection,
                ):
                    connection.execute(sa.text(statement))
            with other.connect() as connection:
                assert connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() > 0
    finally:
        other.dispose()
