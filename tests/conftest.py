"""Shared test settings."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis profiles. "ci": bounded and derandomised, so a CI run is repeatable and its
# time known; no example database (a fresh clone has none to replay). "dev": three times
# the examples, random, with the database (.hypothesis/), so a developer's runs keep
# exploring and replay any failure found. HYPOTHESIS_PROFILE picks one; otherwise CI=true
# (as CI runs .ci/run) means "ci", anything else "dev". No deadline in either: an engine
# run's time on a shared 2-core machine is not what these tests check. A test's own
# settings never fix an example count, so the profile decides (the cheap reader fuzz asks
# for a multiple of it).
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=20, derandomize=True, database=None, **_COMMON)
settings.register_profile("dev", max_examples=60, **_COMMON)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (
    "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
)
settings.load_profile(HYPOTHESIS_PROFILE)

FIXTURES = Path(__file__).parent / "fixtures"
WARD_ZONE = "America/New_York"  # the fixtures' ward: naive times in them are New York time


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def demo_records(tmp_path_factory) -> Path:
    """One folder of demo records for the whole run: seeding the demo's record costs a
    second, and no test records on the demo (they record on wards of their own)."""
    return tmp_path_factory.mktemp("demo-records")


@pytest.fixture(autouse=True)
def ward_record_in_tmp(tmp_path, monkeypatch, demo_records) -> Path:
    """Every test has a ward's record of its own (IL2_DATABASE_PATH, empty: the app shows
    the demo until something is imported) and never touches the user's data folder."""
    path = tmp_path / "ward.sqlite3"
    monkeypatch.setenv("IL2_DATABASE_PATH", str(path))
    monkeypatch.setenv("IL2_DEMO_DATABASE_DIR", str(demo_records))
    monkeypatch.delenv("IL2_DATABASE_URL", raising=False)
    return path
