"""Recorded doses drive the schedule (issue 13, item 3): a dose recorded given, held or
delayed in the store is in the doses table the engine assesses, by the schedule's own rules
(dashboard/schedule.py): given at its time is decided and the next dose moves on; held is
decided from its scheduled time; delayed is still the next dose, at its new time; a
correction replaces what it corrects."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.schedule import next_doses
from dashboard.store import import_ward, load_frames, record_dose_event
from tests.app_wards import write_ward

NOW = pd.Timestamp.now(tz="UTC").floor("min")
SHOWN = {"status": "clear", "protocol": "proleukin-label", "findings": []}


@pytest.fixture
def ward(store, tmp_path):
    import_ward(store, write_ward(tmp_path / "ward", NOW), who="lead", timezone="UTC")
    return store


def _next(store, at: pd.Timestamp) -> dict[str, tuple[int, pd.Timestamp]]:
    doses = load_frames(store).doses
    points = next_doses(doses, at)
    return {
        r.patient_id: (int(r.dose_number), r.scheduled_time) for r in points.itertuples(index=False)
    }


def _record(store, kind: str, **fields):
    return record_dose_event(
        store,
        patient_id="P1",
        cycle=1,
        dose_number=3,
        kind=kind,
        who="nurse@ward.test",
        snapshot=SHOWN,
        **fields,
    )


def test_without_a_record_the_files_decide(ward):
    assert _next(ward, NOW)["P1"][0] == 3


def test_a_dose_recorded_given_is_decided_and_the_course_moves_on(ward):
    event = _record(ward, "given", at=NOW.to_pydatetime())
    doses = load_frames(ward).doses
    row = doses[(doses["patient_id"] == "P1") & (doses["dose_number"] == 3)].iloc[0]
    assert row["status"] == "given"
    assert row["administered_time"] == NOW
    assert row["source"] == f"dose record #{event.id} by nurse@ward.test"
    assert row["source_row"] == event.id
    assert "P1" not in _next(ward, NOW + pd.Timedelta(minutes=1))  # no dose left
    assert _next(ward, NOW + pd.Timedelta(minutes=1))["P2"][0] == 3  # the other unchanged
    # Reviewing the past: before it was given, dose 3 was still the next one.
    assert _next(ward, NOW - pd.Timedelta(minutes=1))["P1"][0] == 3


def test_a_dose_recorded_held_keeps_its_reason_and_is_decided_at_its_time(ward):
    _record(ward, "held", reason="hypotension: SBP 84")
    doses = load_frames(ward).doses
    row = doses[(doses["patient_id"] == "P1") & (doses["dose_number"] == 3)].iloc[0]
    assert (row["status"], row["reason"]) == ("held", "hypotension: SBP 84")
    assert pd.isna(row["administered_time"])
    assert _next(ward, NOW)["P1"][0] == 3  # scheduled in 6 h: not decided before then
    assert "P1" not in _next(ward, NOW + pd.Timedelta(hours=6))


def test_a_delayed_dose_is_still_next_at_its_new_time(ward):
    until = NOW + pd.Timedelta(hours=9)
    _record(ward, "delayed", at=until.to_pydatetime())
    assert _next(ward, NOW)["P1"] == (3, until)
    assert _next(ward, NOW + pd.Timedelta(hours=7))["P1"] == (3, until)


def test_a_correction_replaces_what_it_corrects_and_both_stay(ward):
    wrong = _record(ward, "given", at=NOW.to_pydatetime())
    _record(ward, "held", reason="charted on the wrong patient", corrects=wrong.id)
    row = load_frames(ward).doses.query("patient_id == 'P1' and dose_number == 3").iloc[0]
    assert row["status"] == "held"
    assert _next(ward, NOW + pd.Timedelta(minutes=1))["P1"][0] == 3


def test_an_event_for_a_dose_the_files_never_listed_is_added_not_dropped(ward):
    before = load_frames(ward).doses.dtypes
    record_dose_event(
        ward,
        patient_id="P2",
        cycle=1,
        dose_number=4,
        kind="given",
        who="nurse@ward.test",
        snapshot=SHOWN,
        at=(NOW - pd.Timedelta(minutes=5)).to_pydatetime(),
    )
    doses = load_frames(ward).doses
    added = doses.query("patient_id == 'P2' and dose_number == 4")
    assert len(added) == 1 and added.iloc[0]["status"] == "given"
    assert doses.dtypes.equals(before)
