"""The settings table (dashboard/settings.py) is the one place settings are declared and
read, and docs/settings.md documents exactly it (like datasette's tests/test_docs.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard import DEMO_DIR, settings
from dashboard.errors import MonitorUserError

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
VARIABLE = re.compile(r"\bIL2_[A-Z_]+\b")


def test_every_setting_has_a_name_a_variable_a_default_and_help():
    assert settings.SETTINGS
    for entry in settings.SETTINGS:
        assert entry.name and entry.help and entry.default_text
        assert entry.environment.startswith("IL2_")
        assert isinstance(entry.default(), str)
    assert len({s.environment for s in settings.SETTINGS}) == len(settings.SETTINGS)


def test_the_documented_table_is_the_settings_table():
    assert settings.settings_table() in DOCS


def test_every_documented_variable_is_a_setting_and_every_setting_is_documented():
    declared = {s.environment for s in settings.SETTINGS}
    assert set(VARIABLE.findall(DOCS)) == declared
    assert set(VARIABLE.findall(README)) <= declared  # the README names no ghost setting
    assert "docs/settings.md" in README


def test_the_environment_is_read_in_the_settings_module_only():
    readers = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "dashboard").rglob("*.py")
        if re.search(r"os\.environ|getenv", path.read_text(encoding="utf-8"))
    ]
    assert readers == ["dashboard/settings.py"]


def test_a_setting_comes_from_the_environment_else_its_default():
    assert settings.value("ward_timezone", {"IL2_WARD_TIMEZONE": "Europe/Paris"}) == (
        "Europe/Paris"
    )
    assert settings.value("data_source", {}) == str(DEMO_DIR)
    assert settings.value("data_source", {"IL2_DATA_SOURCE": "  "}) == str(DEMO_DIR)
    assert settings.configured("data_source", {"IL2_DATA_SOURCE": " /ward "}) == "/ward"


def test_a_bad_time_zone_setting_is_a_user_error_naming_it():
    with pytest.raises(MonitorUserError, match="'Mars/Olympus' is not a time zone name"):
        settings.value("ward_timezone", {"IL2_WARD_TIMEZONE": "Mars/Olympus"})


def test_a_child_process_gets_the_settings_under_their_variables(monkeypatch):
    monkeypatch.delenv("IL2_DATA_SOURCE", raising=False)
    env = settings.child_environment(data_source="/ward", ward_timezone=None)
    assert env["IL2_DATA_SOURCE"] == "/ward"
    with pytest.raises(MonitorUserError):
        settings.child_environment(ward_timezone="Nowhere/Else")


def test_each_command_line_concept_is_declared_once():
    """The time-zone option and the exit codes: one declaration, in dashboard/cli_options.py."""
    sources = {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in (ROOT / "dashboard").rglob("*.py")
    }
    for declaration in ('"--timezone"', "EXIT_OK =", "EXIT_BAD_INPUT ="):
        assert [name for name, text in sources.items() if declaration in text] == [
            "dashboard/cli_options.py"
        ], declaration
