"""Presentation is safety (criteria.md section 9), written as small tables: what the card,
the ward row and the command line say about support, validity, other protocols, partial
data, statuses with no dose, and clinical words."""

from __future__ import annotations

import pandas as pd

from dashboard.assessment import DoseAssessment, Finding, assess_next_doses
from dashboard.assessment.stricter import assess_other_protocols, stricter_notes
from dashboard.assessment.support import rate_thresholds, support_in_progress
from dashboard.assessment.validity import ward_validity
from dashboard.protocols import load_protocol
from dashboard.quantities import code_words, format_quantities, format_quantity
from dashboard.tables import ImportReport
from dashboard.views.dose_card import dose_card
from dashboard.views.statuses import CLEAR_WATCH, display_status, status_rank, ward_rank
from dashboard.views.support import support_line
from dashboard.views.ward_rows import ward_rows
from tests.scenarios import course, obs, patient, ward

ZONE = "America/New_York"
AT = pd.Timestamp("2026-03-04 19:00", tz="UTC")  # 14:00 in New York
LABEL = load_protocol("proleukin-label")
CWG = load_protocol("cwg-consensus-2014")


def _fresh(pid: str, time: str = "2026-03-04 18:30") -> list[dict]:
    return [
        obs(pid, time, p, v)
        for p, v in (("sbp", 118), ("spo2", 97), ("mental_status", "normal"), ("heart_rate", 88))
    ] + [
        obs(pid, "2026-03-04 12:00", "urine_output", 300),
        obs(pid, "2026-03-04 18:00", "urine_output", 120),
        obs(pid, "2026-03-04 08:00", "creatinine", 1.0),
    ]


# --------------------------------------------------------------------------- 9.6 words


def test_one_formatter_one_precision_per_parameter():
    # value, parameter, unit -> as a ward writes it
    table = [
        (84.0, "sbp", None, "84 mmHg"),
        (3.235, "creatinine", None, "3.24 mg/dL"),  # half-up on the decimal, not 3.23
        (1.5, "phenylephrine", None, "1.50 µg/kg/min"),
        (0.2495, "urine_output", "mL/kg/h", "0.25 mL/kg/h"),
        (38.25, "temperature", "Cel", "38.3 °C"),
        ("vt_sustained", "rhythm", None, "sustained VT"),
        (None, "sbp", None, "no value"),
    ]
    for value, parameter, unit, expected in table:
        assert format_quantity(parameter, value, unit) == expected
    assert format_quantities("creatinine", [3.235, 3.2349]) == ["3.24 mg/dL", "3.23 mg/dL"]
    assert code_words("o2_device", "nasal_cannula") == "nasal cannula"


# --------------------------------------------------------------------------- 9.3 support


def test_a_patient_on_phenylephrine_never_looks_like_a_patient_on_nothing():
    # P1 on phenylephrine 1.5 ug/kg/min, 80 kg: urine 96 mL in 6 h = 0.2 mL/kg/h
    data = ward(
        [patient("P1", weight=80.0)],
        course("P1", "2026-03-04 05:00", given=2, doses=14),
        [
            *_fresh("P1")[:4],
            obs("P1", "2026-03-04 12:00", "urine_output", 300),
            obs("P1", "2026-03-04 18:00", "urine_output", 96),
            obs("P1", "2026-03-04 17:00", "phenylephrine", 1.5),
            obs("P1", "2026-03-04 17:00", "o2_device", "nasal_cannula"),
            obs("P1", "2026-03-04 17:00", "o2_flow", 2),
            obs("P1", "2026-03-04 06:00", "weight", 88.0),
            obs("P1", "2026-03-04 08:00", "creatinine", 2.4),
        ],
    )
    support = support_in_progress(data, AT, {"P1": CWG})["P1"]
    pressor = support.of_kind("vasopressor")[0]
    assert (pressor.parameter, pressor.value, pressor.unit) == ("phenylephrine", 1.5, "ug/kg/min")
    assert pressor.time == pd.Timestamp("2026-03-04 17:00", tz="UTC")
    urine = support.of_kind("urine")[0]
    assert abs(urine.value - 96 / 6 / 80) < 1e-9 and urine.unit == "mL/kg/h"
    assert urine.note is None  # the record covers the 6 h
    assert abs(support.of_kind("weight_gain")[0].value - 10.0) < 1e-9
    line = support_line(support)
    assert "phenylephrine 1.50 µg/kg/min" in line
    assert "cwg-consensus-2014: stop cycle > 0.80, hold > 0.50" in line  # from the protocol
    assert "O2 nasal cannula, 2.0 L/min" in line
    assert "urine 0.20 mL/kg/h over 6 h" in line and "weight +10.0%" in line


