"""Shape 3 of data-contract section 3: a FHIR R4 Bundle (JSON).

Patients, Observations and aldesleukin MedicationAdministrations are turned into the three
raw tables. A problem is located by the bundle entry (counted from 1, as a person counts
them) and the FHIR element path (``Observation.valueQuantity.unit``), so that whoever
produced the bundle can find it.

Conventions of this monitor (beyond plain FHIR R4), all under ``FHIR_BASE``:

- ``StructureDefinition/<key>`` extensions on Patient: bed, indication, protocol,
  baseline-weight-kg, baseline-creatinine-mg-dl, target-sbp-mmhg.
- ``StructureDefinition/il2-cycle``, ``il2-dose-number`` (valueInteger) and
  ``il2-scheduled-time`` (valueDateTime) on MedicationAdministration.
- ``CodeSystem/parameter``: code = a vocabulary name, for parameters without a LOINC code
  (vasopressor rates, diarrhoea, the categorical ones).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from dashboard.errors import InputFileError, Problem, UnitError
from dashboard.loading.raw import InputFile, RawTables
from dashboard.tables import DOSE_INPUT_COLUMNS, OBSERVATION_INPUT_COLUMNS, PATIENT_INPUT_COLUMNS
from dashboard.vocabulary import Vocabulary, load_vocabulary

FHIR_BASE = "https://il2-monitor.example.org/fhir"
EXTENSION_BASE = f"{FHIR_BASE}/StructureDefinition/"
PARAMETER_SYSTEM = f"{FHIR_BASE}/CodeSystem/parameter"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
BP_PANEL_LOINC = "85354-9"

PATIENT_EXTENSIONS = {
    "bed": "bed",
    "indication": "indication",
    "protocol": "protocol",
    "baseline-weight-kg": "baseline_weight_kg",
    "baseline-creatinine-mg-dl": "baseline_creatinine_mg_dl",
    "target-sbp-mmhg": "target_sbp_mmhg",
}
CYCLE_EXTENSION = "il2-cycle"
DOSE_NUMBER_EXTENSION = "il2-dose-number"
SCHEDULED_EXTENSION = "il2-scheduled-time"
NEW_CYCLE_GAP = pd.Timedelta(hours=72)  # a longer pause between doses starts a new cycle

LOADED_OBSERVATION_STATUSES = ("preliminary", "final", "amended", "corrected")
# Not data, and not data lost: why each of these statuses is left out (counted in a notice).
RETRACTED_OBSERVATION_STATUSES = {
    "entered-in-error": "withdrawn at the source",
    "cancelled": "never performed",
    "registered": "no result yet",
}
ALDESLEUKIN_NAMES = ("aldesleukin", "proleukin")


def read_fhir_bundle(file: InputFile, vocabulary: Vocabulary | None = None) -> RawTables:
    """Read a FHIR R4 Bundle's bytes; InputFileError (one sentence) if it is not one."""
    bundle = _parse_bundle(file)
    reader = _BundleReader(file.name, vocabulary or load_vocabulary())
    reader.read(bundle["entry"])
    return reader.raw_tables()


def _parse_bundle(file: InputFile) -> dict:
    data = file.data
    if not data.strip():
        raise InputFileError(f"{file.name} is empty: expected a FHIR R4 Bundle (JSON).")
    if b"\x00" in data[:4096] or data.startswith(b"PK\x03\x04"):
        raise InputFileError(
            f"{file.name} is not a text file (it holds binary data): expected "
            "a FHIR R4 Bundle (JSON)."
        )
    try:
        # Numbers are kept as written (text), like every other reader's cells.
        bundle = json.loads(data.decode("utf-8-sig"), parse_float=str, parse_int=str)
    except UnicodeDecodeError:
        raise InputFileError(
            f"{file.name} is not UTF-8 text: a FHIR bundle is UTF-8 JSON."
        ) from None
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"{file.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from None
    kind = bundle.get("resourceType") if isinstance(bundle, dict) else None
    if kind != "Bundle":
        found = f"its resourceType is '{kind}'" if kind else "it has no resourceType"
        raise InputFileError(f"{file.name} is not a FHIR Bundle ({found}).")
    if not isinstance(bundle.get("entry"), list) or not bundle["entry"]:
        raise InputFileError(f"{file.name} is a FHIR Bundle with no entries: nothing to load.")
    return bundle


