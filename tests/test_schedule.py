"""The dosing schedule (dashboard/schedule.py): next dose, interval, counts.

Each test is a small doses table and the answer a nurse would give, written out.
"""

import pandas as pd

from dashboard.schedule import assessment_points, course_points, decided_at, next_doses
from tests.scenarios import course, dose, utc, ward


def doses_frame(rows):
    return ward([], rows).doses


def one(frame, **where):
    selected = frame
    for column, value in where.items():
        selected = selected[selected[column] == value]
    assert len(selected) == 1, selected
    return selected.iloc[0]


def test_next_dose_is_the_first_not_given_or_held():
    doses = doses_frame(course("P1", "2026-03-02 08:00", given=6))
    nxt = one(next_doses(doses, utc("2026-03-04 13:30")), patient_id="P1")
    assert (nxt.cycle, nxt.dose_number) == (1, 7)
    assert nxt.scheduled_time == utc("2026-03-04 08:00")
    # interval starts at dose 6, given 2026-03-04 00:00
    assert nxt.interval_start == utc("2026-03-04 00:00")
    assert nxt.interval_from_dose
    assert (nxt.given_in_cycle, nxt.held_in_cycle, nxt.given_in_course) == (6, 0, 6)


def test_a_dose_given_late_is_not_decided_before_it_was_given():
    doses = doses_frame(
        [
            dose("P1", 1, 1, "2026-03-02 08:00", "given"),
            dose("P1", 1, 2, "2026-03-02 16:00", "given", administered="2026-03-02 18:30"),
            dose("P1", 1, 3, "2026-03-03 00:00"),
        ]
    )
    at_17 = one(next_doses(doses, utc("2026-03-02 17:00")), patient_id="P1")
    assert at_17.dose_number == 2  # recorded as given at 18:30: at 17:00 it was still due
    assert at_17.interval_start == utc("2026-03-02 08:00")
    at_19 = one(next_doses(doses, utc("2026-03-02 19:00")), patient_id="P1")
    assert at_19.dose_number == 3
    assert at_19.interval_start == utc("2026-03-02 18:30")  # from the late administration


def test_a_held_dose_does_not_start_an_interval():
    doses = doses_frame(course("P1", "2026-03-02 08:00", given=4, held=(4,)))
    nxt = one(next_doses(doses, utc("2026-03-03 09:00")), patient_id="P1")
    assert nxt.dose_number == 5
    assert nxt.interval_start == utc("2026-03-03 00:00")  # dose 3, not the held dose 4
    assert (nxt.given_in_cycle, nxt.held_in_cycle) == (3, 1)


def test_a_held_dose_is_decided_once_its_time_has_come():
    doses = doses_frame(course("P1", "2026-03-02 08:00", given=2, held=(2,)))
    assert decided_at(doses, utc("2026-03-02 15:59")).tolist()[:2] == [True, False]
    assert decided_at(doses, utc("2026-03-02 16:00")).tolist()[:2] == [True, True]


def test_no_dose_given_yet_interval_is_8_hours_before_now():
    doses = doses_frame(course("P1", "2026-03-02 08:00"))
    nxt = one(next_doses(doses, utc("2026-03-02 07:00")), patient_id="P1")
    assert nxt.dose_number == 1
    assert nxt.interval_start == utc("2026-03-01 23:00")
    assert not nxt.interval_from_dose


def test_cycle_2_starts_a_fresh_interval_and_counts():
    doses = doses_frame(
        course("P1", "2026-03-02 08:00", given=14, held=(5,))
        + course("P1", "2026-03-16 08:00", cycle=2, given=1)
    )
    nxt = one(next_doses(doses, utc("2026-03-16 10:00")), patient_id="P1")
    assert (nxt.cycle, nxt.dose_number) == (2, 2)
    assert nxt.interval_start == utc("2026-03-16 08:00")
    assert (nxt.given_in_cycle, nxt.held_in_cycle) == (1, 0)
    assert (nxt.given_in_course, nxt.held_in_course) == (14, 1)
    first_of_cycle_2 = one(course_points(doses), cycle=2, dose_number=1)
    # nothing given yet in cycle 2 at its first dose: 8 h before, not cycle 1's last dose
    assert first_of_cycle_2.interval_start == utc("2026-03-16 00:00")


def test_every_dose_decided_means_no_dose_due():
    doses = doses_frame(course("P1", "2026-03-02 08:00", given=3, doses=3))
    assert next_doses(doses, utc("2026-03-03 12:00")).empty


def test_course_review_assesses_each_dose_at_its_scheduled_time():
    doses = doses_frame(course("P1", "2026-03-02 08:00", given=3, held=(2,), doses=4))
    points = course_points(doses)
    assert points["assessed_at"].tolist() == points["scheduled_time"].tolist()
    third = one(points, dose_number=3)
    assert third.interval_start == utc("2026-03-02 08:00")  # dose 2 held, dose 1 given
    assert (third.given_in_cycle, third.held_in_cycle) == (1, 1)
    assert third.recorded_status == "given"


def test_assessment_points_at_a_moment_include_the_history_of_the_cycle():
    doses = doses_frame(
        course("P1", "2026-03-02 08:00", given=3, doses=5)
        + course("P2", "2026-03-02 10:00", given=1, doses=3)
    )
    points = assessment_points(doses, at=utc("2026-03-02 23:00"))
    targets = points[points["is_target"]]
    # P1: doses 1, 2 given; dose 3 (due 00:00) is next. P2: dose 2 (due 18:00) overdue.
    assert targets[["patient_id", "dose_number"]].values.tolist() == [["P1", 3], ["P2", 2]]
    history = points[~points["is_target"]]
    assert history[["patient_id", "dose_number"]].values.tolist() == [
        ["P1", 1],
        ["P1", 2],
        ["P2", 1],
    ]
    assert set(targets["assessed_at"]) == {utc("2026-03-02 23:00")}


def test_a_per_patient_dosing_interval_is_used_before_the_first_dose():
    doses = doses_frame(course("P1", "2026-03-02 08:00") + course("P2", "2026-03-02 08:00"))
    points = next_doses(doses, utc("2026-03-02 07:00"), interval_hours=pd.Series({"P2": 12.0}))
    assert one(points, patient_id="P1").interval_start == utc("2026-03-01 23:00")
    assert one(points, patient_id="P2").interval_start == utc("2026-03-01 19:00")
