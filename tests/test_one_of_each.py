"""One of each core rule (issue 10): one formatter for numbers a person reads, one "no time"
constant and one nanosecond conversion, one baseline-creatinine rule."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.assessment.baselines import baseline_creatinine
from dashboard.instants import NAT, as_ns, from_ns
from dashboard.quantities import plain_number

PACKAGE = Path(__file__).resolve().parent.parent / "dashboard"


def _sources() -> dict[str, str]:
    return {
        path.relative_to(PACKAGE).as_posix(): path.read_text(encoding="utf-8")
        for path in PACKAGE.rglob("*.py")
    }


def test_a_plain_number_is_written_as_the_protocol_writes_it():
    assert [plain_number(v) for v in (90, 90.0, 4.5, 0.8, 16.0, 1.25)] == [
        "90",
        "90",
        "4.5",
        "0.8",
        "16",
        "1.25",
    ]
    assert plain_number(2 / 3, significant=3) == "0.667"
    assert plain_number(88.4 / 3, significant=15) == "29.4666666666667"


def test_numbers_for_people_go_through_dashboard_quantities_only():
    """No ad-hoc `{x:g}` or private number formatter outside the one module (the demo's
    generator writes its own files' reasons as a nurse types them, and is left out; a
    plotly hover template's %{y:.4g} is the browser's format, not Python's)."""
    offenders = {
        name: re.findall(r"(?<!%)\{[^{}]+:(?:\.\d+)?g\}|format\([^)]*\"\.\d+g\"\)", text)
        for name, text in _sources().items()
        if not name.startswith("demo/") and name != "quantities.py"
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_time_has_one_constant_and_one_conversion():
    sources = _sources()
    assert [n for n, t in sources.items() if "np.iinfo(np.int64).min" in t] == ["instants.py"]
    assert [n for n, t in sources.items() if ".asi8" in t] == []
    assert [n for n, t in sources.items() if 'to_numpy(dtype="datetime64[ns]")' in t] == [
        "instants.py"
    ]


def test_nanoseconds_round_trip_with_no_time_kept():
    times = pd.Series(
        pd.to_datetime(
            ["2026-03-02T08:00:00Z", None, "2026-03-02T16:00:00.5Z"], utc=True, format="ISO8601"
        )
    )
    ns = as_ns(times)
    assert ns[1] == NAT
    assert ns[2] - ns[0] == 8 * 3_600_000_000_000 + 500_000_000
    back = from_ns(ns)
    assert back.isna().tolist() == [False, True, False]
    assert back[0] == times[0] and back[2] == times[2]


def test_seconds_resolution_times_are_converted_not_reinterpreted():
    """A column kept in seconds (pandas 3 does so) gives the same nanoseconds."""
    moment = pd.Timestamp("2026-03-02T08:00:00Z")
    seconds = pd.Series([moment]).astype("datetime64[s, UTC]")
    assert as_ns(seconds)[0] == as_ns(pd.Series([moment]))[0] == moment.value


def test_the_baseline_creatinine_is_the_recorded_one_else_the_first_of_the_course():
    assert baseline_creatinine(0.9, 1.4) == 0.9
    assert baseline_creatinine(np.nan, 1.4) == 1.4
    assert baseline_creatinine(np.nan, np.nan) is None
    both = baseline_creatinine(np.array([0.9, np.nan, np.nan]), np.array([1.4, 1.4, np.nan]))
    assert np.array_equal(both, np.array([0.9, 1.4, np.nan]), equal_nan=True)


def test_the_baseline_rule_is_written_once():
    users = [n for n, t in _sources().items() if "baseline_creatinine(" in t]
    assert sorted(users) == [
        "assessment/baselines.py",
        "assessment/conditions.py",
        "assessment/support.py",
        "views/trends.py",
    ]
    fallbacks = [
        n
        for n, t in _sources().items()
        if re.search(r"first.{0,40}creatinine|creatinine.{0,40}first", t, re.I)
        and "np.where(np.isnan(" in t
    ]
    assert fallbacks == ["assessment/baselines.py"]
