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

What is refused rather than guessed (docs/input-formats.md section 3): an extension of this
monitor's with an unknown key, or one whose key looks like a known one under another
address (a misspelt URL must not silently drop a target blood pressure); a
MedicationAdministration that mentions aldesleukin without being named as it ("ondansetron,
premedication for aldesleukin"), or whose medicine cannot be told at all; an element of the
wrong JSON type (a name as a list of strings, a valueQuantity as a string).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

import pandas as pd

from dashboard.errors import InputFileError, Problem, UnitError
from dashboard.loading.raw import InputFile, RawTables
from dashboard.quantities import plain_number
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
#: Codings that name aldesleukin without any text. WHO ATC L03AC01 is aldesleukin.
ALDESLEUKIN_CODINGS = {("http://www.whocc.no/atc", "L03AC01")}
_WORDS = re.compile(r"[a-z0-9-]+")


class _Malformed(Exception):
    """An element of the wrong JSON type: a problem of its entry, never a traceback."""

    def __init__(self, path: str, reason: str):
        super().__init__(reason)
        self.path = path
        self.reason = reason


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


def _scalar(value, path: str) -> str:
    """A JSON string or number as text; an object or a list where one is expected is
    malformed (its text would be a Python repr, never what was meant)."""
    if isinstance(value, dict | list):
        kind = "an object" if isinstance(value, dict) else "a list"
        raise _Malformed(path, f"must be a single value, not {kind}")
    return _text(value)


def _object(node: dict, key: str, path: str) -> dict:
    """``node[key]`` as a JSON object ({} when absent); anything else is malformed."""
    value = node.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Malformed(path, f"must be a JSON object, not {_json_kind(value)}")
    return value


def _array(node: dict, key: str, path: str) -> list:
    value = node.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Malformed(path, f"must be a JSON array, not {_json_kind(value)}")
    return value


def _json_kind(value) -> str:
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    return {dict: "an object", list: "a list", bool: "true/false"}.get(type(value), "a number")


def _extensions(resource: dict, kind: str, known: tuple[str, ...]) -> dict[str, dict]:
    """This monitor's extensions of a resource, by key (the last part of the url).

    An extension under this monitor's address with a key it does not know, or elsewhere
    with a last part that reads like one of its keys, is malformed: a misspelt address
    would otherwise drop the value without a word (a target SBP of 95 falling back to 90).
    """
    found = {}
    for index, extension in enumerate(_array(resource, "extension", f"{kind}.extension")):
        path = f"{kind}.extension[{index}]"
        if not isinstance(extension, dict):
            raise _Malformed(path, f"must be a JSON object, not {_json_kind(extension)}")
        url = _scalar(extension.get("url"), f"{path}.url")
        if url.startswith(EXTENSION_BASE):
            key = url[len(EXTENSION_BASE) :]
            if key not in known:
                raise _Malformed(f"{path}.url", _unknown_extension(url, key, known))
            found[key] = extension
            continue
        last = url.rstrip("/").rsplit("/", 1)[-1].lower()
        if difflib.get_close_matches(last, known, n=1, cutoff=0.8):
            raise _Malformed(f"{path}.url", _unknown_extension(url, last, known))
    return found


def _unknown_extension(url: str, key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6)
    hint = f"; did you mean {EXTENSION_BASE}{close[0]}?" if close else ""
    return (
        f"'{url}' is not an extension this monitor reads (its extensions are "
        f"{EXTENSION_BASE}<{'|'.join(known)}>){hint}"
    )


def _extension_value(extension: dict | None, path: str) -> str:
    if extension is None:
        return ""
    for key, value in extension.items():
        if key == "valueQuantity":
            quantity = _object(extension, key, f"{path}.valueQuantity")
            return _scalar(quantity.get("value"), f"{path}.valueQuantity.value")
        if key.startswith("value"):
            return _scalar(value, f"{path}.{key}")
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

    def guarded(self, number: int, read, *args) -> None:
        """Read one entry; a malformed element makes the entry a problem, whole (nothing
        of it is loaded, so no half-read resource stands in for the real one)."""
        rows = (len(self.patients), len(self.doses), len(self.observations))
        try:
            read(*args)
        except _Malformed as malformed:
            del self.patients[rows[0] :], self.doses[rows[1] :], self.observations[rows[2] :]
            self.problem(number, malformed.path, malformed.reason)

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
                self.guarded(number, self.read_patient, number, full_url, resource)
        readers = {
            "Observation": self.read_observation,
            "MedicationAdministration": self.read_administration,
        }
        for number, _, resource in resources:
            kind = _text(resource.get("resourceType"))
            if kind in readers:
                self.guarded(number, readers[kind], number, resource)
            elif kind != "Patient":
                self.skip(f"{kind or 'untyped'} resource(s), which the monitor does not use")
        self.infer_dose_numbers()
        self.fill_baseline_weights()

    # -- Patient ---------------------------------------------------------------------------

    def read_patient(self, number: int, full_url: str, resource: dict) -> None:
        resource_id = _scalar(resource.get("id"), "Patient.id")
        identifiers = _array(resource, "identifier", "Patient.identifier")
        identifier = _scalar(_get(identifiers, 0, "value"), "Patient.identifier[0].value")
        patient_id = identifier or resource_id
        row = {c: "" for c in PATIENT_INPUT_COLUMNS}
        row.update(
            patient_id=patient_id,
            name=_patient_name(resource),
            source_row=number,
            blame_patient_id="Patient.identifier[0].value" if identifier else "Patient.id",
        )
        extensions = _extensions(resource, "Patient", tuple(PATIENT_EXTENSIONS))
        for key, column in PATIENT_EXTENSIONS.items():
            row[column] = _extension_value(extensions.get(key), f"Patient.extension[{key}]")
            row[f"blame_{column}"] = f"Patient.extension[{key}]"
        self.patients.append(row)
        for reference in (f"Patient/{resource_id}" if resource_id else "", full_url):
            if reference:
                self.references[reference] = patient_id

    def subject(self, resource: dict) -> str:
        kind = _text(resource.get("resourceType"))
        subject = _object(resource, "subject", f"{kind}.subject")
        reference = _scalar(subject.get("reference"), f"{kind}.subject.reference")
        if reference in self.references:
            return self.references[reference]
        # An unknown reference is passed on as it is, and validation names it.
        return reference.removeprefix("Patient/")

    # -- Observation -----------------------------------------------------------------------

    def read_observation(self, number: int, resource: dict) -> None:
        status = _scalar(resource.get("status"), "Observation.status").lower()
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
        parameter = self.parameter_of(
            _object(resource, "code", "Observation.code"), "Observation.code"
        )
        if parameter is None:
            self.problem(number, "Observation.code", _unknown_code_reason(resource.get("code")))
            return
        comparator = _scalar(
            _get(resource, "valueQuantity", "comparator"), "Observation.valueQuantity.comparator"
        )
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
        for index, component in enumerate(_array(resource, "component", "Observation.component")):
            path = f"Observation.component[{index}]"
            if not isinstance(component, dict):
                raise _Malformed(path, f"must be a JSON object, not {_json_kind(component)}")
            parameter = self.parameter_of(
                _object(component, "code", f"{path}.code"), f"{path}.code"
            )
            if parameter is None:
                self.problem(number, f"{path}.code", _unknown_code_reason(_get(component, "code")))
                continue
            if not _has_value(component):
                if not component.get("dataAbsentReason"):
                    self.problem(number, f"{path}.value[x]", "the component holds no value")
                continue
            self.observations.append({**base, **_value(component, path, parameter)})

    def parameter_of(self, code: dict, path: str) -> str | None:
        """The vocabulary name a CodeableConcept stands for: LOINC, else this monitor's system."""
        loinc = self.vocabulary.loinc_map()
        for index, coding in enumerate(_array(code, "coding", f"{path}.coding")):
            where = f"{path}.coding[{index}]"
            if not isinstance(coding, dict):
                raise _Malformed(where, f"must be a JSON object, not {_json_kind(coding)}")
            system = _scalar(coding.get("system"), f"{where}.system")
            value = _scalar(coding.get("code"), f"{where}.code")
            if system == LOINC and value in loinc:
                return loinc[value]
            if system == PARAMETER_SYSTEM and value.lower() in self.vocabulary:
                return value.lower()
        return None

    # -- MedicationAdministration ---------------------------------------------------------

    def read_administration(self, number: int, resource: dict) -> None:
        medicine = _medicine(resource)
        if medicine == "other":
            self.skip("MedicationAdministration(s) of medicines other than aldesleukin")
            return
        if medicine != "aldesleukin":
            self.problem(number, "MedicationAdministration.medication[x]", medicine)
            return
        status = _scalar(resource.get("status"), "MedicationAdministration.status").lower()
        if status == "entered-in-error":
            self.skip(
                "aldesleukin MedicationAdministration(s) with status entered-in-error "
                "(withdrawn at the source)"
            )
            return
        row = {c: "" for c in DOSE_INPUT_COLUMNS}
        time, time_path = _effective_time(resource, "MedicationAdministration", start=True)
        extensions = _extensions(
            resource,
            "MedicationAdministration",
            (CYCLE_EXTENSION, DOSE_NUMBER_EXTENSION, SCHEDULED_EXTENSION),
        )
        path = "MedicationAdministration.extension"
        scheduled = _extension_value(
            extensions.get(SCHEDULED_EXTENSION), f"{path}[{SCHEDULED_EXTENSION}]"
        )
        row.update(
            patient_id=self.subject(resource),
            cycle=_extension_value(extensions.get(CYCLE_EXTENSION), f"{path}[{CYCLE_EXTENSION}]"),
            dose_number=_extension_value(
                extensions.get(DOSE_NUMBER_EXTENSION), f"{path}[{DOSE_NUMBER_EXTENSION}]"
            ),
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
                "(a new cycle after a gap of more than "
                f"{plain_number(NEW_CYCLE_GAP.total_seconds() / 3600)} h)"
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
    names = _array(resource, "name", "Patient.name")
    if not names:
        return ""
    if not isinstance(names[0], dict):
        raise _Malformed(
            "Patient.name[0]", f"must be a HumanName object, not {_json_kind(names[0])}"
        )
    name = names[0]
    text = _scalar(name.get("text"), "Patient.name[0].text")
    if text:
        return text
    given = " ".join(
        _scalar(g, "Patient.name[0].given") for g in _array(name, "given", "Patient.name[0].given")
    )
    family = _scalar(name.get("family"), "Patient.name[0].family")
    return ", ".join(part for part in (family, given) if part)


def _effective_time(resource: dict, kind: str, start: bool = False) -> tuple[str, str]:
    """The resource's time and its path; a period's end (a urine collection), or its start
    for a MedicationAdministration (when the infusion began)."""
    for key in ("effectiveDateTime", "effectiveInstant"):
        if _scalar(resource.get(key), f"{kind}.{key}"):
            return _text(resource[key]), f"{kind}.{key}"
    side = "start" if start else "end"
    period = _object(resource, "effectivePeriod", f"{kind}.effectivePeriod")
    for end in (side, "start"):
        if _scalar(period.get(end), f"{kind}.effectivePeriod.{end}"):
            return _text(period[end]), f"{kind}.effectivePeriod.{end}"
    return "", f"{kind}.effectiveDateTime"


def _has_value(node: dict) -> bool:
    return any(key.startswith("value") for key in node)


def _value(node: dict, path: str, parameter: str) -> dict:
    """``value``/``unit`` (and where to blame them) of an Observation or a component."""
    row = {"parameter": parameter, "blame_parameter": f"{path}.code"}
    if "valueQuantity" in node:
        quantity = _object(node, "valueQuantity", f"{path}.valueQuantity")
        ucum = _scalar(quantity.get("system"), f"{path}.valueQuantity.system") == UCUM and _scalar(
            quantity.get("code"), f"{path}.valueQuantity.code"
        )
        row.update(
            value=_scalar(quantity.get("value"), f"{path}.valueQuantity.value"),
            unit=_text(quantity["code"])
            if ucum
            else _scalar(quantity.get("unit"), f"{path}.valueQuantity.unit"),
            blame_value=f"{path}.valueQuantity.value",
            blame_unit=f"{path}.valueQuantity.{'code' if ucum else 'unit'}",
        )
    elif "valueCodeableConcept" in node:
        concept = _object(node, "valueCodeableConcept", f"{path}.valueCodeableConcept")
        codings = _array(concept, "coding", f"{path}.valueCodeableConcept.coding")
        code = _scalar(_get(codings, 0, "code"), f"{path}.valueCodeableConcept.coding[0].code")
        row.update(
            value=code or _scalar(concept.get("text"), f"{path}.valueCodeableConcept.text"),
            unit="",
            blame_value=f"{path}.valueCodeableConcept" + (".coding[0].code" if code else ".text"),
        )
    else:
        key = next(k for k in node if k.startswith("value"))
        row.update(value=_scalar(node[key], f"{path}.{key}"), unit="", blame_value=f"{path}.{key}")
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


def _medicine(resource: dict) -> str:
    """ "aldesleukin", "other", or the reason the medicine cannot be told.

    Aldesleukin is a coding of ALDESLEUKIN_CODINGS or a name that begins with one of
    ALDESLEUKIN_NAMES. A name that only mentions it ("ondansetron, premedication for
    aldesleukin") is not taken for a dose, nor dropped unseen: it is a problem. So is a
    medicine with neither a name nor a coding the monitor knows (an RxNorm code alone).
    """
    path = "MedicationAdministration.medicationCodeableConcept"
    concept = _object(resource, "medicationCodeableConcept", path)
    reference = _object(
        resource, "medicationReference", "MedicationAdministration.medicationReference"
    )
    codings = _array(concept, "coding", f"{path}.coding")
    pairs = set()
    names = [
        _scalar(concept.get("text"), f"{path}.text"),
        _scalar(reference.get("display"), "MedicationAdministration.medicationReference.display"),
    ]
    for index, coding in enumerate(codings):
        if not isinstance(coding, dict):
            raise _Malformed(
                f"{path}.coding[{index}]", f"must be a JSON object, not {_json_kind(coding)}"
            )
        pairs.add(
            (
                _scalar(coding.get("system"), f"{path}.coding[{index}].system"),
                _scalar(coding.get("code"), f"{path}.coding[{index}].code"),
            )
        )
        names.append(_scalar(coding.get("display"), f"{path}.coding[{index}].display"))
    names = [name for name in names if name]
    if pairs & ALDESLEUKIN_CODINGS:
        return "aldesleukin"
    first_words = [(_WORDS.findall(name.lower()) or [""])[0] for name in names]
    if any(word in ALDESLEUKIN_NAMES for word in first_words):
        return "aldesleukin"
    mentioning = [name for name in names if any(drug in name.lower() for drug in ALDESLEUKIN_NAMES)]
    if mentioning:
        return (
            f"the medicine reads '{mentioning[0]}': it mentions aldesleukin but is not "
            "named as it, so the monitor cannot tell whether this is an aldesleukin dose "
            "(name aldesleukin first, or code it as ATC L03AC01)"
        )
    if names:
        return "other"
    shown = ", ".join(f"{system or '(no system)'}|{code}" for system, code in sorted(pairs))
    return (
        f"the medicine has no name and its coding ({shown or 'none'}) is not one the "
        "monitor knows as aldesleukin: name it in medicationCodeableConcept.text, or code "
        "it as ATC L03AC01"
    )


def _status_reason(resource: dict) -> str:
    reasons = _array(resource, "statusReason", "MedicationAdministration.statusReason")
    reason = reasons[0] if reasons and isinstance(reasons[0], dict) else {}
    path = "MedicationAdministration.statusReason[0]"
    codings = _array(reason, "coding", f"{path}.coding")
    return (
        _scalar(reason.get("text"), f"{path}.text")
        or _scalar(_get(codings, 0, "display"), f"{path}.coding[0].display")
        or _scalar(_get(codings, 0, "code"), f"{path}.coding[0].code")
    )


def _has_skipped_code(resource: dict) -> bool:
    return any(
        _text(_get(coding, "code")).lower() == "skipped"
        for reason in resource.get("statusReason") or []
        for coding in _get(reason, "coding") or []
    )


def _dose_per_kg(resource: dict) -> str:
    """``dosage.dose`` when it is per kilogram (the contract's unit); empty otherwise."""
    path = "MedicationAdministration.dosage"
    dose = _object(_object(resource, "dosage", path), "dose", f"{path}.dose")
    unit = (
        _scalar(dose.get("code"), f"{path}.dose.code")
        or _scalar(dose.get("unit"), f"{path}.dose.unit")
    ).lower()
    return _scalar(dose.get("value"), f"{path}.dose.value") if unit.endswith("/kg") else ""


def _parsed_time(text: str) -> pd.Timestamp | None:
    """A time for ordering only (naive read as UTC: a 72 h gap does not depend on the zone)."""
    try:
        # in nanoseconds, as the times are read (loading/times.py): one past 2262 is not
        # placed here either (pandas 3 would keep it at a coarser unit)
        time = pd.Timestamp(text).as_unit("ns")
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