def test_pressor_thresholds_come_from_the_protocol():
    assert rate_thresholds(CWG, "phenylephrine") == (("stop_cycle", ">", 0.8), ("hold", ">", 0.5))
    assert rate_thresholds(LABEL, "phenylephrine") == ()  # the label sets no rate


def test_urine_record_shorter_than_the_window_says_so():
    data = ward(
        [patient("P1")],
        course("P1", "2026-03-04 05:00", given=2, doses=14),
        [obs("P1", "2026-03-04 17:00", "urine_output", 100)],
    )
    urine = support_in_progress(data, AT, {"P1": LABEL})["P1"].of_kind("urine")[0]
    assert urine.note == "record covers 2.0 h of the 6 h"


# --------------------------------------------------------------------------- 9.4 validity


def test_valid_until_the_first_required_value_turns_stale_and_what_to_recheck():
    # sbp at 16:00 UTC, fresh 4 h -> stale at 20:00 UTC (15:00 local), before the dose
    observations = [o for o in _fresh("P1") if o["parameter"] != "sbp"]
    observations.append(obs("P1", "2026-03-04 16:00", "sbp", 118))
    doses = course("P1", "2026-03-04 05:00", given=2, doses=14)  # D3 due 21:00 UTC
    data = ward([patient("P1")], doses, observations)
    [assessment] = assess_next_doses(data, AT)
    validity = ward_validity([assessment], {LABEL.id: LABEL}, data.observations, AT)["P1"]
    assert validity.until == pd.Timestamp("2026-03-04 20:00", tz="UTC")
    assert validity.recheck == "sbp"
    assert validity.deciding_parameter == "creatinine"  # the oldest deciding value
    card = dose_card(assessment, LABEL, ZONE, validity=validity)
    assert card.recheck == "recheck sbp by 15:00"


def test_the_ward_never_shows_a_past_time_as_the_deadline_to_recheck():
    # sbp charted at 12:00 UTC, fresh 4 h: too old since 16:00 UTC (11:00 local), before
    # now (AT): the ward says "recheck now", as the card does, not "recheck by 11:00".
    observations = [o for o in _fresh("P1") if o["parameter"] != "sbp"]
    observations.append(obs("P1", "2026-03-04 12:00", "sbp", 118))
    data = ward([patient("P1")], course("P1", "2026-03-04 05:00", given=2, doses=14), observations)
    [assessment] = assess_next_doses(data, AT)
    row = ward_rows(data, [assessment], {LABEL.id: LABEL}, AT, ZONE).iloc[0]
    assert row["Valid until"] == "recheck sbp now (too old since 11:00)"


def test_valid_until_the_dose_when_everything_stays_fresh():
    data = ward([patient("P1")], course("P1", "2026-03-04 05:00", given=2, doses=14), _fresh("P1"))
    [assessment] = assess_next_doses(data, AT)
    validity = ward_validity([assessment], {LABEL.id: LABEL}, data.observations, AT)["P1"]
    assert validity.until == assessment.scheduled_time and validity.recheck is None


# --------------------------------------------------------------------------- 9.1, 9.2


def test_clear_with_watch_looks_different_and_sorts_above_clear():
    assert display_status("clear", ["watch"]) == CLEAR_WATCH
    assert display_status("clear", []) == "clear"
    assert ward_rank("incomplete", []) < ward_rank("clear", ["watch"]) < ward_rank("clear", [])
    assert status_rank("clear") < status_rank("no_dose_due")


