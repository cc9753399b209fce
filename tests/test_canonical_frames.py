"""The canonical frames hold text as dashboard/tables.py says, whatever pandas infers.

pandas 3 reads text into its own ``str`` dtype, whose missing value is NaN. The frames
promise plain Python strings with None for "absent" (a numeric row's ``code``, a patient
without an indication), and categoricals for the provenance columns. A NaN where None is
promised would pass an ``is None`` test as a value; so each reader's output is checked here,
column by column, rather than trusted to the library's defaults.
"""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import DEMO_DIR
from dashboard.loading import load_ward
from dashboard.tables import DOSE_COLUMNS, OBSERVATION_COLUMNS, PATIENT_COLUMNS
from tests.conftest import FIXTURES, WARD_ZONE

PLAIN_TEXT = {
    "patients": ["patient_id", "name", "bed", "indication", "protocol", "source"],
    "doses": ["patient_id", "status", "reason", "source"],
    "observations": ["patient_id", "parameter", "code"],
}
PROVENANCE = ["unit", "recorded_value", "recorded_unit", "source"]  # categorical
TIMES = {"doses": ["scheduled_time", "administered_time"], "observations": ["time"]}
COLUMNS = {"patients": PATIENT_COLUMNS, "doses": DOSE_COLUMNS, "observations": OBSERVATION_COLUMNS}

INPUTS = {
    "csv folder": DEMO_DIR,
    "per-dose sheet": FIXTURES / "good" / "per_dose_sheet" / "checklist.csv",
    "FHIR bundle": FIXTURES / "good" / "fhir_bundle.json",
}


@pytest.fixture(scope="module", params=list(INPUTS), ids=list(INPUTS))
def ward(request):
    return load_ward(INPUTS[request.param], WARD_ZONE)


@pytest.mark.parametrize("table", ["patients", "doses", "observations"])
def test_text_columns_hold_python_strings_and_none_for_absent(ward, table):
    frame = getattr(ward, table)
    assert list(frame.columns) == COLUMNS[table]
    for column in PLAIN_TEXT[table]:
        assert frame[column].dtype == object, (table, column, frame[column].dtype)
        kinds = {type(v).__name__ for v in frame[column]}
        assert kinds <= {"str", "NoneType"}, (table, column, kinds)


def test_a_numeric_observation_has_no_code_none_not_nan(ward):
    observations = ward.observations
    numeric = observations[observations["value"].notna()]
    assert len(numeric)
    assert all(code is None for code in numeric["code"])
    categorical = observations[observations["value"].isna()]
    assert all(isinstance(code, str) and code for code in categorical["code"])


def test_observation_provenance_columns_stay_categorical(ward):
    frame = ward.observations
    for column in PROVENANCE:
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), (column, frame[column].dtype)


@pytest.mark.parametrize("table", ["doses", "observations"])
def test_times_are_utc_nanoseconds(ward, table):
    frame = getattr(ward, table)
    for column in TIMES[table]:
        assert frame[column].dtype == "datetime64[ns, UTC]", (column, frame[column].dtype)
