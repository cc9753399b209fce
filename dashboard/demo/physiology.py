"""The physiological model of the demo: when things are charted during one admission,
and what the body does with the doses given (capillary leak, fever, kidneys, confusion).

The units a unit charts in and the decimals it types come from the vocabulary
(data/vocabulary/parameters.yaml), not from a copy."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dashboard.demo.clock import _local_clock_times
from dashboard.demo.story import (
    DOSE_INTERVAL_MIN,
    MONITORING_ROUNDS_AFTER_LAST_SLOT,
    CyclePlan,
    PatientPlan,
)
from dashboard.vocabulary import load_vocabulary

# --- charting -------------------------------------------------------------------------------
# Kinds of vital-sign sets. Pre-dose checks and neuro rounds include the neuro check.
ADMISSION, PRE_DOSE, AFTER_DOSE, NEURO_ROUND = 0, 1, 2, 3

# The order of parameters inside one time point of the file (a nurse's flowsheet order).
PARAMETERS = (
    "sbp",
    "dbp",
    "map",
    "heart_rate",
    "resp_rate",
    "temperature",
    "spo2",
    "o2_device",
    "o2_flow",
    "phenylephrine",
    "mental_status",
    "rhythm",
    "urine_output",
    "weight",
    "creatinine",
    "potassium",
    "bicarbonate",
    "bilirubin",
    "platelets",
    "event",
)
_VOCABULARY = load_vocabulary()
# Each numeric parameter in the vocabulary's canonical unit (data/vocabulary/parameters.yaml).
CANONICAL_UNITS = {
    name: _VOCABULARY[name].unit for name in PARAMETERS if _VOCABULARY[name].is_numeric
}
# A unit that charts as many US labs and nurses type: all accepted units (data contract 2).
US_TYPED_UNITS = {
    **CANONICAL_UNITS,
    "temperature": "°F",
    "weight": "lb",
    "creatinine": "umol/L",
    "bilirubin": "µmol/L",
}
UNIT_SYSTEMS = {"canonical": CANONICAL_UNITS, "us": US_TYPED_UNITS}

# Decimals as charted, by (parameter, unit): what a monitor or a lab report types, which is
# not the monitor's display precision (the vocabulary's `decimals`): a pump shows
# phenylephrine to 0.1, a report gives µmol/L whole.
DECIMALS = {
    ("temperature", "Cel"): 1,
    ("temperature", "°F"): 1,
    ("weight", "kg"): 1,
    ("weight", "lb"): 1,
    ("creatinine", "mg/dL"): 2,
    ("creatinine", "umol/L"): 0,
    ("potassium", "mmol/L"): 1,
    ("bilirubin", "mg/dL"): 1,
    ("bilirubin", "µmol/L"): 0,
    ("phenylephrine", "ug/kg/min"): 1,
}  # everything else: whole numbers

_PARAMETER_INDEX = {name: i for i, name in enumerate(PARAMETERS)}
MENTAL_STATUS_CODES = _VOCABULARY["mental_status"].codes  # normal, mild, moderate, severe
_MENTAL_STATUS_ARRAY = np.array(MENTAL_STATUS_CODES)

# --- the physiological model ----------------------------------------------------------------
# Two exposure curves summed over the doses given (time tau in hours after each dose):
# "leak" (capillary leak: blood pressure, heart rate, urine, lungs) builds within hours and
# fades over ~2.5 days; "cumulative" (kidney, weight, platelets, liver, confusion) builds over
# half a day and fades over ~4 days, so that creatinine peaks after the last dose.
LEAK_ONSET_H, LEAK_DECAY_H = 4.0, 60.0
CUMULATIVE_ONSET_H, CUMULATIVE_DECAY_H = 12.0, 96.0
# Fever: from 30 min after the dose, a plateau 1.75-4.25 h after it, gone by 6.5 h.
FEVER_SHAPE_H = ([0.5, 1.75, 4.25, 6.5], [0.0, 1.0, 1.0, 0.0])
SBP_DROP_PER_LEAK = 9.0  # mm[Hg] per unit of leak: below 90 around dose 5-7 when sensitive
SBP_PER_PHENYLEPHRINE = 15.0  # mm[Hg] per ug/kg/min
PRESSOR_TARGET_SBP = 98.0  # the nurse titrates phenylephrine to keep SBP near this
CREATININE_RISE_PER_CUMULATIVE = 0.345  # x baseline per unit of load: cycle-1 peaks ~2.6 mg/dL
MENTAL_STATUS_THRESHOLDS = (2.5, 4.2, 7.0)  # neuro load at which mild, moderate, severe start
URINE_FLOOR_ML_H = 13.0  # oliguria bottoms out at 10-30 mL/h, not anuria


# --- one admission: the schedule of charting ------------------------------------------------


@dataclass
class _Grid:
    """When things are charted during one admission (epoch minutes), decided up front."""

    admission: int
    slot: np.ndarray  # scheduled times of doses 1..max, then monitoring rounds on the 8-h grid
    admin: np.ndarray  # when each dose would start if given (0-45 min late, sometimes more)
    fever_peak: np.ndarray  # the temperature each dose would cause, 38.4-39.6 °C
    vitals_time: np.ndarray
    vitals_kind: np.ndarray
    vitals_round: np.ndarray  # the slot a set of vitals belongs to (-1: admission)
    lab_time: np.ndarray
    weight_time: np.ndarray
    urine_hour: np.ndarray  # ends of the hours over which urine is produced
    shift_end: np.ndarray  # per-shift urine entries: the first pre-dose check, then 06/14/22
    noise: dict[str, np.ndarray] = field(default_factory=dict)


def _build_grid(cycle: CyclePlan, rng: np.random.Generator) -> _Grid:
    n_rounds = cycle.max_doses + MONITORING_ROUNDS_AFTER_LAST_SLOT
    slot = cycle.first_dose + DOSE_INTERVAL_MIN * np.arange(n_rounds, dtype=np.int64)
    admission = cycle.first_dose - int(rng.integers(150, 250))

    # Most doses start within 45 min of schedule; one in seven waits longer (pharmacy, CT...).
    late = rng.random(n_rounds) < 0.15
    delay = np.where(late, rng.integers(46, 76, n_rounds), rng.integers(0, 46, n_rounds))
    admin = slot + delay
    fever_peak = rng.uniform(38.4, 39.6, n_rounds)

    # Vital signs at least every 4 h: the pre-dose check 10-40 min before the dose, the fever
    # check 2-3 h after it, the neuro round about 4-5 h after the scheduled time.
    pre_dose = slot - rng.integers(10, 41, n_rounds)
    after_dose = np.minimum(admin + rng.integers(120, 181, n_rounds), pre_dose + 235)
    neuro = np.maximum(slot + rng.integers(240, 301, n_rounds), after_dose + 45)
    vitals_time = np.concatenate(
        [[admission], np.column_stack([pre_dose, after_dose, neuro]).ravel()]
    )
    vitals_kind = np.concatenate(
        [[ADMISSION], np.tile([PRE_DOSE, AFTER_DOSE, NEURO_ROUND], n_rounds)]
    )
    vitals_round = np.concatenate([[-1], np.repeat(np.arange(n_rounds), 3)])

    end = int(slot[-1]) + DOSE_INTERVAL_MIN
    labs = _local_clock_times(admission, end, 5)
    labs = labs + rng.integers(-20, 21, labs.size)  # early-morning draw, ~05:00
    lab_time = np.concatenate([[admission + 30], labs[labs > admission + 120]])
    weights = _local_clock_times(admission, end, 5, 45)
    weights = weights + rng.integers(-15, 16, weights.size)  # the morning weight, ~05:45
    weight_time = np.concatenate([[admission + 15], weights[weights > admission + 120]])
    first_hour = (admission // 60 + 1) * 60 + 60
    urine_hour = np.arange(first_hour, end + 1, 60, dtype=np.int64)
    # Per-shift charting: the urine since admission is measured at the first pre-dose check,
    # then each 8-h nursing shift's at its end.
    shift_end = np.sort(
        np.concatenate([_local_clock_times(int(pre_dose[0]), end, h) for h in (6, 14, 22)])
    )
    shift_end = np.concatenate([[int(pre_dose[0])], shift_end])

    grid = _Grid(
        admission,
        slot,
        admin,
        fever_peak,
        vitals_time.astype(np.int64),
        vitals_kind,
        vitals_round,
        lab_time.astype(np.int64),
        weight_time.astype(np.int64),
        urine_hour,
        shift_end,
    )
    n_vitals, n_labs = vitals_time.size, lab_time.size
    for name in ("sbp", "dbp", "heart_rate", "resp_rate", "temperature", "spo2"):
        grid.noise[name] = rng.standard_normal(n_vitals)
    for name in ("creatinine", "potassium", "bicarbonate", "platelets", "bilirubin"):
        grid.noise[name] = rng.standard_normal(n_labs)
    grid.noise["weight"] = rng.standard_normal(weight_time.size)
    grid.noise["urine_output"] = rng.standard_normal(urine_hour.size)
    return grid


# --- one admission: the model ---------------------------------------------------------------


@dataclass
class _Exposure:
    """What each dose, if given, contributes at each time of a set (rows: times; cols: doses)."""

    leak: np.ndarray
    cumulative: np.ndarray
    fever_shape: np.ndarray  # 0..1

    @classmethod
    def at(cls, times: np.ndarray, admin: np.ndarray) -> _Exposure:
        tau = (times[:, None] - admin[None, :]) / 60.0  # hours after each dose
        after = tau > 0
        tau = np.where(after, tau, 0.0)
        leak = np.where(after, (1 - np.exp(-tau / LEAK_ONSET_H)) * np.exp(-tau / LEAK_DECAY_H), 0)
        cumulative = np.where(
            after,
            (1 - np.exp(-tau / CUMULATIVE_ONSET_H)) * np.exp(-tau / CUMULATIVE_DECAY_H),
            0,
        )
        fever = np.interp(tau, *FEVER_SHAPE_H, left=0.0, right=0.0) * after
        return cls(leak, cumulative, fever)


@dataclass
class _Admission:
    """One cycle's admission being simulated: its plan, its grid and its exposure kernels."""

    plan: PatientPlan
    cycle: CyclePlan
    grid: _Grid
    vitals: _Exposure
    labs: _Exposure
    weights: _Exposure
    urine: _Exposure

    @classmethod
    def start(cls, plan: PatientPlan, cycle: CyclePlan, rng: np.random.Generator) -> _Admission:
        grid = _build_grid(cycle, rng)
        admin = grid.admin[: cycle.max_doses]
        return cls(
            plan,
            cycle,
            grid,
            vitals=_Exposure.at(grid.vitals_time, admin),
            labs=_Exposure.at(grid.lab_time, admin),
            weights=_Exposure.at(grid.weight_time, admin),
            urine=_Exposure.at(grid.urine_hour - 30, admin),  # the middle of each hour
        )

    @property
    def units(self) -> dict[str, str]:
        return UNIT_SYSTEMS[self.plan.units]

    def charted(self, parameter: str, canonical: np.ndarray) -> np.ndarray:
        """Values as the nurse or the lab charts them (rounded in the charted unit), in the
        canonical unit: so that the team's decisions see exactly what the file says."""
        unit = self.units[parameter]
        decimals = DECIMALS.get((parameter, unit), 0)
        if unit == CANONICAL_UNITS[parameter]:
            return np.round(canonical, decimals)
        spec = load_vocabulary()[parameter]
        typed = np.round(spec.from_canonical(canonical, unit), decimals)
        return spec.to_canonical(typed, unit)

    def vital_signs(self, rows: np.ndarray, given: np.ndarray) -> dict[str, np.ndarray]:
        """Vital signs, phenylephrine, oxygen, mental status and rhythm at some vitals times."""
        body, noise = self.plan.body, self.grid.noise
        signs = self.bedside_signs(rows, given)
        leak, fever_shape = signs.pop("_leak"), signs.pop("_fever_shape")
        fever_peak = self.grid.fever_peak[: self.cycle.max_doses]
        fever = (self.vitals.fever_shape[rows] * given * (fever_peak - body.temperature)).max(
            axis=1, initial=0.0
        )
        dbp = self.charted(
            "dbp", np.clip(signs["sbp"] * body.dbp_ratio + 3.0 * noise["dbp"][rows], 35, 110)
        )
        return {
            **signs,
            "dbp": dbp,
            "map": self.charted("map", (signs["sbp"] + 2 * dbp) / 3),
            "resp_rate": self.charted(
                "resp_rate",
                np.clip(
                    body.resp_rate
                    + 0.9 * leak
                    + 3.0 * fever_shape
                    + 1.2 * noise["resp_rate"][rows],
                    10,
                    32,
                ),
            ),
            "temperature": self.charted(
                "temperature",
                body.temperature + fever + 0.1 * np.clip(noise["temperature"][rows], -1.5, 1.5),
            ),
            "rhythm": np.where(signs["heart_rate"] >= 100, "sinus_tachycardia", "sinus"),
        }

    def bedside_signs(self, rows: np.ndarray, given: np.ndarray) -> dict[str, np.ndarray]:
        """The signs a dose decision looks at (a subset of :meth:`vital_signs`, cheaper:
        the team's decisions are simulated dose by dose)."""
        body, noise = self.plan.body, self.grid.noise
        leak = self.vitals.leak[rows] @ given
        fever_shape = (self.vitals.fever_shape[rows] * given).max(axis=1, initial=0.0)

        # (sbp, heart rate and spo2 are charted in their canonical units by every unit,
        # hence the plain rounding: this runs once per dose decision.)
        # Capillary leak lowers the pressure; fever vasodilates a little more.
        untreated = body.sbp - SBP_DROP_PER_LEAK * body.leak * leak - 6.0 * fever_shape
        phenylephrine = _titrate_phenylephrine(untreated, self.plan.phenylephrine_max)
        sbp = np.rint(
            _between(
                untreated + SBP_PER_PHENYLEPHRINE * phenylephrine + 4.0 * noise["sbp"][rows],
                62,
                190,
            )
        )
        heart_rate = np.rint(
            _between(
                body.heart_rate + 4.5 * leak + 15.0 * fever_shape + 4.0 * noise["heart_rate"][rows],
                55,
                145,
            )
        )
        # Pulmonary leak: saturation falls in the susceptible; nasal oxygen brings it back.
        room_air = _between(
            98.0 + 0.8 * noise["spo2"][rows] - 2.0 * body.lung * np.maximum(leak - 2.0, 0.0),
            86,
            100,
        )
        # Nasal cannula at 2 L/min below 94 %, 3 below 92 %, 4 below 90 %.
        o2_flow = 2.0 * (room_air < 94) + (room_air < 92) + (room_air < 90)
        neuro_load = body.neuro * (self.vitals.cumulative[rows] @ given)
        return {
            "sbp": sbp,
            "heart_rate": heart_rate,
            "spo2": np.rint(np.minimum(room_air + 1.5 * o2_flow, 99.0)),
            "o2_flow": o2_flow,
            "phenylephrine": phenylephrine,
            "mental_status": _MENTAL_STATUS_ARRAY[
                np.searchsorted(MENTAL_STATUS_THRESHOLDS, neuro_load, side="right")
            ],
            "_leak": leak,
            "_fever_shape": fever_shape,
        }

    def laboratory(self, rows: np.ndarray, given: np.ndarray) -> dict[str, np.ndarray]:
        """The early-morning labs at some lab times."""
        body, noise, cycle = self.plan.body, self.grid.noise, self.cycle
        load = self.labs.cumulative[rows] @ given
        start = body.creatinine * cycle.creatinine_start
        creatinine = self.charted(
            "creatinine",
            start
            * (1 + CREATININE_RISE_PER_CUMULATIVE * body.renal * cycle.renal_factor * load)
            * (1 + 0.03 * noise["creatinine"][rows]),
        )
        return {
            "creatinine": creatinine,
            "potassium": self.charted(
                "potassium",
                np.clip(
                    body.potassium + 0.18 * (creatinine - start) + 0.12 * noise["potassium"][rows],
                    3.0,
                    5.9,
                ),
            ),
            "bicarbonate": self.charted(
                "bicarbonate",
                np.clip(
                    body.bicarbonate - 0.9 * body.acid * load + 0.8 * noise["bicarbonate"][rows],
                    14,
                    30,
                ),
            ),
            "bilirubin": self.charted(
                "bilirubin",
                np.maximum(
                    body.bilirubin
                    * (1 + 0.25 * body.liver * load)
                    * (1 + 0.05 * noise["bilirubin"][rows]),
                    0.1,
                ),
            ),
            "platelets": self.charted(
                "platelets",
                np.maximum(
                    body.platelets
                    * np.exp(-0.18 * body.marrow * load)
                    * (1 + 0.04 * noise["platelets"][rows]),
                    8,
                ),
            ),
        }

    def weight(self, rows: np.ndarray, given: np.ndarray) -> np.ndarray:
        load = self.weights.cumulative[rows] @ given
        body = self.plan.body
        return self.charted(
            "weight",
            body.weight_kg * (1 + body.weight_gain * load) + 0.2 * self.grid.noise["weight"][rows],
        )

    def urine_per_hour(self, given: np.ndarray) -> np.ndarray:
        """Urine made in each hour of the grid (mL), falling with capillary leak."""
        body = self.plan.body
        falls_by = np.exp(-0.45 * body.urine * (self.urine.leak @ given))
        rate = URINE_FLOOR_ML_H + (body.urine_ml_h - URINE_FLOOR_ML_H) * falls_by
        return np.round(np.maximum(rate * np.exp(0.15 * self.grid.noise["urine_output"]), 5))


def _between(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """np.clip without its wrapper's cost (it runs on tiny arrays, many times)."""
    return np.minimum(np.maximum(values, low), high)


def _titrate_phenylephrine(untreated_sbp: np.ndarray, max_rate: float) -> np.ndarray:
    """The rate (ug/kg/min) a nurse titrating to PRESSOR_TARGET_SBP would be running.

    0 when not needed; otherwise 0.2 to the patient's ceiling in steps of 0.1, so that a
    patient at the ceiling can still be hypotensive (and has the dose held).
    """
    if max_rate <= 0:
        return np.zeros_like(untreated_sbp)
    need = (PRESSOR_TARGET_SBP - untreated_sbp) / SBP_PER_PHENYLEPHRINE
    return np.where(need < 0.15, 0.0, _between(np.rint(need * 10) / 10, 0.2, max_rate))