def test_a_stopped_course_is_never_no_dose_due_in_either_engine_shape():
    vt = Finding(
        "ventricular_tachycardia",
        "discontinue",
        "rhythm",
        "vt_sustained",
        None,
        pd.Timestamp("2026-03-04 08:10", tz="UTC"),
        "any rhythm is `vt_sustained` in the course",
        "[PI-2.4] Proleukin label",
    )
    for status in ("no_dose_due", "discontinue"):  # before and after the engine change
        assessment = DoseAssessment("P4", LABEL.id, 1, None, None, AT, None, status, [vt])
        card = dose_card(assessment, LABEL, ZONE)
        assert card.look.word == "DISCONTINUED"
        assert card.headline == (
            "DISCONTINUED: no further IL-2 this course — Sustained "
            "ventricular tachycardia (5 beats or more), sustained VT "
            "at 03:10"
        )
        assert ward_rank(status, ["discontinue"]) == status_rank("discontinue")


def test_watch_findings_are_on_the_card_and_the_ward_row_not_folded():
    data = ward(
        [patient("P1", creatinine=1.0)],
        course("P1", "2026-03-04 05:00", given=2, doses=14),
        [
            *_fresh("P1")[:4],
            obs("P1", "2026-03-04 12:00", "urine_output", 300),
            obs("P1", "2026-03-04 18:00", "urine_output", 300),
            obs("P1", "2026-03-04 08:00", "creatinine", 2.4),
        ],
    )
    [assessment] = assess_next_doses(data, AT)
    assert assessment.status == "clear"
    card = dose_card(assessment, LABEL, ZONE)
    assert card.look.word == "CLEAR · WATCH"
    assert card.watch_text == "creatinine KDIGO stage 2"
    assert [w.outcome for w in card.watch] == ["watch"]  # on the card, not in "also noted"
    assert "watch" not in [n.outcome for n in card.notes]
    row = ward_rows(data, [assessment], {LABEL.id: LABEL}, AT, ZONE).iloc[0]
    assert row["shown"] == CLEAR_WATCH and "CLEAR · WATCH" in row["Status"]
    assert "watch: KDIGO stage 2" in row["Reasons"]  # compact: the support line has the Cr
    assert "Cr 2.40 mg/dL KDIGO stage 2" in row["Support"]


# --------------------------------------------------------------------------- 9.5


def test_another_protocol_stricter_is_noted_and_the_status_stays():
    # phenylephrine 1.0 at T: the label reads no rate, the consensus holds (> 0.5)
    data = ward(
        [patient("P1")],
        course("P1", "2026-03-04 05:00", given=2, doses=14),
        [*_fresh("P1"), obs("P1", "2026-03-04 18:00", "phenylephrine", 0.6)],
    )
    own = assess_next_doses(data, AT, LABEL)
    notes = stricter_notes(own, assess_other_protocols(data, AT, [LABEL, CWG]))
    [note] = notes["P1"]
    assert (note.protocol_id, note.status, note.finding.criterion) == (
        "cwg-consensus-2014",
        "hold",
        "vasopressor",
    )
    card = dose_card(own[0], LABEL, ZONE, stricter=notes["P1"])
    assert card.status == own[0].status != "hold"
    assert card.stricter == (
        "cwg-consensus-2014 would say HOLD: Phenylephrine requirement, "
        "phenylephrine 0.60 µg/kg/min at 13:00"
    )


# --------------------------------------------------------------------------- 9.7


def test_patients_with_refused_rows_are_marked():
    data = ward(
        [patient("P1"), patient("P2")],
        course("P1", "2026-03-04 05:00", given=2, doses=14)
        + course("P2", "2026-03-04 05:00", given=2, doses=14),
        _fresh("P1") + _fresh("P2"),
    )
    data.report = ImportReport(
        refused_rows=pd.DataFrame({"patient_id": ["P2", "P2", ""], "table": ["observations"] * 3})
    )
    assert data.refused_by_patient() == {"P2": 2}
    assessments = assess_next_doses(data, AT)
    rows = ward_rows(data, assessments, {LABEL.id: LABEL}, AT, ZONE).set_index("patient_id")
    assert "2 rows refused" in rows.loc["P2", "Reasons"]
    assert "refused" not in rows.loc["P1", "Reasons"]
    p2 = next(a for a in assessments if a.patient_id == "P2")
    assert dose_card(p2, LABEL, ZONE, refused=2).refused == "2 rows refused for this patient"


