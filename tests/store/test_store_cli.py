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
