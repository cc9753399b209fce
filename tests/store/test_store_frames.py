"""Evaluating the store gives exactly what evaluating the same files gives (issue 13): the
frames are equal column by column, dtype by dtype, and the engine's output is identical."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import DEMO_DIR
from dashboard.assessment import assess_course, assess_next_doses
from dashboard.evaluate_cli import document, section9
from dashboard.loading import load_ward
from dashboard.protocols import load_protocol
from dashboard.store import import_ward, load_frames
from tests.conftest import FIXTURES, WARD_ZONE

INPUTS = [
    (DEMO_DIR, "Europe/Paris", False),
    (FIXTURES / "good" / "three_csv", WARD_ZONE, False),
    (FIXTURES / "good" / "fhir_bundle.json", WARD_ZONE, False),
    # a lenient load: the refused rows keep their patients INCOMPLETE from the store too
    (FIXTURES / "bad" / "csv_out_of_range", WARD_ZONE, True),
]


def _next_doses_json(ward, at: pd.Timestamp, lenient: bool = False) -> dict:
    """The JSON ``evaluate`` prints (with the support, validity and refused rows of
    section 9, which ``evaluate`` adds only to a strict load)."""
    assessments = assess_next_doses(ward, at, None)
    extras = None if lenient else section9(ward, assessments, at, with_stricter=False)
    return document(
        assessments,
        load_protocol(None),
        at,
        False,
        sorted({a.protocol_id for a in assessments}),
        extras=extras,
    )


def _moments(ward) -> list[pd.Timestamp]:
    times = ward.observations["time"]
    first, last = times.min(), times.max()
    return [first + (last - first) * share for share in (0.5, 1.0)]


@pytest.mark.parametrize(("path", "zone", "keep_going"), INPUTS, ids=lambda v: str(v)[-24:])
def test_the_store_evaluates_as_the_files_do(store, path, zone, keep_going):
    files = load_ward(path, zone, keep_going=keep_going)
    import_ward(store, path, who="nurse", timezone=zone, keep_going=keep_going)
    stored = load_frames(store)

    for table in ("patients", "doses", "observations"):
        pd.testing.assert_frame_equal(
            getattr(stored, table), getattr(files, table), check_categorical=False
        )
    assert stored.refused_by_patient() == files.refused_by_patient()
    for at in _moments(files):
        assert _next_doses_json(stored, at, keep_going) == _next_doses_json(files, at, keep_going)
    protocol = load_protocol(None)
    assert document(assess_course(stored), protocol, at, True, []) == document(
        assess_course(files), protocol, at, True, []
    )


def test_a_lenient_import_keeps_the_refused_rows_loud(store):
    path = FIXTURES / "bad" / "csv_out_of_range"
    files = load_ward(path, WARD_ZONE, keep_going=True)
    assert files.refused_by_patient(), "the fixture must refuse a row of a known patient"
    import_ward(store, path, who="nurse", timezone=WARD_ZONE, keep_going=True)
    at = files.observations["time"].max()
    shown = _next_doses_json(load_frames(store), at, lenient=True)
    criteria = {
        p["patient_id"]: {(f["criterion"], f["outcome"]) for f in p["findings"]}
        for p in shown["patients"]
    }
    for patient_id in files.refused_by_patient():
        assert ("observation_record", "incomplete") in criteria[patient_id]