def _get(node, *path, default=None):
    """``node[path[0]][path[1]]...`` through dicts and lists, ``default`` where absent."""
    for key in path:
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and len(node) > key else None
        else:
            node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return default
    return node


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _extensions(resource: dict) -> dict[str, dict]:
    """This monitor's extensions of a resource, by key (the last part of the url)."""
    found = {}
    for extension in resource.get("extension") or []:
        url = _text(_get(extension, "url"))
        if url.startswith(EXTENSION_BASE):
            found[url[len(EXTENSION_BASE) :]] = extension
    return found


def _extension_value(extension: dict | None) -> str:
    if extension is None:
        return ""
    for key, value in extension.items():
        if key == "valueQuantity":
            return _text(_get(value, "value"))
        if key.startswith("value"):
            return _text(value)
    return ""


@dataclass
class _BundleReader:
    file: str
    vocabulary: Vocabulary
    patients: list[dict] = field(default_factory=list)
    doses: list[dict] = field(default_factory=list)
    observations: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # why -> how many entries
    references: dict[str, str] = field(default_factory=dict)  # "Patient/x", fullUrl -> id

    def problem(self, entry: int, column: str, reason: str) -> None:
        self.problems.append(Problem(self.file, entry, column, reason, "entry"))

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def read(self, entries: list) -> None:
        resources = []
        for number, entry in enumerate(entries, start=1):
            resource = _get(entry, "resource")
            if not isinstance(resource, dict):
                self.problem(number, "entry.resource", "the entry holds no resource")
                continue
            resources.append((number, _text(_get(entry, "fullUrl")), resource))
        # Patients first: an Observation may come before its Patient in the bundle.
        for number, full_url, resource in resources:
            if resource.get("resourceType") == "Patient":
                self.read_patient(number, full_url, resource)
        readers = {
            "Observation": self.read_observation,
            "MedicationAdministration": self.read_administration,
        }
        for number, _, resource in resources:
            kind = _text(resource.get("resourceType"))
            if kind in readers:
                readers[kind](number, resource)
            elif kind != "Patient":
                self.skip(f"{kind or 'untyped'} resource(s), which the monitor does not use")
        self.infer_dose_numbers()
        self.fill_baseline_weights()

    # -- Patient ---------------------------------------------------------------------------

    def read_patient(self, number: int, full_url: str, resource: dict) -> None:
        resource_id = _text(resource.get("id"))
        identifier = _text(_get(resource, "identifier", 0, "value"))
        patient_id = identifier or resource_id
        row = {c: "" for c in PATIENT_INPUT_COLUMNS}
        row.update(
            patient_id=patient_id,
            name=_patient_name(resource),
            source_row=number,
            blame_patient_id="Patient.identifier[0].value" if identifier else "Patient.id",
        )
        extensions = _extensions(resource)
        for key, column in PATIENT_EXTENSIONS.items():
            row[column] = _extension_value(extensions.get(key))
            row[f"blame_{column}"] = f"Patient.extension[{key}]"
        self.patients.append(row)
        for reference in (f"Patient/{resource_id}" if resource_id else "", full_url):
            if reference:
                self.references[reference] = patient_id

    def subject(self, resource: dict) -> str:
        reference = _text(_get(resource, "subject", "reference"))
        if reference in self.references:
            return self.references[reference]
        # An unknown reference is passed on as it is, and validation names it.
        return reference.removeprefix("Patient/")

    # -- Observation -----------------------------------------------------------------------

    def read_observation(self, number: int, resource: dict) -> None:
        status = _text(resource.get("status")).lower()
        if status in RETRACTED_OBSERVATION_STATUSES:
            why = RETRACTED_OBSERVATION_STATUSES[status]
            self.skip(f"Observation(s) with status {status} ({why})")
            return
        if status and status not in LOADED_OBSERVATION_STATUSES:
            self.problem(
                number,
                "Observation.status",
                f"status '{status}' is not one of the loaded statuses "
                f"({', '.join(LOADED_OBSERVATION_STATUSES)}) nor a retraction",
            )
            return
        if not _has_value(resource) and not resource.get("component"):
            if resource.get("dataAbsentReason"):
                self.skip("Observation(s) with a dataAbsentReason and no value")
            else:
                self.problem(number, "Observation.value[x]", "the Observation holds no value")
            return
        time, time_path = _effective_time(resource, "Observation")
        base = {
            "patient_id": self.subject(resource),
            "time": time,
            "source_row": number,
            "blame_patient_id": "Observation.subject.reference",
            "blame_time": time_path,
        }
        if resource.get("component"):
            self.read_components(number, resource, base)
            return
        parameter = self.parameter_of(resource.get("code"))
        if parameter is None:
            self.problem(number, "Observation.code", _unknown_code_reason(resource.get("code")))
            return
        comparator = _text(_get(resource, "valueQuantity", "comparator"))
        if comparator:
            # "< 0.2" is a bound, not a reading: taking 0.2 would invent a value.
            self.problem(
                number,
                "Observation.valueQuantity.comparator",
                f"a {parameter} value with comparator '{comparator}' is a bound, not a "
                "measurement: the monitor cannot assess it",
            )
            return
        self.observations.append({**base, **_value(resource, "Observation", parameter)})

    def read_components(self, number: int, resource: dict, base: dict) -> None:
        """A panel (blood pressure): one row per component, each with its own code."""
        for index, component in enumerate(resource["component"]):
            path = f"Observation.component[{index}]"
            parameter = self.parameter_of(_get(component, "code"))
            if parameter is None:
                self.problem(number, f"{path}.code", _unknown_code_reason(_get(component, "code")))
                continue
            if not _has_value(component):
                if not component.get("dataAbsentReason"):
                    self.problem(number, f"{path}.value[x]", "the component holds no value")
                continue
            self.observations.append({**base, **_value(component, path, parameter)})

    def parameter_of(self, code) -> str | None:
        """The vocabulary name a CodeableConcept stands for: LOINC, else this monitor's system."""
        loinc = self.vocabulary.loinc_map()
        for coding in _get(code, "coding") or []:
            system, value = _text(_get(coding, "system")), _text(_get(coding, "code"))
            if system == LOINC and value in loinc:
                return loinc[value]
            if system == PARAMETER_SYSTEM and value.lower() in self.vocabulary:
                return value.lower()
        return None

    # -- MedicationAdministration ---------------------------------------------------------

    def read_administration(self, number: int, resource: dict) -> None:
        if not _is_aldesleukin(resource):
            self.skip("MedicationAdministration(s) of medicines other than aldesleukin")
            return
        status = _text(resource.get("status")).lower()
        if status == "entered-in-error":
            self.skip(
                "aldesleukin MedicationAdministration(s) with status entered-in-error "
                "(withdrawn at the source)"
            )
            return
        row = {c: "" for c in DOSE_INPUT_COLUMNS}
        time, time_path = _effective_time(resource, "MedicationAdministration", start=True)
        extensions = _extensions(resource)
        scheduled = _extension_value(extensions.get(SCHEDULED_EXTENSION))
        row.update(
            patient_id=self.subject(resource),
            cycle=_extension_value(extensions.get(CYCLE_EXTENSION)),
            dose_number=_extension_value(extensions.get(DOSE_NUMBER_EXTENSION)),
            scheduled_time=scheduled or time,
            dose_iu_per_kg=_dose_per_kg(resource),
            source_row=number,
            blame_patient_id="MedicationAdministration.subject.reference",
            blame_cycle=f"MedicationAdministration.extension[{CYCLE_EXTENSION}]",
            blame_dose_number=f"MedicationAdministration.extension[{DOSE_NUMBER_EXTENSION}]",
            blame_scheduled_time=(
                f"MedicationAdministration.extension[{SCHEDULED_EXTENSION}]"
                if scheduled
                else time_path
            ),
            blame_administered_time=time_path,
            blame_status="MedicationAdministration.status",
            blame_dose_iu_per_kg="MedicationAdministration.dosage.dose",
        )
        if status in ("completed", "in-progress"):
            row.update(status="given", administered_time=time)
        elif status == "not-done":
            reason = _status_reason(resource)
            skipped = reason.lower().startswith("skipped") or _has_skipped_code(resource)
            row.update(status="skipped" if skipped else "held", reason=reason)
        else:
            self.problem(
                number,
                "MedicationAdministration.status",
                f"status '{status}' cannot be read as a dose given (completed, in-progress) "
                "or not given (not-done)",
            )
            return
        self.doses.append(row)

    def infer_dose_numbers(self) -> None:
        """Number doses by time when the bundle does not: a gap over 72 h starts a new cycle."""
        by_patient: dict[str, list[dict]] = {}
        for row in self.doses:
            by_patient.setdefault(row["patient_id"], []).append(row)
        inferred, refused = [], []
        for patient_id, rows in by_patient.items():
            lacking = [r for r in rows if not (r["cycle"] and r["dose_number"])]
            if not lacking:
                continue
            if len(lacking) < len(rows):
                # Reported here with its reason, so not also passed on as "a value is required".
                refused.extend(id(row) for row in lacking)
                for row in lacking:
                    self.problem(
                        row["source_row"],
                        row["blame_cycle"],
                        f"cycle and dose number are missing, while other doses of patient "
                        f"'{patient_id}' have them: give them on every dose or on none",
                    )
                continue
            _number_by_time(rows)
            inferred.append(patient_id)
        self.doses = [row for row in self.doses if id(row) not in refused]
        if inferred:
            self.notices.append(
                f"{self.file}: cycle and dose numbers were not in the bundle for patient(s) "
                f"{', '.join(inferred)}; they were inferred from the order of the doses "
                f"(a new cycle after a gap of more than {NEW_CYCLE_GAP.total_seconds() / 3600:g} h)"
            )

    def fill_baseline_weights(self) -> None:
        """A patient without a baseline-weight extension: the first weight Observation."""
        weights = pd.DataFrame([o for o in self.observations if o["parameter"] == "weight"])
        filled = []
        for row in self.patients:
            if row["baseline_weight_kg"] or weights.empty:
                continue
            own = weights.loc[weights["patient_id"] == row["patient_id"]]
            first = _first_by_time(own)
            if first is None:
                continue
            try:
                value = float(first["value"])
                kg = self.vocabulary["weight"].to_canonical(value, first["unit"] or "kg")
            except (ValueError, UnitError):
                continue  # validation reports the weight Observation itself
            row["baseline_weight_kg"] = repr(kg)
            row["blame_baseline_weight_kg"] = (
                f"Observation.valueQuantity.value (entry {first['source_row']}, the first weight)"
            )
            filled.append(row["patient_id"])
        if filled:
            self.notices.append(
                f"{self.file}: no baseline-weight-kg extension for patient(s) {', '.join(filled)}: "
                "the baseline weight is the patient's first weight Observation"
            )

    def raw_tables(self) -> RawTables:
        if self.skipped:
            self.notices.insert(
                0,
                f"{self.file}: not loaded: "
                + "; ".join(f"{count} {why}" for why, count in self.skipped.items()),
            )
        return RawTables(
            patients=_frame(self.patients, PATIENT_INPUT_COLUMNS),
            doses=_frame(self.doses, DOSE_INPUT_COLUMNS),
            observations=_frame(self.observations, OBSERVATION_INPUT_COLUMNS),
            files={"patients": self.file, "doses": self.file, "observations": self.file},
            row_kind="entry",
            units_required=True,
            problems=self.problems,
            notices=self.notices,
        )


