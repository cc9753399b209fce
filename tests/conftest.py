"""Shared test settings."""

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
WARD_ZONE = "America/New_York"  # the fixtures' ward: naive times in them are New York time


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
