"""Shared test settings."""

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
WARD_ZONE = "America/New_York"  # the fixtures' ward: naive times in them are New York time


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def access_log_in_tmp(tmp_path, monkeypatch) -> Path:
    """Every test writes the access log (IL2_ACCESS_LOG) into its own folder, never the
    repository's logs/."""
    path = tmp_path / "access.jsonl"
    monkeypatch.setenv("IL2_ACCESS_LOG", str(path))
    return path
