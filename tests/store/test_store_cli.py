"""`db upgrade`, `import PATH` and `evaluate` with no PATH (the store), through the command
line's one boundary: exit 0 when done, 2 with the problem said when not."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from dashboard import DEMO_DIR
from dashboard.cli import main
from dashboard.store import import_reports, open_store
from tests.conftest import FIXTURES, WARD_ZONE

AT = ["--at", "2026-03-04T10:00:00+00:00"]


@pytest.fixture
def database(store_url, monkeypatch):
    monkeypatch.setenv("IL2_DATABASE_URL", store_url)
    monkeypatch.setenv("IL2_WARD_TIMEZONE", "Europe/Paris")
    return store_url


def test_upgrade_import_and_evaluate_the_store(database, capsys):
    assert main(["db", "upgrade"]) == 0
    assert main(["import", str(DEMO_DIR), "--who", "lead.a"]) == 0
    out = capsys.readouterr().out
    assert "import 1 (imported)" in out and "sha256" in out
    assert main(["evaluate", str(DEMO_DIR), *AT]) == 0
    from_files = json.loads(capsys.readouterr().out)
    assert main(["evaluate", *AT]) == 0
    from_store = json.loads(capsys.readouterr().out)
    assert from_store == from_files
    assert main(["evaluate", *AT, "--course", "--format", "csv"]) == 0
    course_store = capsys.readouterr().out
    assert main(["evaluate", str(DEMO_DIR), *AT, "--course", "--format", "csv"]) == 0
    assert course_store == capsys.readouterr().out


def test_the_os_user_is_who_when_no_who_is_given(database, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "ward.pc")
    assert main(["db", "upgrade"]) == 0
    assert main(["import", str(FIXTURES / "good" / "three_csv"), "--timezone", WARD_ZONE]) == 0
    store = open_store(database)
    try:
        assert import_reports(store)[0]["who"] == "ward.pc"
    finally:
        store.dispose()


def test_a_refused_import_exits_2_with_every_problem(database, capsys):
    assert main(["db", "upgrade"]) == 0
    bad = str(FIXTURES / "bad" / "csv_out_of_range")
    assert main(["import", bad, "--timezone", WARD_ZONE, "--who", "lead"]) == 2
    assert "nothing was loaded" in capsys.readouterr().err
    assert main(["import", bad, "--timezone", WARD_ZONE, "--who", "lead", "--keep-going"]) == 2
    captured = capsys.readouterr()
    assert "import 2 (imported)" in captured.out
    assert "those rows were not written" in captured.err


def test_evaluating_an_empty_store_says_what_to_do(database, capsys):
    if database.startswith("sqlite"):  # the default store is made on first start
        assert main(["evaluate"]) == 2
        assert "holds no patient" in capsys.readouterr().err
    else:  # a hospital's database is migrated on purpose, never by a read
        assert main(["evaluate"]) == 2
        assert "db upgrade" in capsys.readouterr().err
        assert main(["db", "upgrade"]) == 0
        assert main(["evaluate"]) == 2
        assert "holds no patient" in capsys.readouterr().err


def test_a_store_of_a_newer_monitor_is_refused(database, capsys):
    assert main(["db", "upgrade"]) == 0
    engine = sa.create_engine(database.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    capsys.readouterr()
    assert main(["evaluate"]) == 2
    assert "newer monitor" in capsys.readouterr().err
    assert main(["db", "upgrade"]) == 2


def test_export_observations_writes_every_reading_with_its_origin(database, tmp_path, capsys):
    import csv
    from datetime import UTC, datetime

    from dashboard.loading import load_ward
    from dashboard.store import add_bedside_entry

    assert main(["db", "upgrade"]) == 0
    assert main(["import", str(FIXTURES / "good" / "three_csv"), "--timezone", WARD_ZONE]) == 0
    store = open_store(database)
    try:
        add_bedside_entry(
            store,
            patient_id="P001",
            time=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
            values={"sbp": ("101", "mmHg")},
            who="nurse.b",
        )
    finally:
        store.dispose()
    out = tmp_path / "readings.csv"
    assert main(["db", "export-observations", str(out)]) == 0
    with out.open(encoding="utf-8") as written:
        rows = list(csv.DictReader(written))
    loaded = load_ward(FIXTURES / "good" / "three_csv", WARD_ZONE).observations
    assert len(rows) == len(loaded) + 1  # every reading of the file (a duplicate merged), the entry
    assert rows[0] == {
        "patient_id": "P001",
        "time": "2026-03-02T12:40:00.000000+00:00",
        "parameter": "sbp",
        "value": "118.0",
        "unit": "mm[Hg]",
        "recorded_value": "118",
        "recorded_unit": "mmHg",
        "source": "observations.csv",
        "source_row": "2",
        "import_id": "1",
        "entered_by": "",
    }
    assert rows[1]["parameter"] == "mental_status" and rows[1]["value"] == "normal"
    assert (rows[-1]["value"], rows[-1]["entered_by"], rows[-1]["import_id"]) == (
        "101.0",
        "nurse.b",
        "",
    )
    # Text from a form reaches the CSV as text, never as a spreadsheet formula.
    store = open_store(database)
    try:
        add_bedside_entry(
            store,
            patient_id="P001",
            time=datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
            values={"sbp": ("99", "mmHg")},
            who='=HYPERLINK("http://x")',
        )
    finally:
        store.dispose()
    assert main(["db", "export-observations", str(out)]) == 0
    with out.open(encoding="utf-8") as written:
        last = list(csv.DictReader(written))[-1]
    assert last["entered_by"] == '\'=HYPERLINK("http://x")'
    assert last["source"] == 'bedside entry by =HYPERLINK("http://x")'  # not a formula
    assert main(["db", "export-observations", str(tmp_path / "no" / "such" / "x.csv")]) == 2
    assert "cannot be written" in capsys.readouterr().err
