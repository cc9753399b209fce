"""Imports write through the files' validator; the same content twice adds nothing; every
import, a refused one too, keeps its report (who, when, files and digests, counts, reasons)."""

from __future__ import annotations

import hashlib
import shutil

import pandas as pd
import pytest

from dashboard import DEMO_DIR
from dashboard.errors import DataValidationError
from dashboard.loading import load_ward
from dashboard.store import import_reports, import_ward, load_frames
from tests.conftest import FIXTURES, WARD_ZONE

THREE_CSV = FIXTURES / "good" / "three_csv"


def test_the_same_content_twice_adds_nothing(store):
    first = import_ward(store, THREE_CSV, who="lead", timezone=WARD_ZONE)
    ward = load_ward(THREE_CSV, WARD_ZONE)
    assert first.outcome == "imported"
    assert first.added == sum(ward.counts().values())
    again = import_ward(store, THREE_CSV, who="lead", timezone=WARD_ZONE)
    assert (again.outcome, again.added, again.changed) == ("nothing_new", 0, 0)
    assert again.merged == first.added + first.merged  # the input's own duplicate too
    assert load_frames(store).counts() == ward.counts()


def test_a_file_renamed_or_reordered_is_still_the_same_rows(store, tmp_path):
    import_ward(store, THREE_CSV, who="lead", timezone=WARD_ZONE)
    copy = tmp_path / "again"
    shutil.copytree(THREE_CSV, copy)
    lines = (copy / "observations.csv").read_text().splitlines()
    (copy / "observations.csv").write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    result = import_ward(store, copy, who="lead", timezone=WARD_ZONE)
    assert result.added == 0
    assert len(load_frames(store).observations) == len(load_ward(THREE_CSV, WARD_ZONE).observations)


def test_a_new_observation_is_added_and_a_changed_dose_is_a_new_version(store, tmp_path):
    import_ward(store, DEMO_DIR, who="lead", timezone="Europe/Paris")
    later = tmp_path / "later"
    shutil.copytree(DEMO_DIR, later)
    observations = (later / "observations.csv").read_text()
    (later / "observations.csv").write_text(
        observations + "DEMO-01,2026-03-04T12:00:00+01:00,sbp,101,mm[Hg]\n"
    )
    doses = (later / "doses.csv").read_text().splitlines()
    header = doses[0].split(",")
    row = next(i for i, line in enumerate(doses) if ",scheduled," in line)
    fields = doses[row].split(",")
    patient, cycle, number = fields[0], int(fields[1]), int(fields[2])
    fields[header.index("status")] = "held"
    fields[header.index("reason")] = "hypotension"
    doses[row] = ",".join(fields)
    (later / "doses.csv").write_text("\n".join(doses) + "\n")

    result = import_ward(store, later, who="lead", timezone="Europe/Paris")
    assert (result.added, result.changed) == (1, 1)
    stored = load_frames(store)
    assert stored.counts() == load_ward(later, "Europe/Paris").counts()
    dose = stored.doses[
        (stored.doses.patient_id == patient)
        & (stored.doses.cycle == cycle)
        & (stored.doses.dose_number == number)
    ]
    assert dose[["status", "reason"]].values.tolist() == [["held", "hypotension"]]


def test_each_import_keeps_its_report(store):
    import_ward(store, THREE_CSV, who="nurse.a", timezone=WARD_ZONE)
    report = import_reports(store)[0]
    assert report["who"] == "nurse.a"
    assert report["outcome"] == "imported"
    assert report["started_at"].tzinfo is not None
    expected = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(THREE_CSV.iterdir())
    }
    assert {f["name"]: f["sha256"] for f in report["files"]} == expected
    assert report["rows_added"] == sum(load_ward(THREE_CSV, WARD_ZONE).counts().values())


def test_a_refused_input_writes_nothing_and_keeps_the_reasons(store):
    bad = FIXTURES / "bad" / "csv_out_of_range"
    with pytest.raises(DataValidationError) as refused:
        import_ward(store, bad, who="lead", timezone=WARD_ZONE)
    assert load_frames(store).counts() == {"patients": 0, "doses": 0, "observations": 0}
    report = import_reports(store)[0]
    assert report["outcome"] == "refused"
    assert [p["reason"] for p in report["problems"]] == [p.reason for p in refused.value.problems]
    assert report["rows_refused"] >= 1


