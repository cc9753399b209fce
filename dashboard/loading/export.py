"""Writing one patient's canonical data as a per-dose sheet (CSV) or a FHIR R4 bundle.

Used by the demo generator to ship an example of each input shape, and by the tests to
prove that what the monitor writes, it reads back. The output is byte-for-byte
reproducible: fixed column and key order, times in UTC ISO 8601, numbers in a fixed format.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import pandas as pd

from dashboard.loading.fhir import (
    ALDESLEUKIN_NAMES,
    BP_PANEL_LOINC,
    CYCLE_EXTENSION,
    DOSE_NUMBER_EXTENSION,
    EXTENSION_BASE,
    FHIR_BASE,
    LOINC,
    PARAMETER_SYSTEM,
    PATIENT_EXTENSIONS,
    SCHEDULED_EXTENSION,
    UCUM,
)
from dashboard.loading.per_dose_sheet import MULTI_VALUE_SEPARATOR
from dashboard.quantities import plain_number
from dashboard.vocabulary import Vocabulary, load_vocabulary

# Parameters whose entries are volumes since the previous entry: a sheet row holds their
# sum over the interval, not the latest entry.
SUMMED_PARAMETERS = ("urine_output", "diarrhea")
SHEET_DOSE_COLUMNS = [
    "patient_id",
    "cycle",
    "dose_number",
    "time",
    "status",
    "scheduled_time",
    "administered_time",
    "reason",
    "dose_iu_per_kg",
]
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def number_text(value: float) -> str:
    """A fixed, short rendering: 15 significant digits (no float noise), no trailing '.0'."""
    return plain_number(value, significant=15)


def time_text(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


# -- per-dose sheet -------------------------------------------------------------------------


def write_per_dose_sheet(
    patients: pd.DataFrame,
    doses: pd.DataFrame,
    observations: pd.DataFrame,
    patient_id: str,
    path: str | Path,
    units: dict[str, str] | None = None,
    vocabulary: Vocabulary | None = None,
) -> Path:
    """Write one patient's course as a per-dose sheet (CSV), one row per dose.

    A row holds, for each parameter, the latest value since the previous dose's scheduled
    time up to this dose's scheduled time (urine output and diarrhoea: the sum over that
    window); events are listed with ';'. The row's ``time`` is the latest observation time
    in the window (the assessment), or the scheduled time when nothing was charted.
    Observations after the last dose are not written (a sheet has no row for them).
    ``units`` writes a parameter in another accepted unit (``{"creatinine": "umol/L"}``).
    The patient's baselines are not written: a reader takes them from the first row.
    """
    vocabulary = vocabulary or load_vocabulary()
    units = units or {}
    own_doses = _patient_doses(doses, patient_id)
    own = observations.loc[observations["patient_id"] == patient_id]
    charted = [name for name in vocabulary.names if name in set(own["parameter"])]
    headers = [_sheet_header(name, units, vocabulary) for name in charted]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*SHEET_DOSE_COLUMNS, *headers])
    previous = None
    for dose in own_doses.itertuples(index=False):
        window = own.loc[
            (own["time"] <= dose.scheduled_time)
            & ((own["time"] > previous) if previous is not None else True)
        ]
        previous = dose.scheduled_time
        cells = [_sheet_cell(window, name, units, vocabulary) for name in charted]
        time = window["time"].max() if len(window) else dose.scheduled_time
        writer.writerow([*_dose_cells(dose, time), *cells])
    path = Path(path)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _patient_doses(doses: pd.DataFrame, patient_id: str) -> pd.DataFrame:
    own = doses.loc[doses["patient_id"] == patient_id]
    return own.sort_values(["scheduled_time", "cycle", "dose_number"], kind="stable")


def _sheet_header(name: str, units: dict[str, str], vocabulary: Vocabulary) -> str:
    unit = units.get(name)
    if unit is not None:
        vocabulary[name].require_conversion(unit)  # an unknown unit is a caller's mistake
        return f"{name} [{unit}]"
    return name


def _sheet_cell(window: pd.DataFrame, name: str, units: dict, vocabulary: Vocabulary) -> str:
    rows = window.loc[window["parameter"] == name].sort_values("time", kind="stable")
    if rows.empty:
        return ""
    parameter = vocabulary[name]
    if parameter.multi_valued:
        return MULTI_VALUE_SEPARATOR.join(dict.fromkeys(rows["code"].astype(str)))
    if not parameter.is_numeric:
        return str(rows["code"].iloc[-1])
    value = rows["value"].sum() if name in SUMMED_PARAMETERS else rows["value"].iloc[-1]
    unit = units.get(name)
    return number_text(parameter.from_canonical(value, unit) if unit else value)


def _dose_cells(dose, time) -> list[str]:
    dose_iu = getattr(dose, "dose_iu_per_kg", None)
    reason = getattr(dose, "reason", None)
    return [
        str(dose.patient_id),
        str(int(dose.cycle)),
        str(int(dose.dose_number)),
        time_text(time),
        str(dose.status),
        time_text(dose.scheduled_time),
        time_text(getattr(dose, "administered_time", None)),
        "" if reason is None or pd.isna(reason) else str(reason),
        "" if dose_iu is None or pd.isna(dose_iu) else number_text(dose_iu),
    ]


# -- FHIR bundle ----------------------------------------------------------------------------


def write_fhir_bundle(
    patients: pd.DataFrame,
    doses: pd.DataFrame,
    observations: pd.DataFrame,
    patient_id: str,
    path: str | Path,
    vocabulary: Vocabulary | None = None,
) -> Path:
    """Write one patient as a FHIR R4 collection Bundle (JSON) that ``read_fhir_bundle`` reads.

    sbp and dbp taken at the same time become one blood-pressure panel with components.
    Doses still ``scheduled`` are not written: a MedicationAdministration records what was
    done, and a dose not yet decided has no FHIR R4 administration status.
    """
    vocabulary = vocabulary or load_vocabulary()
    patient = patients.loc[patients["patient_id"] == patient_id].iloc[0]
    resource_id = _fhir_id(patient_id)
    entries = [_patient_resource(patient, resource_id)]
    subject = {"reference": f"Patient/{resource_id}"}
    own = observations.loc[observations["patient_id"] == patient_id]
    entries += _observation_resources(own, subject, vocabulary)
    own_doses = _patient_doses(doses, patient_id)
    entries += [
        _administration_resource(dose, subject, n)
        for n, dose in enumerate(own_doses.itertuples(index=False), start=1)
        if dose.status != "scheduled"
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}", "resource": r}
            for r in entries
        ],
    }
    path = Path(path)
    text = json.dumps(bundle, indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _fhir_id(patient_id: str) -> str:
    """The Patient's resource id: the patient_id when FHIR allows it as an id."""
    if _FHIR_ID.match(patient_id):
        return patient_id
    cleaned = re.sub(r"[^A-Za-z0-9\-.]", "-", patient_id)[:64]
    return cleaned or "patient"