def _frame(rows: list[dict], columns) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in [*columns, "source_row"]:
        if column not in frame.columns:
            frame[column] = pd.Series(dtype="int64" if column == "source_row" else object)
    blame = sorted(c for c in frame.columns if c.startswith("blame_"))
    for column in blame:
        frame[column] = frame[column].fillna(column.removeprefix("blame_"))
    return frame[[*columns, "source_row", *blame]].fillna("")


def _patient_name(resource: dict) -> str:
    name = _get(resource, "name", 0) or {}
    if _text(name.get("text")):
        return _text(name["text"])
    given = " ".join(_text(g) for g in name.get("given") or [])
    family = _text(name.get("family"))
    return ", ".join(part for part in (family, given) if part)


def _effective_time(resource: dict, kind: str, start: bool = False) -> tuple[str, str]:
    """The resource's time and its path; a period's end (a urine collection), or its start
    for a MedicationAdministration (when the infusion began)."""
    for key in ("effectiveDateTime", "effectiveInstant"):
        if _text(resource.get(key)):
            return _text(resource[key]), f"{kind}.{key}"
    side = "start" if start else "end"
    period = resource.get("effectivePeriod")
    if _text(_get(period, side)):
        return _text(period[side]), f"{kind}.effectivePeriod.{side}"
    if _text(_get(period, "start")):
        return _text(period["start"]), f"{kind}.effectivePeriod.start"
    return "", f"{kind}.effectiveDateTime"


