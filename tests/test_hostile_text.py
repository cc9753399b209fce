"""Nothing from the data or the address is markup (issue 12, item 3), screen by screen: a
ward whose name, bed, ids and a held dose's reason are hostile markup shows them as
literal text in markdown, HTML, tables, selectboxes and chart hovers and annotations; the
ward's links encode ids with '#' and '&'."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.ui.common import plain
from tests.hostile_ward import AMPERSAND_ID, HOSTILE, HOSTILE_BED, HOSTILE_ID, write_hostile_ward

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
#: Markup as a markdown renderer (Streamlit's, with its :color[] and $maths$) would take it:
#: any of these, not preceded by a backslash, would render; a bare http:// becomes a link.
LIVE_MARKDOWN = re.compile(r"(?<!\\)(\*\*bold|<img|\$x\$|\[x\]\(|:red\[|https?(?=\\?://))")
LIVE_HTML = re.compile(r"<img|<a\b", re.IGNORECASE)


@pytest.fixture
def hostile(tmp_path, monkeypatch) -> dict:
    folder = write_hostile_ward(tmp_path / "ward")
    monkeypatch.setenv("IL2_DATA_ROOT", str(folder))
    monkeypatch.setenv("IL2_NO_LOGIN", "1")
    monkeypatch.setenv("IL2_DATA_SOURCE", str(folder))
    return {"timezone": "UTC", "folder": str(folder)}


def _app(state: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["timezone"] = state["timezone"]
    return at


def _markdown_bodies(at: AppTest) -> list[str]:
    elements = [*at.markdown, *at.caption, *at.header, *at.subheader, *at.error, *at.warning]
    elements += [*at.info, *at.success]
    return [str(e.value) for e in elements]


def _plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def assert_nothing_rendered(at: AppTest) -> None:
    """No element of the run renders the hostile text as markup."""
    assert not at.exception, [e.value for e in at.exception]
    for body in _markdown_bodies(at):
        assert not LIVE_MARKDOWN.search(body), body
    for element in at.html:
        assert not LIVE_HTML.search(element.proto.body.replace('data-testid="dose-card"', ""))
    for spec in _plotly_specs(at):
        # Plotly renders <a>, <b>, <br> ... in hovers, texts and annotations.
        for text in _strings(spec):
            assert not LIVE_HTML.search(text), text


def _literal_markdown_shown(at: AppTest, text: str) -> bool:
    escaped = plain(text)
    return any(escaped in body for body in _markdown_bodies(at))


def test_the_ward_shows_hostile_names_beds_and_reasons_as_text(hostile):
    at = _app(hostile)
    at.run()
    assert_nothing_rendered(at)
    table = next(f.value for f in at.dataframe if "Patient" in f.value.columns)
    assert any(HOSTILE in str(cell) for cell in table["Patient"])  # the literal text
    assert HOSTILE_BED in list(table["Bed"])
    picker = at.selectbox(key="ward_open_choice")
    assert any(HOSTILE in label for label in picker.options)


def test_the_ward_link_encodes_ids_so_each_opens_its_own_patient(hostile):
    at = _app(hostile)
    at.run()
    at.toggle(key="ward_more_columns").set_value(True).run()
    table = next(f.value for f in at.dataframe if "Open" in f.value.columns)
    for pid, link in zip(table["patient_id"], table["Open"], strict=True):
        assert "#" not in link and "&" not in link, link
        assert parse_qs(urlsplit(link).query)["patient"] == [pid]
    assert set(table["patient_id"]) == {HOSTILE_ID, AMPERSAND_ID}


@pytest.mark.parametrize("pid", [HOSTILE_ID, AMPERSAND_ID])
def test_the_patient_page_shows_hostile_text_as_text(hostile, pid):
    at = _app(hostile)
    at.run()
    at.switch_page("screens/patient.py")
    at.query_params["patient"] = pid
    at.run()
    assert_nothing_rendered(at)
    assert at.session_state["patient"] == pid
    if pid == HOSTILE_ID:
        assert _literal_markdown_shown(at, HOSTILE)  # the heading, escaped
        specs = _plotly_specs(at)
        assert specs
        hover = "\n".join(s for spec in specs for s in _strings(spec))
        assert "&lt;img src=http://127.0.0.1:9/x&gt;" in hover  # the reason, as text


def test_a_hostile_patient_address_is_shown_as_text(hostile):
    at = _app(hostile)
    at.run()
    at.switch_page("screens/patient.py")
    at.query_params["patient"] = HOSTILE
    at.run()
    assert_nothing_rendered(at)
    assert _literal_markdown_shown(at, HOSTILE[:80])


@pytest.mark.parametrize("page", ["screens/protocol.py", "screens/settings.py"])
def test_the_protocol_and_settings_pages_show_hostile_text_as_text(hostile, page):
    at = _app(hostile)
    at.run()
    at.switch_page(page).run()
    assert_nothing_rendered(at)


def test_the_import_preview_shows_hostile_text_as_text(hostile):
    at = _app(hostile)
    at.run()
    at.switch_page("screens/importing.py").run()
    at.text_input(key="import_path").input(hostile["folder"])
    at.button(key="import_check_path").click().run()
    assert_nothing_rendered(at)
    names = [str(v) for f in at.dataframe for col in f.value.columns for v in f.value[col]]
    assert HOSTILE in names
