"""Times: offsets honoured, naive times in the ward's zone, UTC inside (data-contract §1, §4)."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.loading.times import parse_times

ZONE = "America/New_York"


@pytest.mark.parametrize(
    ("typed", "utc"),
    [
        ("2026-03-02T14:05:00-05:00", "2026-03-02T19:05:00+00:00"),  # offset honoured
        ("2026-03-02T14:05:00+01:00", "2026-03-02T13:05:00+00:00"),  # mixed offsets converted
        ("2026-03-02T19:05Z", "2026-03-02T19:05:00+00:00"),
        ("2026-03-02 14:05", "2026-03-02T19:05:00+00:00"),  # naive: ward time (EST, -5)
        ("2026-07-02 14:05", "2026-07-02T18:05:00+00:00"),  # naive in summer: EDT, -4
        ("2026-03-02T14:05:30.250", "2026-03-02T19:05:30.250+00:00"),
    ],
)
def test_times_become_utc(typed, utc):
    times, reasons = parse_times(pd.Series([typed]), ZONE)
    assert reasons.isna().all()
    assert times.iloc[0] == pd.Timestamp(utc)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "time is empty"),
        (
            "2026-03-02",
            "'2026-03-02' is not a date and time of day (expected ISO 8601, e.g. "
            "2026-03-02T14:05 or 2026-03-02T14:05:00-05:00)",
        ),
        (
            "02/03/2026 14:05",
            "'02/03/2026 14:05' is not a date and time of day (expected ISO 8601, "
            "e.g. 2026-03-02T14:05 or 2026-03-02T14:05:00-05:00)",
        ),
        ("2026-02-30 10:00", "'2026-02-30 10:00' is not a valid date-time"),
        (
            "2026-03-08 02:30",
            "'2026-03-08 02:30' does not exist or is ambiguous in "
            "America/New_York (a daylight-saving change): write it with its UTC "
            "offset",
        ),
        (
            "2026-11-01 01:30",
            "'2026-11-01 01:30' does not exist or is ambiguous in "
            "America/New_York (a daylight-saving change): write it with its UTC "
            "offset",
        ),
    ],
)
def test_times_that_cannot_be_placed_are_refused_with_a_reason(typed, reason):
    times, reasons = parse_times(pd.Series([typed]), ZONE)
    assert pd.isna(times.iloc[0])
    assert reasons.iloc[0] == reason


def test_an_ambiguous_local_time_is_accepted_once_it_carries_its_offset():
    times, reasons = parse_times(
        pd.Series(["2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"]), ZONE
    )
    assert reasons.isna().all()
    assert (times.iloc[1] - times.iloc[0]) == pd.Timedelta(hours=1)


def test_the_same_text_repeated_is_parsed_the_same():
    texts = pd.Series(["2026-03-02 14:05", "2026-03-02 14:05", "2026-03-02T14:05:00-05:00"])
    times, _ = parse_times(texts, ZONE)
    assert times.nunique() == 1
