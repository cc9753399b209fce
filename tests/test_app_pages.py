"""The app, page by page, with Streamlit's AppTest (no browser): every page runs, and
what a nurse does works: open a patient from the ward, paste a link, switch protocol,
upload a bad file, see a patient with missing data as incomplete."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.errors import DataValidationError
from dashboard.loading import load_ward
from dashboard.views.statuses import STATUS_LOOKS
from tests.app_wards import write_ward

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
FIXTURES = Path(__file__).parent / "fixtures"
PAGES = [
    "screens/ward.py",
    "screens/patient.py",
    "screens/importing.py",
    "screens/protocol.py",
    "screens/settings.py",
]
SUPPORT = "supports the clinical decision"


def _app(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [h.proto.body for h in at.html]
    parts += [e.value for e in at.error] + [w.value for w in at.warning]
    # Headings are markdown: a backslash escape shows its character alone ("\\(" as "(").
    parts += [re.sub(r"\\(.)", r"\1", str(h.value)) for h in [*at.header, *at.subheader]]
    return "\n".join(str(p) for p in parts)


def _goto(at: AppTest, page: str) -> AppTest:
    """Switch page the way a user does: the entry point (st.navigation) has run first."""
    at.run()  # without app.py's st.navigation first, AppTest would run the page alone
    return at.switch_page(page)


def _table(at: AppTest, column: str):
    """The first table that has ``column`` (AppTest finds keys only on selectable tables)."""
    for frame in at.dataframe:
        value = frame.value
        if column in value.columns:
            return value
    raise AssertionError(f"no table with a column {column!r}")


def _card(at: AppTest) -> str:
    return next(h.proto.body for h in at.html if 'data-testid="dose-card"' in h.proto.body)


def _no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture
def small_ward(tmp_path, monkeypatch) -> dict:
    """The app on a small ward of two patients, as a site starts it: IL2_DATA_SOURCE names
    the files (imported into the test's own record), and --no-login on purpose."""
    folder = write_ward(tmp_path / "ward")
    monkeypatch.setenv("IL2_DATA_SOURCE", str(folder))
    monkeypatch.setenv("IL2_NO_LOGIN", "1")
    return {"timezone": "UTC"}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_demo_ward(page):
    at = _app()
    at.run()
    if page != "screens/ward.py":
        at.switch_page(page).run()
    _no_exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert SUPPORT in _texts(at)


def test_ward_lists_every_demo_patient_most_severe_first():
    at = _app()
    at.run()
    _no_exceptions(at)
    table = at.dataframe(key="ward_table").value
    assert len(table) == 9
    # The words of criteria.md 9.1 and 9.2: a clear verdict with an early warning sorts
    # above a plain clear.
    ranks = [
        "DISCONTINUED",
        "CYCLE STOPPED",
        "CYCLE COMPLETE",
        "HOLD",
        "INCOMPLETE",
        "CLEAR · WATCH",
        "CLEAR",
        "NO DOSE DUE",
    ]
    ended = {STATUS_LOOKS["discontinue"].icon: 0, STATUS_LOOKS["stop_cycle"].icon: 1}

    def rank(status: str, reasons: str) -> int:
        # No dose due, but a course or cycle ended by a criterion: sorts with that outcome.
        if "NO DOSE DUE" in status and reasons[:1] in ended:
            return ended[reasons[:1]]
        return next(i for i, word in enumerate(ranks) if word in status)

    order = [rank(s, r) for s, r in zip(table["Status"], table["Reasons"], strict=True)]
    assert order == sorted(order)
    assert order[0] == 0  # the demo's sustained-VT patient, whose course was stopped
    assert "Data as of" in _texts(at)


def test_opening_a_patient_from_the_ward(small_ward):
    at = _app(**small_ward)
    at.run()
    at.selectbox(key="ward_open_choice").set_value("P2").run()
    _no_exceptions(at)
    assert at.query_params["patient"] in ("P2", ["P2"])
    assert "Test, Well (P2)" in _texts(at)
    assert "dose 3 (C1) due" in _texts(at)


def test_selecting_a_ward_row_opens_that_patient(small_ward):
    at = _app(**small_ward)
    at.run()
    table = at.dataframe(key="ward_table").value
    row = list(table["patient_id"]).index("P1")
    at.session_state["ward_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    _no_exceptions(at)
    assert "Test, Missing (P1)" in _texts(at)


def test_a_pasted_deep_link_opens_the_patient(small_ward):
    at = _app(**small_ward)
    at.query_params["patient"] = "P2"
    at.run()  # the link points at the app's root: the ward page forwards it
    _no_exceptions(at)
    assert "Test, Well (P2)" in _texts(at)
    assert "CLEAR" in _texts(at) or "HOLD" in _texts(at) or "INCOMPLETE" in _texts(at)


def test_a_deep_link_to_an_unknown_patient_says_so(small_ward):
    at = _app(**small_ward)
    at.query_params["patient"] = "NOPE"
    _goto(at, "screens/patient.py").run()
    _no_exceptions(at)
    assert "There is no patient 'NOPE'" in _texts(at)


def test_missing_data_reads_incomplete_with_the_parameter_named(small_ward):
    at = _app(**small_ward)
    at.query_params["patient"] = "P1"
    _goto(at, "screens/patient.py").run()
    _no_exceptions(at)
    card = _card(at)
    assert "INCOMPLETE</span> dose 3 (C1) due" in card
    assert "CLEAR" not in card
    text = _texts(at)
    assert "no mental status in the last 4 h" in text  # words, not the code (9.6)
    ward = _app(**small_ward)
    ward.run()
    table = ward.dataframe(key="ward_table").value.set_index("patient_id")
    assert "INCOMPLETE" in table.loc["P1", "Status"]
    assert "mental status" in table.loc["P1", "Reasons"]  # words, not the code (9.6)


def test_switching_the_ward_protocol(small_ward):
    at = _app(**small_ward)
    _goto(at, "screens/protocol.py").run()
    at.selectbox(key="protocol_ward_choice").set_value("cwg-consensus-2014").run()
    _no_exceptions(at)
    assert at.session_state["ward_protocol"] == "cwg-consensus-2014"
    assert "Dutcher" in " ".join(_table(at, "Reviewed by")["Source"])
    _goto(at, "screens/ward.py").run()
    table = at.dataframe(key="ward_table").value
    assert set(table["Protocol"]) == {"cwg-consensus-2014"}


def test_a_per_patient_override_changes_only_that_patient(small_ward):
    at = _app(**small_ward)
    _goto(at, "screens/protocol.py").run()
    at.selectbox(key="protocol_override_patient").set_value("P2")
    at.selectbox(key="protocol_override_choice").set_value("til-2024")
    at.button(key="protocol_override_apply").click().run()
    _no_exceptions(at)
    assert at.session_state["protocol_overrides"] == {"P2": "til-2024"}
    _goto(at, "screens/ward.py").run()
    table = at.dataframe(key="ward_table").value.set_index("patient_id")
    assert table.loc["P2", "Protocol"] == "til-2024"
    assert table.loc["P1", "Protocol"] == "proleukin-label"


def test_comparing_two_protocols_on_a_course(small_ward):
    at = _app(**small_ward)
    _goto(at, "screens/protocol.py").run()
    at.selectbox(key="compare_patient").set_value("P1")
    at.selectbox(key="compare_a").set_value("proleukin-label")
    at.selectbox(key="compare_b").set_value("cwg-consensus-2014").run()
    _no_exceptions(at)
    table = _table(at, "Differ")
    assert list(table["Dose"]) == ["C1 D1", "C1 D2", "C1 D3"]
    assert {"A: proleukin-label", "B: cwg-consensus-2014"} <= set(table.columns)


def test_a_bad_upload_lists_every_problem_and_loads_nothing():
    folder = FIXTURES / "bad" / "csv_out_of_range"
    with pytest.raises(DataValidationError) as expected:
        load_ward(folder, "America/New_York")
    at = _app(timezone="America/New_York")
    _goto(at, "screens/importing.py").run()
    at.file_uploader(key="import_files").set_value(
        [(p.name, p.read_bytes(), "text/csv") for p in sorted(folder.glob("*.csv"))]
    ).run()
    _no_exceptions(at)
    problems = _table(at, "Reason")
    assert len(problems) == len(expected.value.problems) >= 1
    assert list(problems.columns) == ["File", "Row", "Column", "Reason"]
    assert "Nothing was loaded" in _texts(at)
    assert not [b for b in at.button if b.key == "import_use"]


def test_going_on_with_a_bad_upload_lists_the_refused_rows(monkeypatch):
    folder = FIXTURES / "bad" / "csv_out_of_range"
    monkeypatch.setenv("IL2_NO_LOGIN", "1")  # the import turns the demo into real data
    at = _app(timezone="America/New_York")
    _goto(at, "screens/importing.py").run()
    at.file_uploader(key="import_files").set_value(
        [(p.name, p.read_bytes(), "text/csv") for p in sorted(folder.glob("*.csv"))]
    ).run()
    at.checkbox(key="import_go_on_box").check().run()
    _no_exceptions(at)
    refused = len(at.dataframe[-1].value)
    assert refused >= 1
    at.button(key="import_use").click().run()
    _no_exceptions(at)
    (done,) = [s.value for s in at.success]
    assert "(imported)" in done and "refused" in done
    # The report of the import keeps the refused rows with their reasons.
    reports = [m.value for m in at.markdown if m.value.startswith("**Import ")]
    assert len(reports) == 1 and reports[0].startswith("**Import 1**, imported")
    assert len(_table(at, "Reason")) == refused  # the only table left: the report


def test_a_good_folder_shows_a_preview_then_is_imported_for_every_session(tmp_path, monkeypatch):
    folder = write_ward(tmp_path / "ward")
    monkeypatch.setenv("IL2_DATA_ROOT", str(folder.parent))  # the server's data folder
    monkeypatch.setenv("IL2_NO_LOGIN", "1")  # real data without sign-in: on purpose only
    at = _app()
    _goto(at, "screens/importing.py").run()
    at.text_input(key="import_path").input(str(folder))
    at.button(key="import_check_path").click().run()
    _no_exceptions(at)
    assert len(_table(at, "observations")) == 2
    at.button(key="import_use").click().run()
    _no_exceptions(at)
    assert "import 1 (imported)" in at.success[0].value
    # A new session (a reload, a pasted link, another nurse) sees the imported ward.
    other = _app()
    other.run()
    _no_exceptions(other)
    patients = other.dataframe(key="ward_table").value["Patient"]
    assert sorted(patients) == ["Test, Missing (P1)", "Test, Well (P2)"]
    assert "The ward's record" in "\n".join(c.value for c in other.sidebar.caption)


def test_settings_change_zone_and_refresh(small_ward):
    at = _app(**small_ward)
    _goto(at, "screens/settings.py").run()
    at.selectbox(key="settings_zone").set_value("Europe/Paris").run()
    at.number_input(key="settings_refresh").set_value(0).run()
    _no_exceptions(at)
    assert at.session_state["timezone"] == "Europe/Paris"
    assert at.session_state["refresh_seconds"] == 0
    _goto(at, "screens/ward.py").run()
    assert "automatic refresh is off" in _texts(at)
    assert "Europe/Paris" in _texts(at)


def test_an_unreadable_source_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("IL2_DATA_SOURCE", str(tmp_path / "missing"))
    monkeypatch.setenv("IL2_NO_LOGIN", "1")
    at = _app(timezone="UTC")
    at.run()
    _no_exceptions(at)
    assert "does not exist" in _texts(at)


def test_the_sidebar_shows_a_folder_name_literally(tmp_path, monkeypatch):
    # Markdown would turn my_ward_data into "my<em>ward</em>data".
    monkeypatch.setenv("IL2_DATABASE_PATH", str(tmp_path / "my_ward_data" / "ward.sqlite3"))
    monkeypatch.setenv("IL2_DATA_SOURCE", str(write_ward(tmp_path / "ward")))
    monkeypatch.setenv("IL2_NO_LOGIN", "1")
    at = _app(timezone="UTC")
    at.run()
    _no_exceptions(at)
    sidebar = "\n".join(c.value for c in at.sidebar.caption)
    assert "my\\_ward\\_data" in sidebar
    assert "Ward time zone: UTC" in sidebar


def test_patient_page_decision_trends_then_tabs(small_ward, tmp_path):
    at = _app(**small_ward)
    at.query_params["patient"] = "P1"
    _goto(at, "screens/patient.py").run()
    _no_exceptions(at)
    # The decision panels are under the card, not in a tab; the timeline tab is open.
    (decision,) = at.get("plotly_chart")
    assert '"uirevision":"P1|decision"' in decision.proto.spec.replace(" ", "")
    assert any('data-testid="course-grid"' in h.proto.body for h in at.html)
    at.session_state["patient_tabs"] = "Checklist: every criterion"
    at.run()
    _no_exceptions(at)
    checklist = _table(at, "Values checked")
    mental = checklist[checklist["Criterion"].str.contains("(mental_status)", regex=False)]
    assert "INCOMPLETE" in mental["State"].iloc[0]
    assert len(checklist) == 1 + len(
        __import__("dashboard.protocols", fromlist=["x"]).load_protocol("proleukin-label").criteria
    )
    at.session_state["patient_tabs"] = "More trends: breathing, heart, temperature, weight, labs"
    at.run()
    _no_exceptions(at)
    assert len(at.get("plotly_chart")) == 2
    at.session_state["patient_tabs"] = "Trend values as a table"
    at.run()
    _no_exceptions(at)
    values = _table(at, "Meets")
    assert {"Time", "Parameter", "Value", "Unit"} <= set(values.columns) and len(values)
    at.session_state["patient_tabs"] = "Course timeline: dose × criterion"
    at.run()
    _no_exceptions(at)
    grid = next(h.proto.body for h in at.html if 'data-testid="course-grid"' in h.proto.body)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", grid)
    doses = [re.sub(r"<[^>]+>", "|", r).strip("|").split("|")[0] for r in rows[1:]]
    now = next(i for i, d in enumerate(doses) if d.startswith("▶ now"))
    assert [d for d in doses if d.startswith("C1")] == ["C1 D1", "C1 D2", "C1 D3"]
    # After now: as scheduled, never a predicted verdict.
    for row in rows[1 + now + 1 :]:
        assert "not yet" in row and "HOLD" not in row and "INCOMPLETE" not in row
    assert "<th>Dose</th>" in grid and "<th>Assessed then</th>" in grid


def test_a_time_zone_chosen_in_settings_changes_every_time_shown():
    at = _app()
    at.query_params["patient"] = "DEMO-01"
    _goto(at, "screens/patient.py").run()
    _no_exceptions(at)
    assert "(America/New_York)" in _card(at)
    before = _card(at)
    _goto(at, "screens/settings.py").run()
    at.selectbox(key="settings_zone").set_value("Asia/Tokyo").run()
    at.query_params["patient"] = "DEMO-01"
    at.switch_page("screens/patient.py").run()
    _no_exceptions(at)
    card = _card(at)
    assert "(Asia/Tokyo)" in card and "America/New_York" not in card
    # "due 23:00", or with the day when the dose is not due today ("due Wed 2 Dec 00:00")
    found = re.search(r"due ((?:\w{3} \d{1,2} \w{3} )?\d\d:\d\d)", before)
    assert found, before
    due = found.group(1)
    assert f"due {due}" not in card  # the due time itself moved 14 hours
    (chart,) = at.get("plotly_chart")
    assert "ward time, Asia/Tokyo" in json.loads(chart.proto.spec)["layout"].__repr__()
    at.session_state["patient_tabs"] = "Course timeline: dose × criterion"
    at.run()
    grid = next(h.proto.body for h in at.html if 'data-testid="course-grid"' in h.proto.body)
    assert "▶ now" in grid
    _goto(at, "screens/ward.py").run()
    assert "(Asia/Tokyo)" in _texts(at)


def _demo_patient(patient_id: str) -> AppTest:
    at = _app()
    at.query_params["patient"] = patient_id
    at = _goto(at, "screens/patient.py")
    at.run()
    _no_exceptions(at)
    return at


def test_demo_02_on_a_pressor_is_clear_with_watch_and_says_so_on_the_ward():
    at = _app()
    at.run()
    _no_exceptions(at)
    table = at.dataframe(key="ward_table").value.set_index("patient_id")
    row = table.loc["DEMO-02"]
    assert "CLEAR · WATCH" in row["Status"]
    assert "KDIGO stage 2" in row["Reasons"]
    assert "phenylephrine 1.50 µg/kg/min" in row["Support"]
    assert "KDIGO stage 2" in row["Support"]
    assert "cwg-consensus-2014 would say CYCLE STOPPED" in row["Stricter elsewhere"]
    # he sorts above the patient who only has an early warning, below holds/incomplete
    order = list(table.index)
    assert order.index("DEMO-05") < order.index("DEMO-02") < order.index("DEMO-09")


def test_demo_02_card_shows_watch_pressor_stage_and_the_consensus_note():
    card = _card(_demo_patient("DEMO-02"))
    assert "CLEAR · WATCH" in card
    assert "Watch:" in card and "creatinine KDIGO stage 2" in card
    assert "phenylephrine 1.50 µg/kg/min" in card
    assert "cwg-consensus-2014 would say CYCLE STOPPED: Phenylephrine requirement" in card
    assert "<details" not in card  # nothing folded away


def test_demo_04_is_discontinued_on_the_ward_and_the_card():
    at = _app()
    at.run()
    table = at.dataframe(key="ward_table").value.set_index("patient_id")
    assert "DISCONTINUED" in table.loc["DEMO-04", "Status"]
    card = _card(_demo_patient("DEMO-04"))
    assert "DISCONTINUED" in card and "no further IL-2 this course" in card
    assert "sustained VT" in card and "NO DOSE DUE" not in card


def test_a_name_or_an_address_is_shown_as_text_never_as_markdown(small_ward, tmp_path):
    # A crafted ?patient= and a name with markdown must not render bold text or a link.
    hostile = "**URGENT** [new protocol](http://evil.example)"
    at = _app(**small_ward)
    at.query_params["patient"] = hostile
    _goto(at, "screens/patient.py").run()
    _no_exceptions(at)
    error = at.error[0].value
    # (plain() puts an invisible word joiner after "http": a bare address is no link)
    assert r"\*\*URGENT\*\* \[new protocol\]\(http" "\u2060" r"://evil.example\)" in error
    patients = tmp_path / "ward" / "patients.csv"  # the ward's files change: imported again
    patients.write_text(patients.read_text().replace('"Test, Well"', '"**Well** [x](http://e.x)"'))
    at = _app(**small_ward)
    at.query_params["patient"] = "P2"
    _goto(at, "screens/patient.py").run()
    _no_exceptions(at)
    assert any(r"\*\*Well\*\* \[x\]\(http" "\u2060" r"://e.x\)" in s.value for s in at.subheader)


def test_an_error_quoting_a_cell_shows_it_as_text(small_ward, tmp_path):
    # A refused value is quoted in the message: it must not render as markdown.
    folder = tmp_path / "ward"
    with open(folder / "observations.csv", "a", encoding="utf-8") as handle:
        handle.write("P1,2026-03-02T08:00:00+00:00,sbp,**999** [x](http://e.x),mmHg\n")
    at = _app(**small_ward)
    at.run()
    _no_exceptions(at)
    # The feed's valid rows are shown; the refused row is said on every page...
    (notice,) = [e.value for e in at.error if "IL2\\_DATA\\_SOURCE" in e.value]
    assert "1 row\\(s\\) refused and not imported" in notice
    assert len(at.dataframe(key="ward_table").value) == 2
    # ...and its reason, quoting the cell, is in the import's report: a table cell (text).
    at.switch_page("screens/importing.py").run()
    _no_exceptions(at)
    reasons = [str(v) for f in at.dataframe if "Reason" in f.value for v in f.value["Reason"]]
    assert any("**999** [x](http://e.x)" in reason for reason in reasons), reasons


def test_a_path_outside_the_data_root_is_refused_without_saying_what_is_there(
    small_ward, monkeypatch, tmp_path
):
    folder = tmp_path / "ward"
    monkeypatch.setenv("IL2_DATA_ROOT", str(folder))
    monkeypatch.setenv("IL2_NO_LOGIN", "1")  # real data without sign-in: on purpose only
    (folder / "escape").symlink_to("/etc")  # a link inside the root that leaves it
    for typed in ("/etc", "../../..", "escape", "/no/such/place"):
        at = _app()
        _goto(at, "screens/importing.py").run()
        at.text_input(key="import_path").input(typed)
        at.button(key="import_check_path").click().run()
        _no_exceptions(at)
        (error,) = [e.value for e in at.error]
        assert "is not under the data folder this server may read" in error
        assert "passwd" not in error and "does not exist" not in error
