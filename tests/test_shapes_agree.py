"""The same ward in three shapes (three CSVs, an Excel workbook, a FHIR bundle) becomes the
same canonical tables (issue 9): whichever way a ward exports, the monitor sees one ward.

Hypothesis draws a patient's readings (numeric values on each parameter's precision grid,
inside its plausible range, and categorical codes); each shape is written from them and
read back.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from dashboard.loading import InputFile, load_ward
from dashboard.loading.export import number_text, time_text, write_fhir_bundle
from dashboard.tables import DOSE_INPUT_COLUMNS, OBSERVATION_INPUT_COLUMNS, PATIENT_INPUT_COLUMNS
from dashboard.vocabulary import load_vocabulary
from tests.scenarios import course, patient, utc, ward

VOCABULARY = load_vocabulary()
NUMERIC = [p for p in VOCABULARY.parameters.values() if p.is_numeric]
CATEGORICAL = [p for p in VOCABULARY.parameters.values() if not p.is_numeric and not p.multi_valued]
START = utc("2026-03-02 08:00")


@st.composite
def readings(draw) -> list[dict]:
    rows, taken = [], set()
    for _ in range(draw(st.integers(1, 12))):
        minute = draw(st.integers(0, 40 * 60))
        if draw(st.booleans()):
            spec = draw(st.sampled_from(NUMERIC))
            low, high = spec.plausible
            step = 10.0 ** -(spec.decimals or 0)
            value = round(
                draw(st.integers(int(low / step), int(high / step))) * step, spec.decimals or 0
            )
            row = {"parameter": spec.name, "value": value, "code": None, "unit": spec.unit}
        else:
            spec = draw(st.sampled_from(CATEGORICAL))
            row = {
                "parameter": spec.name,
                "value": float("nan"),
                "code": draw(st.sampled_from(spec.codes)),
                "unit": "",
            }
        if (minute, spec.name) in taken:
            continue  # one value per parameter and moment: else it is a conflict by design
        taken.add((minute, spec.name))
        rows.append(
            {
                "patient_id": "P1",
                "time": START + pd.Timedelta(minutes=minute),
                **row,
                "recorded_value": "",
                "recorded_unit": "",
                "source": "t",
                "source_row": 2,
            }
        )
    return rows


def as_text_tables(data) -> dict[str, list[list[str]]]:
    patients = [list(PATIENT_INPUT_COLUMNS), ["P1", "", "1", "melanoma", "", "80", "1", ""]]
    doses = [list(DOSE_INPUT_COLUMNS)] + [
        [
            d.patient_id,
            str(d.cycle),
            str(d.dose_number),
            time_text(d.scheduled_time),
            d.status,
            time_text(d.administered_time),
            "600000",
            "",
        ]
        for d in data.doses.itertuples(index=False)
    ]
    observations = [list(OBSERVATION_INPUT_COLUMNS)] + [
        [
            o.patient_id,
            time_text(o.time),
            o.parameter,
            o.code if isinstance(o.code, str) else number_text(o.value),
            o.unit,
        ]
        for o in data.observations.itertuples(index=False)
    ]
    return {"patients": patients, "doses": doses, "observations": observations}


def csv_files(tables) -> list[InputFile]:
    def text(rows):
        return "\n".join(",".join(row) for row in rows) + "\n"

    return [InputFile(f"{name}.csv", text(rows).encode()) for name, rows in tables.items()]


def workbook(tables, tmp_path) -> InputFile:
    book = Workbook()
    book.remove(book.active)
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "ward.xlsx"
    book.save(path)
    return InputFile("ward.xlsx", path.read_bytes())


def canonical(loaded) -> pd.DataFrame:
    observations = loaded.observations[["patient_id", "time", "parameter", "value", "code"]]
    observations = observations.assign(value=observations["value"].round(6))
    return observations.sort_values(["time", "parameter"]).reset_index(drop=True)


# tmp_path is only a scratch folder for the workbook: sharing it between examples is safe.
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(readings())
def test_three_shapes_of_one_ward_load_as_the_same_tables(tmp_path, rows):
    data = ward(
        [patient("P1", weight=80.0, creatinine=1.0)],
        course("P1", "2026-03-02 08:00", given=3, doses=3),
        rows,
    )
    tables = as_text_tables(data)
    from_csv = load_ward(csv_files(tables), "UTC")
    from_excel = load_ward(workbook(tables, tmp_path), "UTC")
    bundle = write_fhir_bundle(
        data.patients, data.doses, data.observations, "P1", tmp_path / "ward.json"
    )
    from_fhir = load_ward(bundle, "UTC")
    expected = canonical(from_csv)
    assert len(expected) == len(rows)
    for other in (from_excel, from_fhir):
        pd.testing.assert_frame_equal(canonical(other), expected, check_dtype=False)
        assert other.patients["baseline_weight_kg"].tolist() == [80.0]
        dose_columns = ["cycle", "dose_number", "scheduled_time", "status", "administered_time"]
        pd.testing.assert_frame_equal(
            other.doses[dose_columns].reset_index(drop=True),
            from_csv.doses[dose_columns].reset_index(drop=True),
            check_dtype=False,
        )
