"""The story of the synthetic demo ward: nine fake patients on high-dose IL-2 (aldesleukin).

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

from dataclasses import dataclass, replace

import numpy as np

from dashboard.demo.clock import _epoch_minutes
from dashboard.demo.limits import LABEL, TIL, dosing

DEMO_SEED = 20260302
DEMO_PATIENTS = 9

DEMO_DESCRIPTION = "Synthetic demo ward: 9 fake patients on high-dose IL-2 (no real patient data)"
#: With this many patients the scaled ward has over 1,000,000 observation rows (1,100,289,
#: written in 11.5 s on a 2-core AMD EPYC; 2000 patients: 1,464,675 rows in 16 s). Checked in
#: tests/test_demo.py from the rows per patient of a smaller ward.
PATIENTS_FOR_A_MILLION_ROWS = 1500

# --- dosing ---------------------------------------------------------------------------------
# The protocol files' dosing sections (criteria.md sections 3 and 6), not copies of them.
DOSE_INTERVAL_MIN = int(dosing(LABEL, "interval_hours") * 60)
LABEL_MAX_DOSES = int(dosing(LABEL, "doses_per_cycle"))
TIL_MAX_DOSES = int(dosing(TIL, "doses_per_cycle"))
MONITORING_ROUNDS_AFTER_LAST_SLOT = 6  # 48 h of vitals after the last possible dose


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
