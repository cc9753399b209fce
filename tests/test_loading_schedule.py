"""Doses that contradict their own schedule are refused, each naming what was expected
(issue 9; docs/input-formats.md). A dose renumbered 999 would otherwise vanish from "the
next dose", and a year typed wrong would move it to another decade.

Each case is the good three-CSV set with doses.csv written out here; times are UTC.
"""

from __future__ import annotations

import pytest

from dashboard.errors import DataValidationError
from dashboard.loading import load_ward
from tests.conftest import FIXTURES

HEADER = (
    "patient_id,cycle,dose_number,scheduled_time,status,administered_time,dose_iu_per_kg,reason"
)


def problems(tmp_path, *doses: str) -> list[str]:
    for name in ("patients.csv", "observations.csv"):
        (tmp_path / name).write_bytes((FIXTURES / "good" / "three_csv" / name).read_bytes())
    (tmp_path / "doses.csv").write_text("\n".join([HEADER, *doses]) + "\n")
    try:
        load_ward(tmp_path, "UTC")
    except DataValidationError as error:
        return [f"row {p.row}, {p.column}: {p.reason}" for p in error.problems]
    return []


GIVEN_1 = "P001,1,1,2026-03-02T08:00Z,given,2026-03-02T08:10Z,,"
GIVEN_2 = "P001,1,2,2026-03-02T16:00Z,given,2026-03-02T16:05Z,,"


def test_a_consistent_schedule_loads(tmp_path):
    late = "P001,1,3,2026-03-03T00:00Z,given,2026-03-03T09:30Z,,"  # 9.5 h late: it happens
    next_cycle = "P001,2,1,2026-03-16T08:00Z,scheduled,,,"
    assert problems(tmp_path, GIVEN_1, GIVEN_2, late, next_cycle) == []


def test_a_dose_number_out_of_sequence_names_the_expected_number(tmp_path):
    assert problems(tmp_path, GIVEN_1, GIVEN_2, "P001,1,999,2026-03-03T00:00Z,scheduled,,,") == [
        "row 4, dose_number: dose number 999 is not the next of its cycle: cycle 1's doses are "
        "numbered 1, 2, 3… without gaps, and this one (scheduled 2026-03-03 00:00 UTC) would be "
        "dose 3"
    ]


def test_swapped_times_and_two_doses_at_one_time_are_refused(tmp_path):
    swapped = "P001,1,2,2026-03-02T07:00Z,held,,,"
    assert problems(tmp_path, GIVEN_1, swapped) == [
        "row 3, scheduled_time: scheduled 2026-03-02 07:00 UTC is not after dose 1 of cycle 1 "
        "(2026-03-02 08:00 UTC, row 2): doses are numbered in the order they are scheduled"
    ]
    same_time = "P001,1,2,2026-03-02T08:00Z,held,,,"
    assert len(problems(tmp_path, GIVEN_1, same_time)) == 1


def test_a_year_typed_wrong_is_refused(tmp_path):
    assert problems(tmp_path, GIVEN_1, "P001,1,2,2062-03-02T16:00Z,scheduled,,,") == [
        "row 3, scheduled_time: scheduled 2062-03-02 16:00 UTC, more than 72 h after dose 1 "
        "of cycle 1 (2026-03-02 08:00 UTC, row 2): a typing error? (doses of one cycle "
        "follow each other within 72 h)"
    ]


def test_a_dose_of_a_later_cycle_inside_an_earlier_one_is_refused(tmp_path):
    inside = "P001,2,1,2026-03-02T12:00Z,scheduled,,,"
    assert problems(tmp_path, GIVEN_1, GIVEN_2, inside) == [
        "row 4, scheduled_time: scheduled 2026-03-02 12:00 UTC, not after the last dose of the "
        "cycle before: dose 2 of cycle 1 (2026-03-02 16:00 UTC, row 3): a dose of a later "
        "cycle inside an earlier one?"
    ]


def test_a_dose_given_a_year_before_its_schedule_is_refused(tmp_path):
    early = "P001,1,2,2026-03-02T16:00Z,given,2025-03-02T16:00Z,,"
    assert problems(tmp_path, GIVEN_1, early) == [
        "row 3, administered_time: administered 2025-03-02 16:00 UTC, more than 24 h from its "
        "scheduled time 2026-03-02 16:00 UTC: a typing error?"
    ]


def test_a_patient_with_a_refused_dose_row_is_not_also_blamed_for_the_gap(tmp_path):
    bad_time = "P001,1,2,not a time,held,,,"
    third = "P001,1,3,2026-03-03T00:00Z,scheduled,,,"
    found = problems(tmp_path, GIVEN_1, bad_time, third)
    assert len(found) == 1 and found[0].startswith("row 3, scheduled_time:")


@pytest.mark.parametrize("number", ["15", "0"])
def test_a_dose_renumbered_beyond_the_cycle_or_below_one_is_refused(tmp_path, number):
    found = problems(tmp_path, GIVEN_1, f"P001,1,{number},2026-03-02T16:00Z,scheduled,,,")
    assert len(found) == 1 and "row 3, dose_number" in found[0]


def test_inf_as_a_dose_number_is_a_problem_not_a_crash(tmp_path):
    assert problems(tmp_path, GIVEN_1, "P001,1,inf,2026-03-02T16:00Z,scheduled,,,") == [
        "row 3, dose_number: 'inf' is not a number"
    ]
