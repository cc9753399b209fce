"""criteria.md section 2: comparisons are exactly as written, on decimal values, not binary
floats. A rise from 0.9 to 1.2 mg/dL is exactly 0.3; 1.65 over a baseline of 1.1 is exactly
1.5 x; 75.9 kg over 66 kg is exactly 15 %. Each boundary is pinned: at, just below, just
above.

Background: tests/clinical.py (dose 7 of the label assessed 2026-03-04 07:30).
"""

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.assessment.conditions import compare
from dashboard.protocols.rules import RangeComparison, Threshold, ThresholdComparison
from tests.clinical import assess, outcome
from tests.scenarios import obs

ALL = ["proleukin-label", "cwg-consensus-2014", "community-2015", "til-2024"]


def comparison(op, threshold):
    return ThresholdComparison(
        op=op, threshold=Threshold(value=threshold, written=f"{threshold:g}")
    )


# ------------------------------------------------------------------ the comparison layer

AT_03_ABOVE = 0.1 + 0.2  # 0.30000000000000004 in binary: exactly 0.3 as written
AT_03_BELOW = 1.2 - 0.9  # 0.29999999999999993 in binary: exactly 0.3 as written


@pytest.mark.parametrize(
    ("op", "at", "below", "above"),
    [
        #  op     at 0.3  0.29   0.31
        ("<", False, True, False),
        ("<=", True, True, False),
        (">", False, False, True),
        (">=", True, False, True),
    ],
)
def test_each_operator_at_just_below_and_just_above_0_3(op, at, below, above):
    values = np.array([AT_03_ABOVE, AT_03_BELOW, 0.3, 0.29, 0.31])
    met = compare(comparison(op, 0.3), values, None)
    assert met.tolist() == [at, at, at, below, above]


def test_between_includes_both_ends_as_written():
    # between 0.3 and 0.6: 0.1 + 0.2 and 0.7 - 0.1 are the ends; 0.29 and 0.61 are out
    between = RangeComparison(low=0.3, high=0.6, written_range="0.3 and 0.6")
    values = np.array([AT_03_ABOVE, AT_03_BELOW, 0.7 - 0.1, 0.29, 0.61, 0.45])
    assert compare(between, values, None).tolist() == [True, True, True, False, False, True]


@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2),
    st.sampled_from(["<", "<=", ">", ">="]),
)
def test_a_value_exactly_at_the_threshold_behaves_as_written(a, b, op):
    """The threshold a + b (decimal) against a value computed in binary as a + b, and a
    threshold a against (a + b) - b: at the threshold, <= and >= hold, < and > do not."""
    expected = op in ("<=", ">=")
    total = float(a) + float(b)
    assert compare(comparison(op, float(a + b)), np.array([total]), None)[0] == expected
    back = (float(a) + float(b)) - float(b)
    assert compare(comparison(op, float(a)), np.array([back]), None)[0] == expected


# ------------------------------------------------------------------ the shipped protocols


@pytest.mark.parametrize("protocol", ALL)
@pytest.mark.parametrize(("latest", "expected"), [(1.19, "clear"), (1.2, "watch"), (1.21, "watch")])
def test_kdigo_rise_of_0_3_within_48_hours(protocol, latest, expected):
    # | time             | creatinine |   baseline 0.9 mg/dL
    # | 2026-03-03 08:00 | 0.9        |
    # | 2026-03-04 06:00 | latest     |   rise = latest - 0.9 (>= 0.3 is KDIGO stage 1)
    assessment = assess(
        obs("P1", "2026-03-03 08:00", "creatinine", 0.9),
        obs("P1", "2026-03-04 06:00", "creatinine", latest),
        protocol=protocol,
        skip=("creatinine",),
        creatinine=0.9,
    )
    assert outcome(assessment, "creatinine_rising") == expected


@pytest.mark.parametrize("protocol", ALL)
@pytest.mark.parametrize(
    ("latest", "expected"), [(1.64, "clear"), (1.65, "watch"), (1.66, "watch")]
)
def test_kdigo_1_5_times_baseline(protocol, latest, expected):
    # baseline 1.1 mg/dL; one creatinine only (no rise): 1.65 is exactly 1.5 x baseline
    assessment = assess(
        obs("P1", "2026-03-04 06:00", "creatinine", latest),
        protocol=protocol,
        skip=("creatinine",),
        creatinine=1.1,
    )
    assert outcome(assessment, "creatinine_rising") == expected


@pytest.mark.parametrize(
    ("protocol", "weight", "expected"),
    [
        # consensus: weight gain > 15 % over baseline 66 kg (75.9 kg is exactly 15 %)
        ("cwg-consensus-2014", 75.8, "clear"),
        ("cwg-consensus-2014", 75.9, "clear"),
        ("cwg-consensus-2014", 76.0, "hold"),
        # community: >= 15 %
        ("community-2015", 75.8, "clear"),
        ("community-2015", 75.9, "hold"),
        ("community-2015", 76.0, "hold"),
    ],
)
def test_weight_gain_of_exactly_15_percent(protocol, weight, expected):
    assessment = assess(
        obs("P1", "2026-03-04 06:00", "weight", weight),
        protocol=protocol,
        skip=("weight",),
        weight=66,
    )
    assert outcome(assessment, "weight_gain") == expected
