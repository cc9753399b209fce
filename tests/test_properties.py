"""Properties that must hold whatever the values (hypothesis).

* Missing is never normal: removing any required parameter never yields `clear`.
* A triggering value made more extreme never makes the status less severe.
"""

from hypothesis import given
from hypothesis import strategies as st

from dashboard.assessment import STATUS_ORDER
from dashboard.protocols import load_protocol, shipped_protocol_ids
from tests.clinical import assess
from tests.scenarios import obs

SEVERITY = {status: rank for rank, status in enumerate(STATUS_ORDER)}


def required_parameters(protocol_id):
    return sorted({r.parameter for c in load_protocol(protocol_id).criteria for r in c.required})


@st.composite
def protocol_and_missing(draw):
    protocol_id = draw(st.sampled_from(shipped_protocol_ids()))
    required = required_parameters(protocol_id)
    missing = draw(st.lists(st.sampled_from(required), min_size=1, unique=True))
    stale = draw(st.booleans())  # removed entirely, or only older than its freshness
    return protocol_id, tuple(missing), stale


@given(protocol_and_missing(), st.integers(min_value=60, max_value=200))
def test_removing_a_required_parameter_never_yields_clear(case, sbp):
    protocol_id, missing, stale = case
    readings = [obs("P1", "2026-03-04 07:10", "sbp", sbp)] if "sbp" not in missing else []
    if stale:  # a reading 31 h old: older than every freshness limit of the shipped files
        readings += [
            obs("P1", "2026-03-03 00:30", name, "normal" if name == "mental_status" else 100)
            for name in missing
        ]
    assessment = assess(*readings, protocol=protocol_id, skip=missing)
    assert assessment.status != "clear"
    flagged = {f.parameter for f in assessment.findings if f.outcome == "incomplete"}
    assert set(missing) <= flagged


def _more_extreme_never_less_severe(protocol_id, parameter, time, first, second):
    a = assess(obs("P1", time, parameter, first), protocol=protocol_id)
    b = assess(obs("P1", time, parameter, second), protocol=protocol_id)
    assert SEVERITY[b.status] <= SEVERITY[a.status], (first, a.status, second, b.status)


@given(st.floats(40, 140), st.floats(0, 60))
def test_lower_sbp_is_never_less_severe_label(sbp, drop):
    _more_extreme_never_less_severe(
        "proleukin-label", "sbp", "2026-03-04 07:15", sbp, max(sbp - drop, 30)
    )


@given(st.floats(0.5, 8), st.floats(0, 5))
def test_higher_creatinine_is_never_less_severe(creatinine, rise):
    for protocol_id in ("proleukin-label", "cwg-consensus-2014", "til-2024"):
        _more_extreme_never_less_severe(
            protocol_id, "creatinine", "2026-03-04 07:00", creatinine, min(creatinine + rise, 25)
        )


@given(st.floats(60, 170), st.floats(0, 60))
def test_faster_heart_rate_is_never_less_severe_cwg(rate, rise):
    _more_extreme_never_less_severe(
        "cwg-consensus-2014", "heart_rate", "2026-03-04 07:15", rate, min(rate + rise, 300)
    )


@given(st.floats(60, 100), st.floats(0, 20))
def test_lower_spo2_is_never_less_severe_label(spo2, drop):
    _more_extreme_never_less_severe(
        "proleukin-label", "spo2", "2026-03-04 07:15", spo2, max(spo2 - drop, 40)
    )


@given(st.floats(0, 200), st.floats(0, 200))
def test_fewer_platelets_are_never_less_severe_cwg(platelets, drop):
    _more_extreme_never_less_severe(
        "cwg-consensus-2014", "platelets", "2026-03-04 06:30", platelets, max(platelets - drop, 0)
    )