def _has_value(node: dict) -> bool:
    return any(key.startswith("value") for key in node)


def _value(node: dict, path: str, parameter: str) -> dict:
    """``value``/``unit`` (and where to blame them) of an Observation or a component."""
    row = {"parameter": parameter, "blame_parameter": f"{path}.code"}
    if "valueQuantity" in node:
        quantity = node["valueQuantity"] or {}
        ucum = _text(quantity.get("system")) == UCUM and _text(quantity.get("code"))
        row.update(
            value=_text(quantity.get("value")),
            unit=_text(quantity["code"]) if ucum else _text(quantity.get("unit")),
            blame_value=f"{path}.valueQuantity.value",
            blame_unit=f"{path}.valueQuantity.{'code' if ucum else 'unit'}",
        )
    elif "valueCodeableConcept" in node:
        concept = node["valueCodeableConcept"] or {}
        code = _text(_get(concept, "coding", 0, "code"))
        row.update(
            value=code or _text(concept.get("text")),
            unit="",
            blame_value=f"{path}.valueCodeableConcept" + (".coding[0].code" if code else ".text"),
        )
    else:
        key = next(k for k in node if k.startswith("value"))
        row.update(value=_text(node[key]), unit="", blame_value=f"{path}.{key}")
    return row


def _unknown_code_reason(code) -> str:
    codings = [
        f"{_text(_get(c, 'system')) or '(no system)'}|{_text(_get(c, 'code'))}"
        + (f" ({_text(c['display'])})" if _text(_get(c, "display")) else "")
        for c in _get(code, "coding") or []
    ]
    named = ", ".join(codings) or f"text '{_text(_get(code, 'text'))}'"
    return (
        f"the code {named} is not a parameter the monitor knows: use a LOINC code of the "
        f"vocabulary or a coding of {PARAMETER_SYSTEM} (a vocabulary name)"
    )


