"""The simulated team: what it sees before each dose and what it decides (give, hold,
end the cycle), so that the recorded decisions agree with the charted values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.demo.clock import _clock
from dashboard.demo.limits import CONSENSUS, LABEL, TIL, between, codes, limit
from dashboard.demo.physiology import AFTER_DOSE, DECIMALS, MENTAL_STATUS_CODES, _Admission, _Grid
from dashboard.demo.story import DOSE_INTERVAL_MIN, CyclePlan, PatientPlan
from dashboard.vocabulary import load_vocabulary

# --- one admission: the team's decisions ----------------------------------------------------


@dataclass
class _Snapshot:
    """What the team sees at the pre-dose check of one dose."""

    time: int
    sbp: float
    heart_rate: float
    spo2: float
    o2_flow: float
    mental_status: str
    phenylephrine: float
    phenylephrine_at_interval_start: float
    max_phenylephrine_in_interval: float
    lowest_sbp_in_interval: float
    lowest_sbp_time: int
    worst_mental_status_in_interval: str
    creatinine: float
    creatinine_rising: bool  # the latest is higher than the one before
    urine_last_8h: float  # mL; NaN while the admission is younger than the window
    urine_last_16h: float  # mL; NaN likewise
    bicarbonate: float
    potassium: float
    platelets: float
    weight_gain_pct: float
    discontinued: str | None


@dataclass
class _Course:
    """The bedside signs and labs of a whole admission for one plan of doses."""

    signs: dict[str, np.ndarray]
    labs: dict[str, np.ndarray]
    weight: np.ndarray
    urine_per_hour: np.ndarray

    @classmethod
    def of(cls, admission: _Admission, planned: np.ndarray) -> _Course:
        grid = admission.grid
        return cls(
            signs=admission.bedside_signs(np.arange(grid.vitals_time.size), planned),
            labs=admission.laboratory(np.arange(grid.lab_time.size), planned),
            weight=admission.weight(np.arange(grid.weight_time.size), planned),
            urine_per_hour=admission.urine_per_hour(planned),
        )


def _snapshot(admission: _Admission, course: _Course, slot: int, interval_start: int) -> _Snapshot:
    """What the team sees before dose ``slot`` (0-based): the pre-dose check, the interval
    since the last dose given, the latest labs."""
    grid, signs = admission.grid, course.signs
    check = 1 + 3 * slot  # the admission, then (pre-dose, after-dose, neuro round) per slot
    check_time = int(grid.vitals_time[check])
    first = max(int(np.searchsorted(grid.vitals_time, interval_start, side="right")) - 1, 0)
    rows = slice(first, check + 1)
    in_interval = grid.vitals_time[rows] > interval_start
    in_interval[-1] = True
    has_neuro = (grid.vitals_kind[rows] != AFTER_DOSE) & in_interval
    sbp_in_interval = np.where(in_interval, signs["sbp"][rows], np.inf)
    lowest = first + int(np.argmin(sbp_in_interval))
    rate_at_start = (
        signs["phenylephrine"][first] if grid.vitals_time[first] <= interval_start else 0.0
    )
    lab = max(int(np.searchsorted(grid.lab_time, check_time, side="right")) - 1, 0)
    weight = max(int(np.searchsorted(grid.weight_time, check_time, side="right")) - 1, 0)
    discontinued = admission.plan.discontinued_by
    return _Snapshot(
        time=check_time,
        sbp=float(signs["sbp"][check]),
        heart_rate=float(signs["heart_rate"][check]),
        spo2=float(signs["spo2"][check]),
        o2_flow=float(signs["o2_flow"][check]),
        mental_status=str(signs["mental_status"][check]),
        phenylephrine=float(signs["phenylephrine"][check]),
        phenylephrine_at_interval_start=float(rate_at_start),
        max_phenylephrine_in_interval=float(signs["phenylephrine"][rows][in_interval].max()),
        lowest_sbp_in_interval=float(signs["sbp"][lowest]),
        lowest_sbp_time=int(grid.vitals_time[lowest]),
        worst_mental_status_in_interval=max(
            signs["mental_status"][rows][has_neuro], key=MENTAL_STATUS_CODES.index
        ),
        creatinine=float(course.labs["creatinine"][lab]),
        creatinine_rising=bool(
            lab > 0 and course.labs["creatinine"][lab] > course.labs["creatinine"][lab - 1]
        ),
        urine_last_8h=_urine_since(grid, course, check_time, 8),
        urine_last_16h=_urine_since(grid, course, check_time, 16),
        bicarbonate=float(course.labs["bicarbonate"][lab]),
        potassium=float(course.labs["potassium"][lab]),
        platelets=float(course.labs["platelets"][lab]),
        weight_gain_pct=100.0 * (float(course.weight[weight]) / admission.plan.body.weight_kg - 1),
        discontinued=(
            discontinued[1]
            if discontinued and grid.admission < discontinued[0] <= check_time
            else None
        ),
    )


def _urine_since(grid: _Grid, course: _Course, moment: int, hours: int) -> float:
    """Urine made in the hours before ``moment`` (what the charted entries add up to); NaN
    when the admission is younger than the window (no rule can be applied to it yet)."""
    start = moment - 60 * hours
    if start < grid.urine_hour[0] - 60:
        return float("nan")
    window = (grid.urine_hour > start) & (grid.urine_hour <= moment)
    return float(course.urine_per_hour[window].sum())


# The simulated team follows its protocol as criteria.md writes it. These are the team's
# habits inside a simulation (so that recorded decisions agree with the charted values),
# not the monitor's rules; but every number and code the team doses by is read from the
# protocol files (dashboard.demo.limits), never copied here.
LOW_SBP = limit(LABEL, "hypotension", "sbp", "<")  # no team doses into it, whatever protocol
LOW_SPO2 = limit(LABEL, "hypoxia", "spo2", "<")


class _Label:
    sbp = LOW_SBP
    creatinine = limit(LABEL, "creatinine", "creatinine", ">")
    creatinine_if_overloaded = limit(LABEL, "creatinine", "creatinine", ">=")
    bicarbonate = limit(LABEL, "creatinine", "bicarbonate", "<")
    potassium = limit(LABEL, "creatinine", "potassium", ">")
    weight_gain_pct = limit(LABEL, "creatinine", "weight", ">=")
    urine_ml_h = limit(LABEL, "oliguria", "urine_output", "<")
    mental_status = codes(LABEL, "mental_status", "mental_status")


class _Consensus:
    creatinine_stop = limit(CONSENSUS, "creatinine", "creatinine", ">=", "stop_cycle")
    creatinine_hold = limit(CONSENSUS, "creatinine", "creatinine", ">=", "hold")
    urine_stop = limit(CONSENSUS, "urine_output", "urine_output", "<", "stop_cycle")
    urine_hold = between(CONSENSUS, "urine_output", "urine_output", "hold")
    pressor_stop = limit(CONSENSUS, "vasopressor", "phenylephrine", ">", "stop_cycle")
    pressor_max_stop = limit(
        CONSENSUS, "vasopressor", "phenylephrine", ">", "stop_cycle", scope="interval"
    )
    pressor_hold = (
        limit(CONSENSUS, "vasopressor", "phenylephrine", ">", "hold"),
        limit(CONSENSUS, "vasopressor", "phenylephrine", "<=", "hold"),
    )
    pressor_max_hold = between(CONSENSUS, "vasopressor", "phenylephrine", "hold", "interval")
    oxygen_stop = limit(CONSENSUS, "oxygen", "o2_flow", ">", "stop_cycle")
    oxygen_hold = between(CONSENSUS, "oxygen", "o2_flow", "hold")
    bicarbonate = limit(CONSENSUS, "acidosis", "bicarbonate", "<=")
    platelets_stop = limit(CONSENSUS, "platelets", "platelets", "<", "stop_cycle")
    platelets_hold = between(CONSENSUS, "platelets", "platelets", "hold")
    mental_status_stop = codes(CONSENSUS, "neuro", "mental_status", "stop_cycle")
    mental_status_hold = codes(CONSENSUS, "neuro", "mental_status", "hold")
    heart_rate_stop = limit(CONSENSUS, "sinus_tachycardia", "heart_rate", ">", "stop_cycle")


class _Til:
    pressor = limit(TIL, "vasopressor", "phenylephrine", ">")
    urine_ml_per_kg = limit(TIL, "urine_output", "urine_output", "<")
    creatinine = limit(TIL, "creatinine", "creatinine", ">=")
    mental_status = _Label.mental_status  # til-2024 carries the label's criterion


def _hold_reasons(plan: PatientPlan, snap: _Snapshot, describe) -> list[str]:
    """Why the team withholds this dose (empty: give it)."""
    if plan.protocol == TIL:
        reasons = _til_hold_reasons(plan, snap, describe)
    elif plan.protocol == CONSENSUS:
        reasons = _consensus_hold_reasons(snap, describe)
    else:
        reasons = _label_hold_reasons(snap, describe)
    if snap.spo2 < LOW_SPO2:
        reasons.append(f"SpO2 {snap.spo2:.0f} %")
    return reasons


def _on_pressor(snap: _Snapshot) -> str:
    return f" on phenylephrine {snap.phenylephrine:.1f} ug/kg/min" if snap.phenylephrine else ""


def _label_hold_reasons(snap: _Snapshot, describe) -> list[str]:
    reasons = []
    if snap.sbp < _Label.sbp:
        reasons.append(f"SBP {snap.sbp:.0f}{_on_pressor(snap)}")
    elif (
        snap.lowest_sbp_in_interval < _Label.sbp
        and snap.phenylephrine > snap.phenylephrine_at_interval_start
    ):
        reasons.append(
            f"SBP {snap.lowest_sbp_in_interval:.0f} at {_clock(snap.lowest_sbp_time)}"
            f" with phenylephrine increased {snap.phenylephrine_at_interval_start:.1f}"
            f"→{snap.phenylephrine:.1f} ug/kg/min"
        )
    overloaded = (
        snap.bicarbonate < _Label.bicarbonate
        or snap.potassium > _Label.potassium
        or snap.weight_gain_pct >= _Label.weight_gain_pct
    )
    if snap.creatinine > _Label.creatinine or (
        snap.creatinine >= _Label.creatinine_if_overloaded and overloaded
    ):
        reasons.append(describe("creatinine", snap.creatinine))
    if snap.urine_last_16h / 16 < _Label.urine_ml_h and snap.creatinine_rising:
        reasons.append(f"urine {snap.urine_last_16h / 16:.0f} mL/h over 16 h, creatinine rising")
    # Moderate confusion holds until the patient is completely normal again.
    worst = snap.worst_mental_status_in_interval
    if worst in _Label.mental_status and snap.mental_status != "normal":
        reasons.append(
            f"mental status {snap.mental_status}"
            + (f" (was {worst} since the last dose)" if worst != snap.mental_status else "")
        )
    return reasons


def _consensus_hold_reasons(snap: _Snapshot, describe) -> list[str]:
    """Relative criteria of the consensus (sinus tachycardia alone is left to judgement:
    nearly every patient on IL-2 runs 100-130/min, and this team gives the dose)."""
    reasons = []
    if snap.sbp < LOW_SBP:  # not a consensus criterion, but no team doses into SBP < 90
        reasons.append(f"SBP {snap.sbp:.0f}{_on_pressor(snap)}")
    if _Consensus.creatinine_hold <= snap.creatinine < _Consensus.creatinine_stop:
        reasons.append(describe("creatinine", snap.creatinine))
    low, high = _Consensus.urine_hold
    if low <= snap.urine_last_8h <= high:
        reasons.append(f"urine {snap.urine_last_8h:.0f} mL over 8 h")
    above, up_to = _Consensus.pressor_hold
    low, high = _Consensus.pressor_max_hold
    if above < snap.phenylephrine <= up_to or low <= snap.max_phenylephrine_in_interval <= high:
        reasons.append(f"phenylephrine {snap.max_phenylephrine_in_interval:.1f} ug/kg/min")
    low, high = _Consensus.oxygen_hold
    if low <= snap.o2_flow <= high:
        reasons.append(f"oxygen {snap.o2_flow:.0f} L/min")
    if snap.bicarbonate <= _Consensus.bicarbonate:
        reasons.append(f"bicarbonate {snap.bicarbonate:.0f} mmol/L")
    low, high = _Consensus.platelets_hold
    if low <= snap.platelets <= high:
        reasons.append(f"platelets {snap.platelets:.0f} x10^3/uL")
    if snap.mental_status in _Consensus.mental_status_hold:
        reasons.append(f"mental status {snap.mental_status}")
    return reasons


def _til_hold_reasons(plan: PatientPlan, snap: _Snapshot, describe) -> list[str]:
    reasons = []
    if snap.sbp < plan.target_sbp:
        reasons.append(f"SBP {snap.sbp:.0f} below target {plan.target_sbp:.0f}{_on_pressor(snap)}")
    if snap.phenylephrine > _Til.pressor:
        reasons.append(f"phenylephrine {snap.phenylephrine:.1f} ug/kg/min")
    least_urine = _Til.urine_ml_per_kg * plan.body.weight_kg
    if snap.urine_last_8h < least_urine:
        reasons.append(
            f"urine {snap.urine_last_8h:.0f} mL over 8 h "
            f"(< {least_urine:.0f} = {_Til.urine_ml_per_kg:g} mL/kg)"
        )
    if snap.creatinine >= _Til.creatinine:
        reasons.append(describe("creatinine", snap.creatinine))
    if snap.worst_mental_status_in_interval in _Til.mental_status:
        reasons.append(f"mental status {snap.worst_mental_status_in_interval}")
    return reasons


def _cycle_ending_reason(
    plan: PatientPlan,
    cycle: CyclePlan,
    snap: _Snapshot,
    doses_given: int,
    holds_in_a_row: int,
    describe,
) -> str | None:
    """Why the team ends the cycle (or the course) at this dose, if it does."""
    if snap.discontinued:
        return f"course discontinued: {snap.discontinued}; no further IL-2"
    if plan.protocol == CONSENSUS:
        absolute = _consensus_absolute(snap, describe)
        if absolute:
            return f"cycle {cycle.cycle} stopped (absolute criterion): {', '.join(absolute)}"
    if doses_given < cycle.doses_tolerated and holds_in_a_row < 3:
        return None
    toxicity = f"{describe('creatinine', snap.creatinine)}, weight +{snap.weight_gain_pct:.0f} %"
    if doses_given >= cycle.doses_tolerated:
        return (
            f"cycle {cycle.cycle} stopped after {doses_given} doses: cumulative toxicity "
            f"({toxicity})"
        )
    return f"cycle {cycle.cycle} stopped after 3 doses held in a row ({toxicity})"


def _consensus_absolute(snap: _Snapshot, describe) -> list[str]:
    """The consensus's absolute criteria: they end the cycle."""
    absolute = []
    if snap.creatinine >= _Consensus.creatinine_stop:
        absolute.append(describe("creatinine", snap.creatinine))
    if snap.urine_last_8h < _Consensus.urine_stop:
        absolute.append(f"urine {snap.urine_last_8h:.0f} mL over 8 h")
    if (
        snap.phenylephrine > _Consensus.pressor_stop
        or snap.max_phenylephrine_in_interval > _Consensus.pressor_max_stop
    ):
        absolute.append(f"phenylephrine {snap.max_phenylephrine_in_interval:.1f} ug/kg/min")
    if snap.worst_mental_status_in_interval in _Consensus.mental_status_stop:
        absolute.append(f"mental status {snap.worst_mental_status_in_interval}")
    if snap.heart_rate > _Consensus.heart_rate_stop:
        absolute.append(f"heart rate {snap.heart_rate:.0f}/min")
    if snap.o2_flow > _Consensus.oxygen_stop:
        absolute.append(f"oxygen {snap.o2_flow:.0f} L/min")
    if snap.platelets < _Consensus.platelets_stop:
        absolute.append(f"platelets {snap.platelets:.0f} x10^3/uL")
    return absolute


