"""criteria.md section 9.7: when a load went on past refused rows, a refused DOSE row makes
that patient's dose count unknown: the status is `incomplete` with a `dose_record` finding
naming the file, the row and the reason, never a count that silently skips a dose.
"""

import shutil

import pandas as pd

from dashboard.assessment import assess_course, assess_next_doses
from dashboard.loading import load_ward
from tests.conftest import FIXTURES, WARD_ZONE

AT = pd.Timestamp("2026-03-02 18:00", tz="UTC")


def test_a_patient_whose_only_dose_row_was_refused_is_incomplete_not_no_dose_due():
    # doses.csv row 5: P002 cycle 1 dose 1 "given" without its administered_time: refused
    ward = load_ward(FIXTURES / "bad" / "csv_given_without_time", WARD_ZONE, keep_going=True)
    by_patient = {a.patient_id: a for a in assess_next_doses(ward, AT)}
    p002 = by_patient["P002"]
    assert p002.status == "incomplete"
    (record,) = [f for f in p002.findings if f.criterion == "dose_record"]
    assert record.outcome == "incomplete"
    assert "doses.csv, row 5" in record.detail
    assert "a given dose needs its administered_time" in record.detail
    # P001's dose rows were all read: no dose_record finding
    assert "dose_record" not in {f.criterion for f in by_patient["P001"].findings}


def test_a_refused_dose_row_among_read_ones_makes_every_dose_of_the_patient_incomplete(tmp_path):
    # | doses.csv row | patient | dose | status | administered_time |
    # | 2             | P001    | 1    | given  | (empty: refused)  |
    # | 3             | P001    | 2    | held   |                   |
    # | 4             | P001    | 3    | scheduled |                |
    # Dose 1 was given: without its row the count would say none given.
    folder = tmp_path / "ward"
    shutil.copytree(FIXTURES / "good" / "three_csv", folder)
    doses = (
        (folder / "doses.csv").read_text().replace("given,2026-03-02T08:12:00-05:00", "given,", 1)
    )
    (folder / "doses.csv").write_text(doses)
    ward = load_ward(folder, WARD_ZONE, keep_going=True)
    assert list(ward.report.refused_rows["table"]) == ["doses"]
    by_patient = {a.patient_id: a for a in assess_next_doses(ward, AT)}
    p001 = by_patient["P001"]
    assert p001.dose_number == 2
    record = next(f for f in p001.findings if f.criterion == "dose_record")
    assert (record.outcome, record.system) == ("incomplete", "treatment")
    assert "doses.csv, row 2" in record.detail
    assert p001.status in ("incomplete", "hold", "stop_cycle", "discontinue")
    assert p001.status != "clear"
    # a course review says it at every dose of that patient
    for assessment in assess_course(ward):
        if assessment.patient_id == "P001":
            assert "dose_record" in {f.criterion for f in assessment.findings}


def test_a_patient_whose_own_row_was_refused_is_listed_incomplete_not_missing(tmp_path):
    # patients.csv row 3 (P002) has a baseline weight of 'heavy': P002 is refused, and with
    # them their doses and observations. The ward must still show P002, INCOMPLETE.
    from dashboard.loading import load_ward
    from dashboard.protocols import load_protocol
    from dashboard.views.ward_rows import ward_rows
    from tests.conftest import FIXTURES

    for name in ("patients.csv", "doses.csv", "observations.csv"):
        text = (FIXTURES / "good" / "three_csv" / name).read_text()
        if name == "patients.csv":
            lines = text.splitlines()
            fields = lines[2].split(",")
            fields[5] = "heavy"
            lines[2] = ",".join(fields)
            text = "\n".join(lines) + "\n"
        (tmp_path / name).write_text(text)
    data = load_ward(tmp_path, "UTC", keep_going=True)
    assert "P002" not in set(data.patients["patient_id"])
    at = pd.Timestamp("2026-03-02 18:00", tz="UTC")
    by_patient = {a.patient_id: a for a in assess_next_doses(data, at)}
    refused = by_patient["P002"]
    assert refused.status == "incomplete"
    assert [(f.criterion, f.outcome) for f in refused.findings] == [
        ("patient_record", "incomplete")
    ]
    assert refused.findings[0].detail.startswith("patients.csv, row 3 refused: ")
    rows = ward_rows(
        data,
        list(by_patient.values()),
        {"proleukin-label": load_protocol("proleukin-label")},
        at,
        "UTC",
    )
    assert "P002" in set(rows["patient_id"])


def test_a_refused_reading_makes_the_patient_incomplete_never_clear(tmp_path):
    # | time (New York)  | creatinine                       |
    # | 2026-03-02 06:00 | 88.4 umol/L (1.0 mg/dL), read    |
    # | 2026-03-02 13:00 | 5.2 mg/dl/h: a wrong unit, refused (it would hold: > 4.5) |
    # The older 1.0 must not stand in for the refused 5.2: the verdict is incomplete.
    for name in ("patients.csv", "doses.csv", "observations.csv"):
        shutil.copy(FIXTURES / "good" / "three_csv" / name, tmp_path / name)
    with open(tmp_path / "observations.csv", "a") as handle:
        handle.write("P001,2026-03-02T13:00:00-05:00,creatinine,5.2,mg/dl/h\n")
    data = load_ward(tmp_path, WARD_ZONE, keep_going=True)
    at = pd.Timestamp("2026-03-02 14:00", tz=WARD_ZONE)
    p001 = next(a for a in assess_next_doses(data, at) if a.patient_id == "P001")
    assert p001.status != "clear"
    record = [f for f in p001.findings if f.criterion == "observation_record"]
    assert [(f.outcome, f.source) for f in record] == [("incomplete", "observations.csv, row 13")]
    assert "'mg/dl/h' is not a unit of creatinine" in record[0].detail