def _is_aldesleukin(resource: dict) -> bool:
    concept = resource.get("medicationCodeableConcept") or {}
    names = [
        _text(concept.get("text")),
        *(_text(_get(c, "display")) for c in concept.get("coding") or []),
        _text(_get(resource, "medicationReference", "display")),
    ]
    return any(drug in name.lower() for name in names for drug in ALDESLEUKIN_NAMES)


def _status_reason(resource: dict) -> str:
    reason = _get(resource, "statusReason", 0) or {}
    return (
        _text(reason.get("text"))
        or _text(_get(reason, "coding", 0, "display"))
        or _text(_get(reason, "coding", 0, "code"))
    )


def _has_skipped_code(resource: dict) -> bool:
    return any(
        _text(_get(coding, "code")).lower() == "skipped"
        for reason in resource.get("statusReason") or []
        for coding in _get(reason, "coding") or []
    )


def _dose_per_kg(resource: dict) -> str:
    """``dosage.dose`` when it is per kilogram (the contract's unit); empty otherwise."""
    dose = _get(resource, "dosage", "dose") or {}
    unit = (_text(dose.get("code")) or _text(dose.get("unit"))).lower()
    return _text(dose.get("value")) if unit.endswith("/kg") else ""


def _parsed_time(text: str) -> pd.Timestamp | None:
    """A time for ordering only (naive read as UTC: a 72 h gap does not depend on the zone)."""
    try:
        time = pd.Timestamp(text)
    except (ValueError, TypeError):
        return None
    if pd.isna(time):
        return None
    return time.tz_localize("UTC") if time.tzinfo is None else time.tz_convert("UTC")


def _number_by_time(rows: list[dict]) -> None:
    timed = [(t, r) for r in rows if (t := _parsed_time(r["scheduled_time"])) is not None]
    timed.sort(key=lambda pair: (pair[0], pair[1]["source_row"]))
    cycle, number, previous = 1, 0, None
    for time, row in timed:
        if previous is not None and time - previous > NEW_CYCLE_GAP:
            cycle, number = cycle + 1, 0
        number += 1
        previous = time
        row["cycle"], row["dose_number"] = str(cycle), str(number)


def _first_by_time(observations: pd.DataFrame):
    if observations.empty:
        return None
    times = observations["time"].map(_parsed_time)
    timed = observations.assign(_t=times).dropna(subset=["_t"])
    if timed.empty:
        return None
    return timed.sort_values(["_t", "source_row"]).iloc[0]