@dataclass
class _DoseRecord:
    dose_number: int
    scheduled: int
    status: str
    administered: int | None = None
    reason: str = ""


def _decide_doses(admission: _Admission, anchor: int) -> tuple[list[_DoseRecord], np.ndarray]:
    """Go through the cycle dose by dose, as the team did; returns the doses and the mask of
    doses given.

    Each decision sees only what was charted before it. A value depends only on the doses
    given before it was charted, so the course is computed once assuming every remaining
    dose is given, and recomputed only when a dose is not (a few times per cycle, not once
    per dose: that keeps a 2000-patient ward fast).
    """
    plan, cycle, grid = admission.plan, admission.cycle, admission.grid
    planned = np.ones(cycle.max_doses)
    course = _Course.of(admission, planned)
    records: list[_DoseRecord] = []
    last_given: int | None = None
    holds_in_a_row = 0

    def describe(parameter: str, canonical: float) -> str:
        unit = admission.units[parameter]
        typed = load_vocabulary()[parameter].from_canonical(canonical, unit)
        return f"{parameter} {typed:.{DECIMALS.get((parameter, unit), 0)}f} {unit}"

    for slot in range(cycle.max_doses):
        scheduled, admin = int(grid.slot[slot]), int(grid.admin[slot])
        if scheduled > anchor or admin > anchor:  # not decided or not given yet at "now"
            records += _still_scheduled(grid, slot, cycle.max_doses)
            planned[slot:] = 0.0
            break
        interval_start = (
            int(grid.admin[last_given])
            if last_given is not None
            else int(grid.vitals_time[1 + 3 * slot]) - DOSE_INTERVAL_MIN
        )
        snap = _snapshot(admission, course, slot, interval_start)
        ending = _cycle_ending_reason(
            plan, cycle, snap, int(planned[:slot].sum()), holds_in_a_row, describe
        )
        if ending:
            records.append(_DoseRecord(slot + 1, scheduled, "held", reason=ending))
            planned[slot:] = 0.0
            break
        reasons = _hold_reasons(plan, snap, describe)
        if reasons:
            records.append(_DoseRecord(slot + 1, scheduled, "held", reason="; ".join(reasons)))
            holds_in_a_row += 1
            planned[slot] = 0.0
            course = _Course.of(admission, planned)
            continue
        late = "given late (pharmacy delay)" if admin - scheduled > 45 else ""
        records.append(_DoseRecord(slot + 1, scheduled, "given", admin, late))
        last_given = slot
        holds_in_a_row = 0
    return records, planned


def _still_scheduled(grid: _Grid, first_slot: int, max_doses: int) -> list[_DoseRecord]:
    return [
        _DoseRecord(k + 1, int(grid.slot[k]), "scheduled") for k in range(first_slot, max_doses)
    ]