def test_a_lenient_import_writes_the_valid_rows_and_lists_the_refused(store):
    bad = FIXTURES / "bad" / "csv_out_of_range"
    files = load_ward(bad, WARD_ZONE, keep_going=True)
    result = import_ward(store, bad, who="lead", timezone=WARD_ZONE, keep_going=True)
    assert result.refused == len(files.report.refused_rows)
    assert [str(p) for p in result.problems] == [str(p) for p in files.report.problems]
    assert load_frames(store).counts() == files.counts()


def _contradicting_copy(tmp_path):
    """THREE_CSV with one more file whose only row gives P001's 07:40 blood pressure a
    different value (118 mmHg in the store, 95 here)."""
    later = tmp_path / "later"
    shutil.copytree(THREE_CSV, later)
    (later / "observations.csv").write_text(
        "patient_id,time,parameter,value,unit\n"
        "P001,2026-03-02T07:40:00-05:00,sbp,95,mmHg\n"
        "P001,2026-03-02T20:00:00-05:00,sbp,120,mmHg\n"
    )
    return later


def test_a_later_import_contradicting_a_stored_reading_is_refused_naming_both(store, tmp_path):
    import_ward(store, THREE_CSV, who="lead", timezone=WARD_ZONE)
    before = load_frames(store)
    later = _contradicting_copy(tmp_path)
    with pytest.raises(DataValidationError) as refused:
        import_ward(store, later, who="lead", timezone=WARD_ZONE)
    [problem] = refused.value.problems
    assert (problem.file, problem.row, problem.column) == ("observations.csv", 2, "value")
    assert "sbp 95 mmHg" in problem.reason
    assert "118 mmHg" in problem.reason and "import 1" in problem.reason
    # Nothing of the refused input was written, not even its good row; the report says why.
    assert load_frames(store).counts() == before.counts()
    report = import_reports(store)[0]
    assert report["outcome"] == "refused"
    assert [p["reason"] for p in report["problems"]] == [problem.reason]


def test_a_lenient_import_refuses_only_the_contradicting_row(store, tmp_path):
    import_ward(store, THREE_CSV, who="lead", timezone=WARD_ZONE)
    before = len(load_frames(store).observations)
    result = import_ward(
        store, _contradicting_copy(tmp_path), who="lead", timezone=WARD_ZONE, keep_going=True
    )
    assert (result.added, result.refused) == (1, 1)
    assert "118 mmHg" in result.problems[0].reason
    stored = load_frames(store).observations
    assert len(stored) == before + 1
    at_0740 = stored[
        (stored.patient_id == "P001")
        & (stored.parameter == "sbp")
        & (stored.time == pd.Timestamp("2026-03-02T12:40:00Z"))
    ]
    assert at_0740["value"].tolist() == [118.0]  # kept once, never twice


def test_texts_with_tabs_newlines_and_backslashes_come_back_exactly(store, tmp_path):
    """Patients and doses are written by the drivers' bulk paths (COPY's text format on
    PostgreSQL escapes tab and backslash, and reads \\N as NULL): every character comes
    back. (A value may not span lines in a file, so there is no newline to try.)"""
    copy = tmp_path / "awkward"
    shutil.copytree(THREE_CSV, copy)
    name = 'Tab\there, "quoted", back\\slash \\N and \\n'
    reason = "held:\tSBP 84\\N\\r on phenylephrine"
    patients = pd.read_csv(copy / "patients.csv", dtype=str, keep_default_na=False)
    patients.loc[0, "name"] = name
    patients.to_csv(copy / "patients.csv", index=False)
    doses = pd.read_csv(copy / "doses.csv", dtype=str, keep_default_na=False)
    doses.loc[1, "reason"] = reason
    doses.to_csv(copy / "doses.csv", index=False)
    files = load_ward(copy, WARD_ZONE)
    import_ward(store, copy, who="lead", timezone=WARD_ZONE)
    stored = load_frames(store)
    assert stored.patients.loc[0, "name"] == name == files.patients.loc[0, "name"]
    assert stored.doses.loc[1, "reason"] == files.doses.loc[1, "reason"]
    pd.testing.assert_frame_equal(stored.patients, files.patients)
    pd.testing.assert_frame_equal(stored.doses, files.doses)
