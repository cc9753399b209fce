"""Evaluating the store gives exactly what evaluating the same files gives (issue 13): the
frames are equal column by column, dtype by dtype, and the engine's output is identical."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard import DEMO_DIR
from dashboard.assessment import assess_course, assess_next_doses
from dashboard.evaluate_cli import document, section9
from dashboard.instants import as_ns
from dashboard.loading import load_ward
from dashboard.protocols import load_protocol
from dashboard.store import (
    StoreError,
    batches,
    data_version,
    frames,
    import_ward,
    load_frames,
    open_store,
    schema,
    upgrade,
)
from dashboard.store.database import Store, make_engine
from dashboard.store.schema import utc_now
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


def _write_as_before_batches(store, ward, rows: slice) -> None:
    """What a monitor before revision 0003 wrote for an import: one row per reading."""
    observations = ward.observations.iloc[rows]
    with store.writing() as connection:
        import_id = connection.execute(
            sa.insert(schema.imports)
            .values(
                who="lead",
                started_at=utc_now(),
                finished_at=utc_now(),
                timezone=WARD_ZONE,
                outcome="imported",
                rows_added=len(observations),
                rows_changed=0,
                rows_merged=0,
                rows_refused=0,
                notices=[],
            )
            .returning(schema.imports.c.id)
        ).scalar_one()
        connection.execute(
            sa.insert(schema.patients), frames.patient_rows(ward.patients, import_id)
        )
        connection.execute(sa.insert(schema.doses), frames.dose_rows(ward.doses, import_id))
        connection.execute(
            sa.insert(schema.observations),
            [
                {
                    "import_id": import_id,
                    "patient_id": row.patient_id,
                    "time_ns": int(as_ns(pd.Series([row.time]))[0]),
                    "parameter": row.parameter,
                    "value": None if pd.isna(row.value) else float(row.value),
                    "code": row.code,
                    "unit": str(row.unit),
                    "recorded_value": str(row.recorded_value),
                    "recorded_unit": str(row.recorded_unit),
                    "source": str(row.source),
                    "source_row": int(row.source_row),
                }
                for row in observations.itertuples(index=False)
            ],
        )


def test_a_record_written_before_batches_reads_back_whole(store_url):
    """A record of revision 0002 kept one row per reading. Upgraded, it is still read (rows
    first, then batches, in the order written), and a later import of the same files adds
    only the readings that were not there."""
    path = FIXTURES / "good" / "three_csv"
    files = load_ward(path, WARD_ZONE)
    half = len(files.observations) // 2
    older = Store(make_engine(store_url))
    try:
        upgrade(older, "0002")
        _write_as_before_batches(older, files, slice(0, half))
        upgrade(older)
    finally:
        older.dispose()
    store = open_store(store_url)
    try:
        result = import_ward(store, path, who="nurse", timezone=WARD_ZONE)
        assert result.added == len(files.observations) - half
        stored = load_frames(store)
        pd.testing.assert_frame_equal(stored.observations, files.observations)
        assert data_version(store).count(".") == 3
    finally:
        store.dispose()


def test_a_damaged_batch_is_refused_not_skipped(store):
    import_ward(store, FIXTURES / "good" / "three_csv", who="nurse", timezone=WARD_ZONE)
    with store.writing() as connection:
        connection.execute(
            sa.insert(schema.observation_batches).values(
                import_id=1,
                rows=1,
                format=batches.BATCH_FORMAT,
                sha256="0" * 64,
                payload=b"not what was written",
            )
        )
    with pytest.raises(StoreError, match="observation batch 2 is damaged"):
        load_frames(store)


def test_a_batch_of_an_unknown_format_is_refused(store):
    import_ward(store, FIXTURES / "good" / "three_csv", who="nurse", timezone=WARD_ZONE)
    with store.writing() as connection:
        connection.execute(
            sa.insert(schema.observation_batches).values(
                entered_by="a newer monitor",
                rows=1,
                format="arrow-ipc-stream+zstd/2",
                sha256="0" * 64,
                payload=b"",
            )
        )
    with pytest.raises(StoreError, match=r"format 'arrow-ipc-stream\+zstd/2'.*newer monitor"):
        load_frames(store)