def _json_number(value: float):
    value = float(value)
    return int(value) if value.is_integer() else value


def _present(value) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and math.isnan(value))
        and (str(value) != "")
    )


def _patient_resource(patient: pd.Series, resource_id: str) -> dict:
    resource = {
        "resourceType": "Patient",
        "id": resource_id,
        "identifier": [{"value": str(patient["patient_id"])}],
    }
    if _present(patient.get("name")):
        resource["name"] = [{"text": str(patient["name"])}]
    extensions = []
    for key, column in PATIENT_EXTENSIONS.items():
        value = patient.get(column)
        if not _present(value):
            continue
        if column in ("bed", "indication", "protocol"):
            extensions.append({"url": EXTENSION_BASE + key, "valueString": str(value)})
        else:
            extensions.append({"url": EXTENSION_BASE + key, "valueDecimal": _json_number(value)})
    if extensions:
        resource["extension"] = extensions
    return resource


def _observation_resources(own: pd.DataFrame, subject: dict, vocabulary: Vocabulary) -> list:
    own = own.sort_values(["time", "parameter", "code", "value"], kind="stable", na_position="last")
    panels = _blood_pressure_pairs(own)
    resources = []
    for row in own.itertuples(index=False):
        key = (row.time, row.parameter)
        if key in panels["dbp"]:
            continue  # written inside its panel
        number = len(resources) + 1
        base = {
            "resourceType": "Observation",
            "id": f"obs-{number}",
            "status": "final",
            "subject": subject,
            "effectiveDateTime": time_text(row.time),
        }
        if row.parameter == "sbp" and key in panels["sbp"]:
            dbp = panels["sbp"][key]
            base["code"] = _loinc_concept(BP_PANEL_LOINC, "Blood pressure panel")
            base["component"] = [
                {"code": _code(vocabulary, "sbp"), **_quantity(vocabulary, "sbp", row.value)},
                {"code": _code(vocabulary, "dbp"), **_quantity(vocabulary, "dbp", dbp)},
            ]
        else:
            base["code"] = _code(vocabulary, row.parameter)
            if vocabulary[row.parameter].is_numeric:
                base.update(_quantity(vocabulary, row.parameter, row.value))
            else:
                base["valueCodeableConcept"] = {
                    "coding": [
                        {"system": f"{FHIR_BASE}/CodeSystem/{row.parameter}", "code": row.code}
                    ]
                }
        resources.append(base)
    return resources


