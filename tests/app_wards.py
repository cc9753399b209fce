"""Small wards written as CSV files for the app tests, timed relative to the real clock
(the app assesses "now")."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

PATIENTS = """\
patient_id,name,bed,indication,protocol,baseline_weight_kg,baseline_creatinine_mg_dl,\
target_sbp_mmhg
P1,"Test, Missing",1A,melanoma,,80,1.0,
P2,"Test, Well",1B,rcc,,75,0.9,
"""


def _at(now: pd.Timestamp, hours: float) -> str:
    return (now + pd.Timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:00+00:00")


def write_ward(folder: Path, now: pd.Timestamp | None = None) -> Path:
    """P1: every vital sign fresh except the neuro check, last charted 7 h ago (the
    protocol wants it within 4 h): incomplete, naming mental_status. P2: everything fresh."""
    now = (now or pd.Timestamp.now(tz="UTC")).floor("min")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    doses = [
        "patient_id,cycle,dose_number,scheduled_time,status,administered_time,dose_iu_per_kg,reason"
    ]
    for pid in ("P1", "P2"):
        doses += [
            f"{pid},1,1,{_at(now, -10)},given,{_at(now, -10)},600000,",
            f"{pid},1,2,{_at(now, -2)},given,{_at(now, -2)},600000,",
            f"{pid},1,3,{_at(now, 6)},scheduled,,600000,",
        ]
    (folder / "doses.csv").write_text("\n".join(doses) + "\n", encoding="utf-8")
    rows = ["patient_id,time,parameter,value,unit"]
    for pid in ("P1", "P2"):
        rows += [
            f"{pid},{_at(now, -11)},creatinine,1.0,mg/dL",
            f"{pid},{_at(now, -9)},urine_output,300,mL",
            f"{pid},{_at(now, -5)},urine_output,250,mL",
            f"{pid},{_at(now, -1)},urine_output,200,mL",
            f"{pid},{_at(now, -1)},sbp,118,mmHg",
            f"{pid},{_at(now, -1)},spo2,97,%",
            f"{pid},{_at(now, -1)},heart_rate,92,/min",
        ]
    rows.append(f"P1,{_at(now, -7)},mental_status,normal,")
    rows.append(f"P2,{_at(now, -1)},mental_status,normal,")
    (folder / "observations.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder
