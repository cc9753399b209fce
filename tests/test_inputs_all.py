"""Every shipped input loads, every bad fixture is refused cleanly (foundation issue)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import DATA_DIR
from dashboard.cli import main
from tests.conftest import FIXTURES, WARD_ZONE

DEMO = DATA_DIR / "demo"
GOOD_INPUTS = [
    DEMO,
    *sorted((DEMO / "single-patient").iterdir()),
    *sorted((FIXTURES / "good").iterdir()),
]
BAD_INPUTS = sorted((FIXTURES / "bad").iterdir())


def _name(path: Path) -> str:
    return str(path.relative_to(path.parents[1]))


@pytest.mark.parametrize("path", GOOD_INPUTS, ids=_name)
def test_every_demo_file_and_good_fixture_loads(path, capsys):
    assert main(["check", str(path), "--timezone", WARD_ZONE]) == 0
    assert "patients" in capsys.readouterr().out


@pytest.mark.parametrize("path", BAD_INPUTS, ids=_name)
def test_every_bad_fixture_is_refused_with_exit_2_and_no_traceback(path, capsys):
    assert main(["check", str(path), "--timezone", WARD_ZONE]) == 2
    err = capsys.readouterr().err
    assert err.strip(), "a refusal must say why"
    assert "Traceback" not in err


def test_there_are_bad_fixtures_of_every_shape():
    names = [p.name for p in BAD_INPUTS]
    for prefix in ("csv_", "sheet_", "fhir_", "workbook_"):
        assert any(n.startswith(prefix) for n in names), prefix