def test_a_rule_on_a_screen_reads_in_clinical_words_and_units():
    from dashboard.quantities import display_rule

    assert display_rule("latest sbp < 90 mm[Hg]") == "latest sbp < 90 mmHg"
    assert display_rule("any rhythm is `vt_sustained` in the course") == (
        "any rhythm is sustained VT in the course"
    )
    assert display_rule("latest platelets between 30 and 50 10*3/uL (inclusive)") == (
        "latest platelets between 30 and 50 ×10³/µL (inclusive)"
    )
    assert display_rule("urine_output total over the last 8 h < 80 mL") == (
        "urine output total over the last 8 h < 80 mL"
    )


def test_urine_not_charted_for_hours_is_no_rate_never_anuria():
    # | time (UTC)       | urine_output |
    # | 2026-03-04 12:00 | 300 mL       |  <- 7 h before AT: the 6-h window holds no entry
    observations = [o for o in _fresh("P1") if o["parameter"] != "urine_output"]
    observations.append(obs("P1", "2026-03-04 12:00", "urine_output", 300))
    data = ward([patient("P1")], course("P1", "2026-03-04 05:00", given=2, doses=14), observations)
    [assessment] = assess_next_doses(data, AT)
    urine = support_in_progress(data, AT, {"P1": LABEL})["P1"].of_kind("urine")[0]
    assert urine.value is None
    assert urine.note == "none charted in the last 4 h"
    row = ward_rows(data, [assessment], {LABEL.id: LABEL}, AT, ZONE).iloc[0]
    assert "urine: none charted in the last 4 h" in row["Support"]
    assert "0.00" not in row["Support"]


def test_a_til_patients_support_urine_is_the_6_hour_rate_not_the_8_hour_total():
    til = load_protocol("til-2024")
    data = ward(
        [patient("P1", protocol="til-2024")],
        course("P1", "2026-03-04 05:00", given=2, doses=6),
        _fresh("P1"),
    )
    urine = support_in_progress(data, AT, {"P1": til})["P1"].of_kind("urine")[0]
    assert urine.hours == 6


def test_a_discontinued_course_with_doses_still_listed_says_why_and_no_recheck_lifts_it():
    # sustained VT at 18:00 UTC; doses 3-14 are still in the table as scheduled
    observations = [*_fresh("P1"), obs("P1", "2026-03-04 18:00", "rhythm", "vt_sustained")]
    data = ward([patient("P1")], course("P1", "2026-03-04 05:00", given=2, doses=14), observations)
    [assessment] = assess_next_doses(data, AT)
    assert assessment.status == "discontinue" and assessment.dose_number == 3
    validity = ward_validity([assessment], {LABEL.id: LABEL}, data.observations, AT)["P1"]
    card = dose_card(assessment, LABEL, ZONE, validity=validity)
    assert card.headline.startswith(
        "DISCONTINUED: no further IL-2 this course — Sustained ventricular tachycardia"
    )
    assert "sustained VT at 13:00" in card.headline
    assert card.validity == "Stands for the rest of the course."
    assert card.recheck is None


def test_an_overdue_dose_is_never_said_to_come_after_its_verdict():
    # dose 3 was due 18:00 UTC (13:00 local), before AT (19:00): overdue
    data = ward([patient("P1")], course("P1", "2026-03-04 02:00", given=2, doses=14), _fresh("P1"))
    [assessment] = assess_next_doses(data, AT)
    assert assessment.scheduled_time < AT
    validity = ward_validity([assessment], {LABEL.id: LABEL}, data.observations, AT)["P1"]
    card = dose_card(assessment, LABEL, ZONE, validity=validity)
    assert "before the dose" not in (card.validity or "")
    assert card.validity.startswith("The dose was due at 13:00 (overdue)")