def _blood_pressure_pairs(own: pd.DataFrame) -> dict[str, dict]:
    """sbp and dbp of the same time, once each: {"sbp": {(time, "sbp"): dbp}, "dbp": {...}}."""
    sbp = own.loc[own["parameter"] == "sbp"].drop_duplicates("time")
    dbp = own.loc[own["parameter"] == "dbp"].drop_duplicates("time")
    paired = sbp.merge(dbp, on="time", suffixes=("_s", "_d"))
    return {
        "sbp": {(t, "sbp"): v for t, v in zip(paired["time"], paired["value_d"], strict=True)},
        "dbp": {(t, "dbp"): v for t, v in zip(paired["time"], paired["value_d"], strict=True)},
    }


def _loinc_concept(code: str, display: str) -> dict:
    return {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display}


def _code(vocabulary: Vocabulary, name: str) -> dict:
    """LOINC when the vocabulary has one (its first: the canonical unit's), else ours."""
    parameter = vocabulary[name]
    if parameter.loinc:
        return _loinc_concept(parameter.loinc[0], parameter.label)
    return {
        "coding": [{"system": PARAMETER_SYSTEM, "code": name, "display": parameter.label}],
        "text": parameter.label,
    }


def _quantity(vocabulary: Vocabulary, name: str, value: float) -> dict:
    unit = vocabulary[name].unit
    return {
        "valueQuantity": {
            "value": _json_number(value),
            "unit": unit,
            "system": UCUM,
            "code": unit,
        }
    }


def _administration_resource(dose, subject: dict, number: int) -> dict:
    scheduled = time_text(dose.scheduled_time)
    given = dose.status == "given"
    resource = {
        "resourceType": "MedicationAdministration",
        "id": f"dose-{number}",
        "status": "completed" if given else "not-done",
        "subject": subject,
        "medicationCodeableConcept": {"text": f"{ALDESLEUKIN_NAMES[0]} (Proleukin)"},
        "effectiveDateTime": time_text(dose.administered_time) if given else scheduled,
        "extension": [
            {"url": EXTENSION_BASE + CYCLE_EXTENSION, "valueInteger": int(dose.cycle)},
            {"url": EXTENSION_BASE + DOSE_NUMBER_EXTENSION, "valueInteger": int(dose.dose_number)},
            {"url": EXTENSION_BASE + SCHEDULED_EXTENSION, "valueDateTime": scheduled},
        ],
    }
    reason = getattr(dose, "reason", None)
    reason = str(reason) if _present(reason) else ""
    if dose.status == "skipped":
        resource["statusReason"] = [
            {"coding": [{"system": f"{FHIR_BASE}/CodeSystem/dose-not-given", "code": "skipped"}]}
        ]
        if reason:
            resource["statusReason"][0]["text"] = reason
    elif dose.status == "held" and reason:
        resource["statusReason"] = [{"text": reason}]
    dose_iu = getattr(dose, "dose_iu_per_kg", None)
    if _present(dose_iu):
        resource["dosage"] = {
            "dose": {
                "value": _json_number(dose_iu),
                "unit": "IU/kg",
                "system": UCUM,
                "code": "[iU]/kg",
            }
        }
    return resource
