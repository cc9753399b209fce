"""The synthetic demo ward: nine fake patients on high-dose interleukin-2 (aldesleukin).

Nobody in this ward exists. Names are "Demo, <first name>", beds are on a fictional 7 West,
and every value comes from a small physiological model driven by a seeded numpy Generator,
so that ``python -m dashboard.demo --out data/demo`` rewrites ``data/demo/`` byte for byte.

"Now" in the story is the anchor of ``data/demo/ward.yaml``: 2026-03-04 14:30 New York time,
90 minutes before the 16:00 doses. The app moves every time by a whole number of hours
(:func:`shift_ward`) so that the real clock falls at the same point of the story.

The patients (600,000 IU/kg every 8 h at 00:00, 08:00 and 16:00; values as of the anchor):

- DEMO-01 Alice, melanoma, default protocol, day 3 of cycle 1: 7 doses given (2 late).
  Capillary leak from dose 5: fluid boluses, SBP 74 at 12:21, urine per 8-h shift falling,
  weight +5 %. Dose 8 is due at 16:00 and the latest SBP is below 90.
- DEMO-02 Bruno, renal cell carcinoma, ``proleukin-label``, day 4, the sickest: on
  phenylephrine since day 1 (up to his ceiling of 1.5 ug/kg/min), doses 7, 8 and 10 held
  for SBP < 90 on a rising pressor, urine ~25 mL/h charted hourly, creatinine 2.66 mg/dL,
  nasal oxygen. Dose 12 is due: SBP 95 on phenylephrine 1.5 (the label would give it; the
  consensus protocol would stop the cycle at a rate > 0.8).
- DEMO-03 Carmen, melanoma, cycle 2: cycle 1 (16-19 February, charted in full) stopped by
  the team after 9 doses; cycle 2 started on 2 March and her kidneys react faster
  (cumulative toxicity): creatinine 3.83 mg/dL this morning after 7 doses, on phenylephrine.
- DEMO-04 Dmitri, renal cell carcinoma: sustained ventricular tachycardia on telemetry at
  21:40 on 3 March, after dose 5. The course is discontinued: dose 6 is recorded held with
  that reason and nothing is scheduled after it.
- DEMO-05 Elena, melanoma, day 2, well (SBP in the 90s-120s): the noon neuro check after the
  08:00 dose was never charted, so there is no mental_status in the 4 h before "now" while
  every other vital sign is fresh. Dose 7 is due at 16:00.
- DEMO-06 Farid, renal cell carcinoma, charted by a unit that types US units: creatinine in
  umol/L (286 this morning = 3.24 mg/dL), bilirubin in µmol/L, temperature in °F, weight in
  lb; urine per shift; SBP 79 at the last check, mild confusion. Dose 10 is due.
- DEMO-07 Grace, melanoma after tumour-infiltrating lymphocytes: indication ``til``,
  ``til-2024``, target SBP 95, at most 6 doses, platelets low from lymphodepletion. Dose 4
  was held for SBP 93; after a bolus her SBP is 95, exactly the target. Dose 5 is due.
- DEMO-08 Hiro, melanoma, ``cwg-consensus-2014``: a mild course (creatinine 1.71 mg/dL,
  SBP 90 or more) but a heart rate of 100-130, a relative criterion of that protocol.
- DEMO-09 Ines, renal cell carcinoma: confusion rose to moderate after dose 7; doses 8-10
  were held and the team ended cycle 1 at dose 11. No dose is due; she is recovering on the
  ward (mild confusion) before discharge.

Held doses keep their scheduled time, have no administered time and say why ("SBP 87 on
phenylephrine 1.4 ug/kg/min"). They are decided by a simulated team that looks at the same
values the file holds (pre-dose SBP, the interval since the last dose, latest creatinine,
urine, mental status), so the recorded decisions agree with the charted physiology. Doses
after the anchor are ``scheduled``; observations stop at the anchor.

The scaled ward for benchmarks: ``python -m dashboard.demo --out /tmp/big --patients 1500``
(over a million observations, see :data:`PATIENTS_FOR_A_MILLION_ROWS`). Patients past the
nine are two-cycle courses (cycle 1 complete two weeks earlier, cycle 2 in progress) with
random sensitivities and protocols; each patient has its own random stream, so the first
nine are the demo's nine whatever the size. Over those courses creatinine peaks average
about 2.6 mg/dL in cycle 1 and 3.7 in cycle 2, and most cycles end after 7-12 doses.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from dashboard import DEMO_DIR
from dashboard.tables import (
    DEFAULT_DOSE_IU_PER_KG,
    DOSE_INPUT_COLUMNS,
    OBSERVATION_INPUT_COLUMNS,
    PATIENT_INPUT_COLUMNS,
)
from dashboard.vocabulary import load_vocabulary

DEMO_SEED = 20260302
DEMO_PATIENTS = 9
WARD_TIMEZONE = "America/New_York"
#: "Now" in the demo's story: mid-cycle for most patients, 90 min before the 16:00 doses.
DEMO_ANCHOR = pd.Timestamp("2026-03-04T14:30:00", tz=WARD_TIMEZONE)
DEMO_DESCRIPTION = "Synthetic demo ward: 9 fake patients on high-dose IL-2 (no real patient data)"
#: With this many patients the scaled ward has over 1,000,000 observation rows (1,100,289,
#: written in 11.5 s on a 2-core AMD EPYC; 2000 patients: 1,464,675 rows in 16 s). Checked in
#: tests/test_demo.py from the rows per patient of a smaller ward.
PATIENTS_FOR_A_MILLION_ROWS = 1500

FILE_NAMES = ("patients.csv", "doses.csv", "observations.csv", "ward.yaml")
# The same ward in the contract's other shapes, for single patients: the µmol/L-°F-lb
# patient as a per-dose sheet (units in brackets) and the sickest patient as a FHIR bundle.
SINGLE_PATIENT_DIR = "single-patient"
PER_DOSE_SHEET = (
    "DEMO-06",
    "DEMO-06-per-dose-sheet.csv",
    {"creatinine": "umol/L", "bilirubin": "umol/L", "temperature": "[degF]", "weight": "lb"},
)
FHIR_BUNDLE = ("DEMO-02", "DEMO-02-fhir-bundle.json")

# --- dosing ---------------------------------------------------------------------------------
DOSE_INTERVAL_MIN = 8 * 60
LABEL_MAX_DOSES = 14  # criteria.md section 3
TIL_MAX_DOSES = 6  # criteria.md section 6
MONITORING_ROUNDS_AFTER_LAST_SLOT = 6  # 48 h of vitals after the last possible dose

# --- charting -------------------------------------------------------------------------------
# Kinds of vital-sign sets. Pre-dose checks and neuro rounds include the neuro check.
ADMISSION, PRE_DOSE, AFTER_DOSE, NEURO_ROUND = 0, 1, 2, 3

CANONICAL_UNITS = {
    "sbp": "mm[Hg]",
    "dbp": "mm[Hg]",
    "map": "mm[Hg]",
    "heart_rate": "/min",
    "resp_rate": "/min",
    "temperature": "Cel",
    "spo2": "%",
    "o2_flow": "L/min",
    "urine_output": "mL",
    "weight": "kg",
    "creatinine": "mg/dL",
    "potassium": "mmol/L",
    "bicarbonate": "mmol/L",
    "bilirubin": "mg/dL",
    "platelets": "10*3/uL",
    "phenylephrine": "ug/kg/min",
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

# Decimals as charted, by (parameter, unit): what a monitor or a lab report shows.
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
_PARAMETER_INDEX = {name: i for i, name in enumerate(PARAMETERS)}
MENTAL_STATUS_CODES = ("normal", "mild", "moderate", "severe")
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


@dataclass(frozen=True)
class Physiology:
    """One patient's baselines (canonical units) and how strongly each organ reacts."""

    sbp: float = 126.0
    dbp_ratio: float = 0.58
    heart_rate: float = 78.0
    resp_rate: float = 16.0
    temperature: float = 36.8
    weight_kg: float = 82.0
    creatinine: float = 0.95
    potassium: float = 4.1
    bicarbonate: float = 25.0
    platelets: float = 230.0
    bilirubin: float = 0.6
    urine_ml_h: float = 85.0
    leak: float = 1.0  # blood pressure, heart rate
    lung: float = 0.5  # oxygen need
    renal: float = 1.0  # creatinine rise
    urine: float = 1.0  # urine fall
    neuro: float = 0.5  # confusion
    weight_gain: float = 0.012  # fraction of baseline weight per unit of cumulative load
    marrow: float = 1.0  # platelet fall
    liver: float = 1.0  # bilirubin rise
    acid: float = 1.0  # bicarbonate fall


@dataclass(frozen=True)
class CyclePlan:
    """One admission for one cycle of IL-2."""

    cycle: int
    first_dose: int  # scheduled time of dose 1, epoch minutes
    max_doses: int  # the protocol's maximum for the cycle
    doses_tolerated: int  # after this many doses given, the team ends the cycle
    creatinine_start: float = 1.0  # x the pre-treatment creatinine (cycle 2 starts higher)
    renal_factor: float = 1.0  # cycle 2 kidneys react faster: cumulative toxicity


@dataclass(frozen=True)
class PatientPlan:
    """Who the patient is and what will happen to them: the input of the simulation."""

    patient_id: str
    name: str
    bed: str
    indication: str
    protocol: str
    body: Physiology
    cycles: tuple[CyclePlan, ...]
    target_sbp: float | None = None
    units: str = "canonical"  # a key of UNIT_SYSTEMS
    urine_charting: str = "hourly"  # or "shift": one entry per 8-h nursing shift
    phenylephrine_max: float = 0.0  # 0: this patient is not put on a pressor
    discontinued_by: tuple[int, str] | None = None  # (epoch minutes, what happened)
    neuro_check_missed_after: int | None = None  # mental_status not charted after this


# --- time helpers ---------------------------------------------------------------------------


def _epoch_minutes(local_time: str) -> int:
    """Epoch minutes of a ward-local time written like '2026-03-02 08:00'."""
    return int(pd.Timestamp(local_time, tz=WARD_TIMEZONE).value // 60_000_000_000)


def _local_clock_times(start: int, end: int, hour: int, minute: int = 0) -> np.ndarray:
    """Epoch minutes of every ward-local hh:mm in (start, end].

    Midnights come from the time-zone database (daylight saving included); hh:mm is then
    counted from midnight, which is an hour off only on the two changeover days.
    """
    midnights = _local_midnights(start // 1440 - 1, end // 1440 + 1)
    times = midnights + (hour * 60 + minute)
    return times[(times > start) & (times <= end)]


@lru_cache(maxsize=1024)
def _local_midnights(first_day: int, last_day: int) -> np.ndarray:
    """Ward-local midnights (epoch minutes) of the calendar days first_day..last_day (days
    since 1970-01-01)."""
    first = pd.Timestamp(first_day * 86_400, unit="s").date()
    days = pd.date_range(first, periods=last_day - first_day + 1, freq="D", tz=WARD_TIMEZONE)
    return days.asi8 // 60_000_000_000


def _clock(minutes: int) -> str:
    """'21:40 on 3 Mar' for a reason text."""
    local = pd.Timestamp(minutes * 60, unit="s", tz="UTC").tz_convert(WARD_TIMEZONE)
    return f"{local:%H:%M} on {local.day} {local:%b}"


# --- the demo's patients --------------------------------------------------------------------


def _story_plans() -> list[PatientPlan]:
    """The nine patients of the shipped demo, each written for what it shows."""
    label = LABEL_MAX_DOSES
    return [
        PatientPlan(
            "DEMO-01",
            "Demo, Alice",
            "7W-12",
            "melanoma",
            "",
            Physiology(
                sbp=124,
                weight_kg=68.4,
                creatinine=0.82,
                leak=1.1,
                neuro=0.6,
                weight_gain=0.014,
                urine_ml_h=80,
            ),
            (CyclePlan(1, _epoch_minutes("2026-03-02 08:00"), label, doses_tolerated=11),),
            urine_charting="shift",
        ),
        PatientPlan(
            "DEMO-02",
            "Demo, Bruno",
            "7W-14",
            "rcc",
            "proleukin-label",
            Physiology(
                sbp=128,
                heart_rate=84,
                weight_kg=96.2,
                creatinine=1.12,
                leak=1.7,
                lung=1.4,
                renal=1.05,
                urine=1.3,
                weight_gain=0.017,
                marrow=1.2,
            ),
            (CyclePlan(1, _epoch_minutes("2026-03-01 00:00"), label, doses_tolerated=12),),
            phenylephrine_max=1.5,
        ),
        PatientPlan(
            "DEMO-03",
            "Demo, Carmen",
            "7W-15",
            "melanoma",
            "",
            Physiology(
                sbp=132, weight_kg=61.0, creatinine=0.88, leak=1.0, renal=1.1, weight_gain=0.012
            ),
            (
                CyclePlan(1, _epoch_minutes("2026-02-16 08:00"), label, doses_tolerated=9),
                CyclePlan(
                    2,
                    _epoch_minutes("2026-03-02 08:00"),
                    label,
                    doses_tolerated=8,
                    creatinine_start=1.2,
                    renal_factor=1.85,
                ),
            ),
            phenylephrine_max=1.0,
        ),
        PatientPlan(
            "DEMO-04",
            "Demo, Dmitri",
            "7W-16",
            "rcc",
            "",
            Physiology(sbp=138, heart_rate=88, weight_kg=88.5, creatinine=1.05, leak=0.9),
            (CyclePlan(1, _epoch_minutes("2026-03-02 08:00"), label, doses_tolerated=12),),
            discontinued_by=(
                _epoch_minutes("2026-03-03 21:40"),
                "sustained VT on telemetry at 21:40 on 3 Mar",
            ),
        ),
        PatientPlan(
            "DEMO-05",
            "Demo, Elena",
            "7W-17",
            "melanoma",
            "",
            Physiology(sbp=128, weight_kg=59.3, creatinine=0.74, leak=0.7, neuro=0.4),
            (CyclePlan(1, _epoch_minutes("2026-03-02 16:00"), label, doses_tolerated=12),),
            neuro_check_missed_after=_epoch_minutes("2026-03-04 08:30"),
        ),
        PatientPlan(
            "DEMO-06",
            "Demo, Farid",
            "7W-18",
            "rcc",
            "",
            Physiology(
                sbp=134,
                weight_kg=104.3,
                creatinine=1.18,
                bilirubin=0.7,
                leak=1.0,
                renal=1.15,
                liver=1.3,
                weight_gain=0.012,
            ),
            (CyclePlan(1, _epoch_minutes("2026-03-01 16:00"), label, doses_tolerated=11),),
            units="us",
            urine_charting="shift",
        ),
        PatientPlan(
            "DEMO-07",
            "Demo, Grace",
            "7W-19",
            "til",
            "til-2024",
            Physiology(sbp=114, weight_kg=64.8, creatinine=0.79, platelets=72, leak=1.1, renal=0.9),
            (
                CyclePlan(
                    1,
                    _epoch_minutes("2026-03-03 08:00"),
                    TIL_MAX_DOSES,
                    doses_tolerated=TIL_MAX_DOSES,
                ),
            ),
            target_sbp=95.0,
        ),
        PatientPlan(
            "DEMO-08",
            "Demo, Hiro",
            "7W-20",
            "melanoma",
            "cwg-consensus-2014",
            Physiology(
                sbp=130,
                heart_rate=72,
                weight_kg=77.9,
                creatinine=0.91,
                leak=0.8,
                renal=0.6,
                urine=0.6,
                neuro=0.3,
                weight_gain=0.009,
            ),
            (CyclePlan(1, _epoch_minutes("2026-03-02 00:00"), label, doses_tolerated=12),),
        ),
        PatientPlan(
            "DEMO-09",
            "Demo, Ines",
            "7W-21",
            "rcc",
            "",
            Physiology(
                sbp=126, weight_kg=72.6, creatinine=1.0, leak=0.95, neuro=1.1, weight_gain=0.015
            ),
            (CyclePlan(1, _epoch_minutes("2026-02-28 16:00"), label, doses_tolerated=12),),
        ),
    ]


_FIRST_NAMES = (
    "Ada",
    "Basil",
    "Cleo",
    "Dario",
    "Edith",
    "Felix",
    "Gemma",
    "Hugo",
    "Iris",
    "Jonah",
    "Kira",
    "Leon",
    "Mira",
    "Nils",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Soren",
    "Tess",
)


def _scaled_plan(index: int, id_width: int, rng: np.random.Generator) -> PatientPlan:
    """A patient past the demo's nine: cycle 1 complete, cycle 2 in progress at the anchor."""
    next_slot = _epoch_minutes("2026-03-04 16:00")  # the doses due after DEMO_ANCHOR
    cycle2 = next_slot - DOSE_INTERVAL_MIN * int(rng.integers(1, 13))
    cycle1 = cycle2 - 14 * 24 * 60
    body = Physiology(
        sbp=float(rng.uniform(112, 142)),
        dbp_ratio=float(rng.uniform(0.52, 0.63)),
        heart_rate=float(rng.uniform(64, 90)),
        resp_rate=float(rng.uniform(14, 18)),
        temperature=float(rng.uniform(36.5, 37.1)),
        weight_kg=float(rng.uniform(52, 118)),
        creatinine=float(rng.uniform(0.7, 1.25)),
        potassium=float(rng.uniform(3.7, 4.5)),
        bicarbonate=float(rng.uniform(23, 28)),
        platelets=float(rng.uniform(160, 340)),
        bilirubin=float(rng.uniform(0.3, 1.0)),
        urine_ml_h=float(rng.uniform(65, 110)),
        leak=float(rng.uniform(0.6, 1.3)),
        lung=float(rng.uniform(0.2, 1.5)),
        renal=float(rng.uniform(0.6, 1.4)),
        urine=float(rng.uniform(0.6, 1.5)),
        neuro=float(rng.uniform(0.2, 0.9)),
        weight_gain=float(rng.uniform(0.006, 0.02)),
        marrow=float(rng.uniform(0.7, 1.3)),
        liver=float(rng.uniform(0.6, 1.4)),
        acid=float(rng.uniform(0.6, 1.3)),
    )
    return PatientPlan(
        patient_id=f"DEMO-{index:0{id_width}d}",
        name=f"Demo, {_FIRST_NAMES[index % len(_FIRST_NAMES)]} {index}",
        bed=f"{7 + index // 200}W-{index % 200:03d}",
        indication=str(rng.choice(["rcc", "melanoma"])),
        protocol=str(rng.choice(["", "proleukin-label", "cwg-consensus-2014"])),
        body=body,
        cycles=(
            CyclePlan(1, cycle1, LABEL_MAX_DOSES, int(rng.integers(7, 13))),
            CyclePlan(
                2,
                cycle2,
                LABEL_MAX_DOSES,
                int(rng.integers(5, 11)),
                creatinine_start=float(rng.uniform(1.0, 1.2)),
                renal_factor=1.9,
            ),
        ),
        units="us" if rng.random() < 0.1 else "canonical",
        urine_charting="hourly" if rng.random() < 0.5 else "shift",
        phenylephrine_max=float(rng.choice([0.0, 1.0, 1.5])),
    )


def _patient_plans(n_patients: int, seed: int) -> list[tuple[PatientPlan, np.random.Generator]]:
    """Each patient with their own random stream: patient i's data do not depend on n."""
    stories = _story_plans()
    id_width = max(2, len(str(n_patients)))
    plans = []
    for index in range(1, n_patients + 1):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
        if index <= len(stories):
            plan = stories[index - 1]
            plan = _with_id(plan, f"DEMO-{index:0{id_width}d}")
        else:
            plan = _scaled_plan(index, id_width, rng)
        plans.append((plan, rng))
    return plans


def _with_id(plan: PatientPlan, patient_id: str) -> PatientPlan:
    return replace(plan, patient_id=patient_id)


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
# not the monitor's rules: those are read from the protocol files.


def _hold_reasons(plan: PatientPlan, snap: _Snapshot, describe) -> list[str]:
    """Why the team withholds this dose (empty: give it)."""
    if plan.protocol == "til-2024":
        reasons = _til_hold_reasons(plan, snap, describe)
    elif plan.protocol == "cwg-consensus-2014":
        reasons = _consensus_hold_reasons(snap, describe)
    else:
        reasons = _label_hold_reasons(snap, describe)
    if snap.spo2 < 90:
        reasons.append(f"SpO2 {snap.spo2:.0f} %")
    return reasons


def _on_pressor(snap: _Snapshot) -> str:
    return f" on phenylephrine {snap.phenylephrine:.1f} ug/kg/min" if snap.phenylephrine else ""


def _label_hold_reasons(snap: _Snapshot, describe) -> list[str]:
    reasons = []
    if snap.sbp < 90:
        reasons.append(f"SBP {snap.sbp:.0f}{_on_pressor(snap)}")
    elif (
        snap.lowest_sbp_in_interval < 90
        and snap.phenylephrine > snap.phenylephrine_at_interval_start
    ):
        reasons.append(
            f"SBP {snap.lowest_sbp_in_interval:.0f} at {_clock(snap.lowest_sbp_time)}"
            f" with phenylephrine increased {snap.phenylephrine_at_interval_start:.1f}"
            f"→{snap.phenylephrine:.1f} ug/kg/min"
        )
    overloaded = snap.bicarbonate < 18 or snap.potassium > 5.5 or snap.weight_gain_pct >= 10
    if snap.creatinine > 4.5 or (snap.creatinine >= 4.0 and overloaded):
        reasons.append(describe("creatinine", snap.creatinine))
    if snap.urine_last_16h / 16 < 10 and snap.creatinine_rising:
        reasons.append(f"urine {snap.urine_last_16h / 16:.0f} mL/h over 16 h, creatinine rising")
    # Moderate confusion holds until the patient is completely normal again.
    worst = snap.worst_mental_status_in_interval
    if worst in ("moderate", "severe") and snap.mental_status != "normal":
        reasons.append(
            f"mental status {snap.mental_status}"
            + (f" (was {worst} since the last dose)" if worst != snap.mental_status else "")
        )
    return reasons


def _consensus_hold_reasons(snap: _Snapshot, describe) -> list[str]:
    """Relative criteria of the consensus (sinus tachycardia alone is left to judgement:
    nearly every patient on IL-2 runs 100-130/min, and this team gives the dose)."""
    reasons = []
    if snap.sbp < 90:  # not a consensus criterion, but no team doses into SBP < 90
        reasons.append(f"SBP {snap.sbp:.0f}{_on_pressor(snap)}")
    if 2.5 <= snap.creatinine < 3.0:
        reasons.append(describe("creatinine", snap.creatinine))
    if 80 <= snap.urine_last_8h <= 160:
        reasons.append(f"urine {snap.urine_last_8h:.0f} mL over 8 h")
    if 0.5 < snap.phenylephrine <= 0.8 or 1.0 <= snap.max_phenylephrine_in_interval <= 1.5:
        reasons.append(f"phenylephrine {snap.max_phenylephrine_in_interval:.1f} ug/kg/min")
    if 3 <= snap.o2_flow <= 4:
        reasons.append(f"oxygen {snap.o2_flow:.0f} L/min")
    if snap.bicarbonate <= 18:
        reasons.append(f"bicarbonate {snap.bicarbonate:.0f} mmol/L")
    if 30 <= snap.platelets <= 50:
        reasons.append(f"platelets {snap.platelets:.0f} x10^3/uL")
    if snap.mental_status == "mild":
        reasons.append("mental status mild")
    return reasons


def _til_hold_reasons(plan: PatientPlan, snap: _Snapshot, describe) -> list[str]:
    reasons = []
    if snap.sbp < plan.target_sbp:
        reasons.append(f"SBP {snap.sbp:.0f} below target {plan.target_sbp:.0f}{_on_pressor(snap)}")
    if snap.phenylephrine > 0.5:
        reasons.append(f"phenylephrine {snap.phenylephrine:.1f} ug/kg/min")
    least_urine = 4 * plan.body.weight_kg
    if snap.urine_last_8h < least_urine:
        reasons.append(
            f"urine {snap.urine_last_8h:.0f} mL over 8 h (< {least_urine:.0f} = 4 mL/kg)"
        )
    if snap.creatinine >= 2.5:
        reasons.append(describe("creatinine", snap.creatinine))
    if snap.worst_mental_status_in_interval in ("moderate", "severe"):
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
    if plan.protocol == "cwg-consensus-2014":
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
    if snap.creatinine >= 3.0:
        absolute.append(describe("creatinine", snap.creatinine))
    if snap.urine_last_8h < 80:
        absolute.append(f"urine {snap.urine_last_8h:.0f} mL over 8 h")
    if snap.phenylephrine > 0.8 or snap.max_phenylephrine_in_interval > 1.5:
        absolute.append(f"phenylephrine {snap.max_phenylephrine_in_interval:.1f} ug/kg/min")
    if snap.worst_mental_status_in_interval in ("moderate", "severe"):
        absolute.append(f"mental status {snap.worst_mental_status_in_interval}")
    if snap.heart_rate > 130:
        absolute.append(f"heart rate {snap.heart_rate:.0f}/min")
    if snap.o2_flow > 4:
        absolute.append(f"oxygen {snap.o2_flow:.0f} L/min")
    if snap.platelets < 30:
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


# --- one admission: what is charted ---------------------------------------------------------


class _Chart:
    """Observations of a ward, accumulated as columns (no per-row Python objects)."""

    def __init__(self):
        self.patient: list[np.ndarray] = []
        self.time: list[np.ndarray] = []
        self.parameter: list[np.ndarray] = []
        self.value: list[np.ndarray] = []
        self.code: list[np.ndarray] = []

    def add(self, patient: int, times: np.ndarray, parameter: str, values: np.ndarray) -> None:
        times = np.asarray(times, dtype=np.int64)
        if times.size == 0:
            return
        values = np.asarray(values)
        numeric = values.dtype.kind in "fiu"
        self.patient.append(np.full(times.size, patient, dtype=np.int32))
        self.time.append(times)
        self.parameter.append(np.full(times.size, _PARAMETER_INDEX[parameter], dtype=np.int16))
        self.value.append(values.astype(float) if numeric else np.full(times.size, np.nan))
        self.code.append(
            np.full(times.size, "", dtype=object) if numeric else values.astype(object)
        )

    def columns(self) -> dict[str, np.ndarray]:
        if not self.time:
            return {
                "patient": np.array([], dtype=np.int32),
                "time": np.array([], np.int64),
                "parameter": np.array([], np.int16),
                "value": np.array([]),
                "code": np.array([], dtype=object),
            }
        return {
            "patient": np.concatenate(self.patient),
            "time": np.concatenate(self.time),
            "parameter": np.concatenate(self.parameter),
            "value": np.concatenate(self.value),
            "code": np.concatenate(self.code),
        }


VITAL_SIGNS = ("sbp", "dbp", "map", "heart_rate", "resp_rate", "temperature", "spo2")
LABS = ("creatinine", "potassium", "bicarbonate", "bilirubin", "platelets")


def _chart_admission(
    chart: _Chart,
    patient: int,
    admission: _Admission,
    given: np.ndarray,
    records: list[_DoseRecord],
    anchor: int,
    rng: np.random.Generator,
) -> None:
    """Everything charted from admission to discharge (or to "now", if still in)."""
    plan, grid = admission.plan, admission.grid
    end = _charting_end(admission, records, anchor, rng)

    rows = np.flatnonzero(grid.vitals_time <= end)
    times = grid.vitals_time[rows]
    vitals = admission.vital_signs(rows, given)
    for name in VITAL_SIGNS:
        chart.add(patient, times, name, vitals[name])
    _chart_running(chart, patient, times, "phenylephrine", vitals["phenylephrine"])
    oxygen = vitals["o2_flow"]
    _chart_running(chart, patient, times, "o2_flow", oxygen)
    _chart_running(
        chart,
        patient,
        times,
        "o2_device",
        oxygen,
        codes=np.where(oxygen > 0, "nasal_cannula", "room_air"),
    )

    kinds = grid.vitals_kind[rows]
    neuro = kinds != AFTER_DOSE  # the neuro check: admission, pre-dose, neuro rounds
    if plan.neuro_check_missed_after is not None:
        neuro &= times <= plan.neuro_check_missed_after
    chart.add(patient, times[neuro], "mental_status", vitals["mental_status"][neuro])
    telemetry = (kinds == ADMISSION) | (kinds == PRE_DOSE)
    chart.add(patient, times[telemetry], "rhythm", vitals["rhythm"][telemetry])

    # A fluid bolus after every low reading (the capillary leak "needing fluids").
    low = vitals["sbp"] < (plan.target_sbp or 90)
    bolus = times[low] + rng.integers(5, 21, int(low.sum()))
    bolus = bolus[bolus <= end]
    chart.add(patient, bolus, "event", np.full(bolus.size, "fluid_bolus"))

    lab_rows = np.flatnonzero(grid.lab_time <= end)
    labs = admission.laboratory(lab_rows, given)
    for name in LABS:
        chart.add(patient, grid.lab_time[lab_rows], name, labs[name])
    weight_rows = np.flatnonzero(grid.weight_time <= end)
    chart.add(
        patient, grid.weight_time[weight_rows], "weight", admission.weight(weight_rows, given)
    )
    _chart_urine(chart, patient, admission, given, end)
    _chart_discontinuation(chart, patient, admission, end)


def _charting_end(
    admission: _Admission, records: list[_DoseRecord], anchor: int, rng: np.random.Generator
) -> int:
    """Discharge 1.5-2 days after the cycle ended; "now" if the patient is still in."""
    cycle_over = records and records[-1].status != "scheduled"
    if not cycle_over:
        return anchor
    last = records[-1].administered or records[-1].scheduled  # last dose, or the stop
    discharge = last + int(rng.integers(36 * 60, 48 * 60))
    return min(discharge, anchor, int(admission.grid.vitals_time[-1]))


def _chart_running(
    chart: _Chart,
    patient: int,
    times: np.ndarray,
    parameter: str,
    amount: np.ndarray,
    codes: np.ndarray | None = None,
) -> None:
    """An infusion or oxygen: charted while running, and once more (0, room air) when stopped."""
    before = np.concatenate([[0.0], amount[:-1]])
    charted = (amount > 0) | (before > 0)
    chart.add(patient, times[charted], parameter, (codes if codes is not None else amount)[charted])


def _chart_urine(
    chart: _Chart, patient: int, admission: _Admission, given: np.ndarray, end: int
) -> None:
    """Hourly volumes, or each 8-h shift's volume (volume since the previous entry)."""
    hours = admission.grid.urine_hour
    volumes = admission.urine_per_hour(given)
    keep = hours <= end
    if admission.plan.urine_charting == "hourly":
        chart.add(patient, hours[keep], "urine_output", volumes[keep])
        return
    shift_ends = admission.grid.shift_end[admission.grid.shift_end <= end]
    shift_of_hour = np.searchsorted(shift_ends, hours, side="left")
    totals = np.bincount(shift_of_hour, weights=volumes, minlength=shift_ends.size + 1)
    chart.add(patient, shift_ends, "urine_output", totals[: shift_ends.size])


def _chart_discontinuation(chart: _Chart, patient: int, admission: _Admission, end: int) -> None:
    """The telemetry strip of the event that ended a course, and the rhythm after treatment."""
    event = admission.plan.discontinued_by
    if event is None or not admission.grid.admission < event[0] <= end:
        return
    chart.add(patient, [event[0]], "rhythm", np.array(["vt_sustained"]))
    chart.add(patient, [event[0]], "heart_rate", np.array([176.0]))
    chart.add(patient, [event[0] + 40], "rhythm", np.array(["sinus_tachycardia"]))


# --- the ward -------------------------------------------------------------------------------


def build_demo_ward(
    n_patients: int = DEMO_PATIENTS, seed: int = DEMO_SEED
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The demo ward as the contract's input tables (patients, doses, observations).

    Times are tz-aware (ward time zone). Observation ``value`` is the text as charted
    (a number with fixed decimals, or a code) and ``unit`` the unit as charted ('' for codes).
    """
    if n_patients < 1:
        raise ValueError("a ward needs at least one patient")
    return _simulate_ward(n_patients, seed, anchor=int(DEMO_ANCHOR.value // 60_000_000_000))


def _simulate_ward(
    n_patients: int, seed: int, anchor: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The ward as charted up to ``anchor`` (epoch minutes)."""
    chart = _Chart()
    patient_rows, dose_rows = [], []
    plans = _patient_plans(n_patients, seed)
    for index, (plan, rng) in enumerate(plans):
        patient_rows.append(_patient_row(plan))
        for cycle in plan.cycles:
            admission = _Admission.start(plan, cycle, rng)
            records, given = _decide_doses(admission, anchor)
            dose_rows += [(index, cycle.cycle, r) for r in records]
            _chart_admission(chart, index, admission, given, records, anchor, rng)
    ids = np.array([plan.patient_id for plan, _ in plans], dtype=object)
    unit_systems = [plan.units for plan, _ in plans]
    return (
        pd.DataFrame(patient_rows, columns=list(PATIENT_INPUT_COLUMNS)),
        _doses_frame(dose_rows, ids),
        _observations_frame(chart.columns(), ids, unit_systems),
    )


def _patient_row(plan: PatientPlan) -> dict:
    body = plan.body
    return {
        "patient_id": plan.patient_id,
        "name": plan.name,
        "bed": plan.bed,
        "indication": plan.indication,
        "protocol": plan.protocol,
        "baseline_weight_kg": round(body.weight_kg, 1),
        "baseline_creatinine_mg_dl": round(body.creatinine, 2),
        "target_sbp_mmhg": plan.target_sbp if plan.target_sbp is not None else np.nan,
    }


def _to_times(minutes: np.ndarray) -> pd.Series:
    return pd.Series(
        pd.to_datetime(np.asarray(minutes, dtype=np.int64) * 60, unit="s", utc=True)
    ).dt.tz_convert(WARD_TIMEZONE)


def _doses_frame(rows: list[tuple[int, int, _DoseRecord]], ids: np.ndarray) -> pd.DataFrame:
    administered = np.array(
        [np.nan if r.administered is None else r.administered for _, _, r in rows], dtype=float
    )
    frame = pd.DataFrame(
        {
            "patient_id": ids[[p for p, _, _ in rows]] if rows else [],
            "cycle": [c for _, c, _ in rows],
            "dose_number": [r.dose_number for _, _, r in rows],
            "scheduled_time": _to_times([r.scheduled for _, _, r in rows]),
            "status": [r.status for _, _, r in rows],
            "administered_time": _to_times(np.nan_to_num(administered).astype(np.int64)).where(
                ~np.isnan(administered)
            ),
            "dose_iu_per_kg": DEFAULT_DOSE_IU_PER_KG,
            "reason": [r.reason for _, _, r in rows],
        }
    )
    return frame[list(DOSE_INPUT_COLUMNS)].reset_index(drop=True)


def _observations_frame(
    columns: dict[str, np.ndarray], ids: np.ndarray, unit_systems: list[str]
) -> pd.DataFrame:
    # Stable order: patient, time, then the flowsheet order of parameters.
    order = np.lexsort((columns["parameter"], columns["time"], columns["patient"]))
    columns = {name: values[order] for name, values in columns.items()}
    systems = list(UNIT_SYSTEMS)
    system_of_patient = np.array([systems.index(s) for s in unit_systems], dtype=np.int8)
    system = system_of_patient[columns["patient"]]
    values = columns["code"]
    units = np.full(values.size, "", dtype=object)
    vocabulary = load_vocabulary()
    # Numbers become text group by group (parameter x unit system), all rows at once.
    for parameter, index in _PARAMETER_INDEX.items():
        if not vocabulary[parameter].is_numeric:
            continue
        of_parameter = columns["parameter"] == index
        for system_index, name in enumerate(systems):
            rows = of_parameter & (system == system_index)
            if not rows.any():
                continue
            unit = UNIT_SYSTEMS[name][parameter]
            typed = vocabulary[parameter].from_canonical(columns["value"][rows], unit)
            values[rows] = _fixed(typed, DECIMALS.get((parameter, unit), 0))
            units[rows] = unit
    frame = pd.DataFrame(
        {
            "patient_id": ids[columns["patient"]],
            "time": _to_times(columns["time"]),
            "parameter": np.asarray(PARAMETERS, dtype=object)[columns["parameter"]],
            "value": values,
            "unit": units,
        }
    )
    return frame[list(OBSERVATION_INPUT_COLUMNS)]


def _fixed(values: np.ndarray, decimals: int) -> np.ndarray:
    """Non-negative numbers as text with exactly ``decimals`` decimals, vectorised."""
    scaled = np.rint(np.asarray(values, dtype=float) * 10**decimals).astype(np.int64)
    if decimals == 0:
        return scaled.astype(str).astype(object)
    whole, fraction = np.divmod(scaled, 10**decimals)
    text = np.strings.add(
        np.strings.add(whole.astype(str), "."), np.strings.zfill(fraction.astype(str), decimals)
    )
    return text.astype(object)


# --- files ----------------------------------------------------------------------------------


def write_demo_ward(
    out_dir: Path, n_patients: int = DEMO_PATIENTS, seed: int = DEMO_SEED
) -> list[Path]:
    """Write patients.csv, doses.csv, observations.csv (data-contract section 1) and
    ward.yaml into ``out_dir``; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    patients, doses, observations = build_demo_ward(n_patients, seed)
    texts = {
        "patients.csv": _patients_text(patients),
        "doses.csv": _doses_text(doses),
        "observations.csv": _observations_text(observations),
        "ward.yaml": _ward_yaml(n_patients, seed),
    }
    paths = []
    for name in FILE_NAMES:
        path = out_dir / name
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(texts[name])
        paths.append(path)
    if n_patients == DEMO_PATIENTS and seed == DEMO_SEED:
        paths.extend(write_single_patient_exports(out_dir))
    return paths


def write_single_patient_exports(out_dir: Path) -> list[Path]:
    """Write one per-dose sheet and one FHIR bundle from the ward just written in out_dir.

    They are made through the loader and the exporters, so that the shipped files are
    exactly what the readers accept.
    """
    from dashboard.loading import load_ward
    from dashboard.loading.export import write_fhir_bundle, write_per_dose_sheet

    ward = load_ward(out_dir, read_ward_info(out_dir).timezone)
    tables = (ward.patients, ward.doses, ward.observations)
    folder = Path(out_dir) / SINGLE_PATIENT_DIR
    folder.mkdir(exist_ok=True)
    sheet_patient, sheet_name, sheet_units = PER_DOSE_SHEET
    bundle_patient, bundle_name = FHIR_BUNDLE
    return [
        write_per_dose_sheet(*tables, sheet_patient, folder / sheet_name, units=sheet_units),
        write_fhir_bundle(*tables, bundle_patient, folder / bundle_name),
    ]


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def _patients_text(patients: pd.DataFrame) -> str:
    text = patients.copy()
    text["baseline_weight_kg"] = _fixed(patients["baseline_weight_kg"].to_numpy(), 1)
    text["baseline_creatinine_mg_dl"] = _fixed(patients["baseline_creatinine_mg_dl"], 2)
    target = patients["target_sbp_mmhg"]
    text["target_sbp_mmhg"] = np.where(target.isna(), "", _fixed(target.fillna(0), 0))
    return _csv(text)


def _doses_text(doses: pd.DataFrame) -> str:
    text = doses.copy()
    text["scheduled_time"] = format_times(doses["scheduled_time"])
    text["administered_time"] = format_times(doses["administered_time"])
    text["dose_iu_per_kg"] = _fixed(doses["dose_iu_per_kg"].to_numpy(), 0)
    return _csv(text)


def _observations_text(observations: pd.DataFrame) -> str:
    text = observations.copy()
    text["time"] = format_times(observations["time"])
    return _csv(text)


def format_times(times: pd.Series) -> np.ndarray:
    """ISO 8601 in the ward's local time with its UTC offset ('2026-03-02T08:00:00-05:00');
    '' for a missing time. Each distinct time is formatted once (a ward charts many values
    at each time)."""
    codes, distinct = pd.factorize(times, sort=False)
    utc = pd.DatetimeIndex(distinct).tz_convert("UTC")
    local = utc.tz_convert(WARD_TIMEZONE).tz_localize(None)
    text = np.datetime_as_string(local.to_numpy("datetime64[s]"), unit="s")
    offset_min = (local.asi8 - utc.tz_localize(None).asi8) // 60_000_000_000
    offset_text = np.array(
        [f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in offset_min],
        dtype=str,
    )
    formatted = np.append(np.strings.add(text, offset_text).astype(object), "")
    return formatted[codes]  # code -1 (a missing time) picks the final ''


def _ward_yaml(n_patients: int, seed: int) -> str:
    description = (
        DEMO_DESCRIPTION
        if n_patients == DEMO_PATIENTS
        else (
            f"Synthetic scaled ward for benchmarks: {n_patients} fake patients on high-dose "
            "IL-2 (no real patient data)"
        )
    )
    return (
        "# Written by `python -m dashboard.demo`; do not edit by hand (regenerate instead).\n"
        f"description: {_yaml_text(description)}\n"
        f"timezone: {WARD_TIMEZONE}\n"
        "# 'Now' in the demo's story. The app shifts every time by (real now - anchor),\n"
        "# rounded to whole hours, so the ward is always mid-cycle.\n"
        f"anchor: '{DEMO_ANCHOR.isoformat()}'\n"
        f"seed: {seed}\n"
        f"patients: {n_patients}\n"
    )


def _yaml_text(text: str) -> str:
    """A single-quoted YAML string (a ': ' inside a plain scalar would not parse)."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class DemoWardInfo:
    """What ward.yaml says about a generated ward."""

    description: str
    timezone: str
    anchor: pd.Timestamp
    seed: int
    patients: int


def read_ward_info(folder: Path = DEMO_DIR) -> DemoWardInfo:
    """Read ward.yaml of a generated ward (by default the shipped demo)."""
    with open(Path(folder) / "ward.yaml", encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return DemoWardInfo(
        description=str(raw["description"]),
        timezone=str(raw["timezone"]),
        anchor=pd.Timestamp(raw["anchor"]).tz_convert(raw["timezone"]),
        seed=int(raw["seed"]),
        patients=int(raw["patients"]),
    )


# --- moving the story to the real clock -----------------------------------------------------


def shift_ward(
    patients: pd.DataFrame,
    doses: pd.DataFrame,
    observations: pd.DataFrame,
    anchor: pd.Timestamp,
    now: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Move every time by (now - anchor) rounded to whole hours; returns new frames.

    Whole hours keep the story's minutes (doses on the hour, checks at :20-:50). Works on the
    input frames of :func:`build_demo_ward` and on the loaders' canonical frames alike.
    ``anchor`` and ``now`` must be timezone-aware.
    """
    anchor, now = pd.Timestamp(anchor), pd.Timestamp(now)
    if anchor.tzinfo is None or now.tzinfo is None:
        raise ValueError("shift_ward needs timezone-aware anchor and now")
    delta = (now - anchor).round("h")
    doses = doses.copy()
    for column in ("scheduled_time", "administered_time"):
        if column in doses:
            doses[column] = doses[column] + delta
    observations = observations.copy()
    observations["time"] = observations["time"] + delta
    return patients.copy(), doses, observations


# --- command line ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dashboard.demo --out data/demo [--patients N] [--seed S]``."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.demo",
        description="Write the synthetic demo ward (or a scaled one for benchmarks).",
    )
    parser.add_argument(
        "--out", type=Path, default=DEMO_DIR, help=f"folder to write into (default {DEMO_DIR})"
    )
    parser.add_argument(
        "--patients",
        type=int,
        default=DEMO_PATIENTS,
        help=f"number of patients (default {DEMO_PATIENTS}; "
        f"{PATIENTS_FOR_A_MILLION_ROWS} give over a million observations)",
    )
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help="random seed")
    args = parser.parse_args(argv)
    if args.patients < 1:
        parser.error("--patients must be at least 1")
    started = time.perf_counter()
    paths = write_demo_ward(args.out, args.patients, args.seed)
    seconds = time.perf_counter() - started
    rows = ", ".join(f"{p.name} {_data_rows(p):,} rows" for p in paths if p.suffix == ".csv")
    print(f"wrote {args.out} in {seconds:.1f} s: {rows}")
    return 0


def _data_rows(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle) - 1


if __name__ == "__main__":
    sys.exit(main())
