"""View models: what the screens say, checked without a browser."""

from __future__ import annotations

import pandas as pd

from dashboard.assessment import DoseAssessment, Finding, assess_next_doses
from dashboard.protocols import load_protocol
from dashboard.views.clock import format_age, format_until
from dashboard.views.dose_card import dose_card
from dashboard.views.findings import localise_times
from dashboard.views.protocol_choice import effective_protocols, groups
from dashboard.views.statuses import STATUS_LOOKS, status_rank
from dashboard.views.ward_rows import ward_rows
from tests.scenarios import course, obs, patient, ward

ZONE = "America/New_York"
AT = pd.Timestamp("2026-03-04 19:00", tz="UTC")  # 14:00 in New York


def test_time_to_go_and_overdue():
    due = pd.Timestamp("2026-03-04 21:05", tz="UTC")
    assert format_until(due, AT) == "in 2 h 05 min"
    assert format_until(AT - pd.Timedelta(minutes=20), AT) == "overdue by 20 min"
    assert format_age(None, AT) == "no data"


def test_the_card_headline_reads_as_a_nurse_says_it():
    finding = Finding(
        "hypotension",
        "hold",
        "sbp",
        84.0,
        "mm[Hg]",
        pd.Timestamp("2026-03-04 17:05", tz="UTC"),
        "latest sbp < 90 mm[Hg]",
        "[PI-2.4] Proleukin label",
        restart="latest sbp >= 90 mm[Hg]",
    )
    assessment = DoseAssessment(
        "P1",
        "proleukin-label",
        1,
        7,
        pd.Timestamp("2026-03-04 21:05", tz="UTC"),
        AT,
        "scheduled",
        "hold",
        [finding],
    )
    card = dose_card(assessment, load_protocol("proleukin-label"), ZONE)
    assert card.headline == "HOLD dose 7 (C1) due 16:05, in 2 h 05 min"
    assert card.reasons[0].value == "sbp 84 mmHg"
    assert card.reasons[0].time.startswith("12:05")
    assert card.restart_unmet == ["Hypotension: latest sbp >= 90 mmHg"]  # words (9.6)
    assert "does not make it" in card.support_note


def test_every_status_has_its_own_word_and_icon():
    words = [look.word for look in STATUS_LOOKS.values()]
    icons = [look.icon for look in STATUS_LOOKS.values()]
    assert len(set(words)) == len(words) and len(set(icons)) == len(icons)
    assert (
        status_rank("discontinue")
        < status_rank("hold")
        < status_rank("incomplete")
        < status_rank("clear")
        < status_rank("no_dose_due")
    )
    assert status_rank("something new") < status_rank("discontinue")  # never sinks


def test_ward_rows_worst_first_and_missing_says_so():
    patients = [patient("P1", name="Quiet"), patient("P2", name="Low pressure")]
    doses = course("P1", "2026-03-04 05:00", given=2, doses=14) + course(
        "P2", "2026-03-04 05:00", given=2, doses=14
    )
    observations = [
        obs("P2", "2026-03-04 18:30", "sbp", 84),
        obs("P2", "2026-03-04 18:30", "mental_status", "normal"),
        obs("P2", "2026-03-04 18:00", "urine_output", 200),
        obs("P2", "2026-03-04 10:00", "creatinine", 1.2),
        obs("P2", "2026-03-04 18:00", "creatinine", 1.5),
        obs("P2", "2026-03-04 18:30", "spo2", 97),
    ]
    data = ward(patients, doses, observations)
    assessments = assess_next_doses(data, AT)
    rows = ward_rows(
        data, assessments, {"proleukin-label": load_protocol("proleukin-label")}, AT, ZONE
    )
    assert list(rows["patient_id"]) == ["P2", "P1"]  # hold before incomplete
    p1 = rows.set_index("patient_id").loc["P1"]
    assert "INCOMPLETE" in p1["Status"]
    assert p1["SBP"] == "no value" and p1["Creatinine"] == "no value"
    assert p1["Urine"] == "none charted"
    p2 = rows.set_index("patient_id").loc["P2"]
    assert p2["Creatinine"].startswith("1.50 mg/dL ↑ from 1.20")
    assert p2["Dose"] == "C1 D3/14"
    assert "Hypotension: sbp 84 mmHg" in p2["Reasons"]  # titles and words (9.6)


def test_protocol_choice_override_beats_ward_choice():
    frame = pd.DataFrame({"patient_id": ["A", "B"], "protocol": ["", "til-2024"]})
    assert effective_protocols(frame) == {"A": "proleukin-label", "B": "til-2024"}
    chosen = effective_protocols(frame, "cwg-consensus-2014", {"B": "til-2024"})
    assert chosen == {"A": "cwg-consensus-2014", "B": "til-2024"}
    assert groups(chosen) == {"cwg-consensus-2014": ("A",), "til-2024": ("B",)}


def test_engine_details_are_shown_in_ward_time():
    text = "sbp 74 mm[Hg] at 2026-03-04 17:21 UTC"
    assert localise_times(text, ZONE, AT) == "sbp 74 mm[Hg] at 12:21"


def test_a_course_ended_by_a_criterion_sorts_above_clear_patients():
    # P2 had sustained VT after dose 2; dose 3 was held and the course ended, so nothing
    # more is scheduled. "No dose due" must not sink the patient below the clear ones on rounds.
    patients = [patient("P1", name="Well"), patient("P2", name="VT, course ended")]
    doses = course("P1", "2026-03-04 05:00", given=2, doses=14) + course(
        "P2", "2026-03-03 20:00", given=3, held=(3,), doses=3
    )
    fresh = [
        obs(pid, "2026-03-04 18:30", parameter, value)
        for pid in ("P1", "P2")
        for parameter, value in (
            ("sbp", 120),
            ("mental_status", "normal"),
            ("spo2", 97),
            ("heart_rate", 88),
        )
    ]
    observations = [
        *fresh,
        obs("P1", "2026-03-04 18:00", "urine_output", 400),
        obs("P1", "2026-03-04 10:00", "urine_output", 400),
        obs("P1", "2026-03-04 10:00", "creatinine", 1.0),
        obs("P2", "2026-03-04 09:40", "rhythm", "vt_sustained"),
    ]
    data = ward(patients, doses, observations)
    assessments = assess_next_doses(data, AT)
    by_patient = {a.patient_id: a for a in assessments}
    assert by_patient["P1"].status == "clear"
    assert by_patient["P2"].status == "discontinue"  # criteria.md section 9.1
    assert "discontinue" in [f.outcome for f in by_patient["P2"].findings]
    rows = ward_rows(
        data, assessments, {"proleukin-label": load_protocol("proleukin-label")}, AT, ZONE
    )
    assert list(rows["patient_id"]) == ["P2", "P1"]
    assert "Sustained ventricular tachycardia" in rows.set_index("patient_id").loc["P2", "Reasons"]


def test_a_name_a_spreadsheet_would_run_is_shown_as_text_in_the_ward_table():
    # The ward table's own CSV download hands its cells to a spreadsheet.
    data = ward(
        [patient("P1", name='=HYPERLINK("http://x.example","open")')],
        course("P1", "2026-03-04 05:00", given=2, doses=14),
        [obs("P1", "2026-03-04 18:30", "sbp", 120)],
    )
    rows = ward_rows(
        data,
        assess_next_doses(data, AT),
        {"proleukin-label": load_protocol("proleukin-label")},
        AT,
        ZONE,
    )
    assert rows.loc[0, "Patient"] == '\'=HYPERLINK("http://x.example","open") (P1)'
