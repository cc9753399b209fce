"""The protocol page shows the resolved protocol: where each criterion comes from, and the
interpretation that combines two sources (criteria.md section 6), above the criteria."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard.protocols import load_protocol

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def _protocol_page(shown: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()  # the entry point (st.navigation) first, as a user arrives
    at.switch_page("screens/protocol.py").run()
    at.selectbox(key="protocol_show_").set_value(shown).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _criteria(at: AppTest):
    return next(frame.value for frame in at.dataframe if "Origin" in frame.value.columns)


def test_til_page_says_it_extends_the_label_and_that_this_is_an_interpretation():
    at = _protocol_page("til-2024")
    til = load_protocol("til-2024")
    # As rendered: the page escapes the file's words (a site's file is text, not markup).
    warnings = [re.sub(r"\\(.)", r"\1", w.value) for w in at.warning]
    assert f"INTERPRETATION (extends proleukin-label): {til.extends.interpretation}" in warnings
    captions = " ".join(re.sub(r"\\(.)", r"\1", c.value) for c in at.caption)  # as rendered
    assert "Extends Proleukin (aldesleukin) prescribing information" in captions
    table = _criteria(at)
    assert len(table) == len(til.criteria)
    origins = dict(zip(table["Criterion"], table["Origin"], strict=True))
    assert (
        origins["Atrial fibrillation, SVT or bradycardia requiring treatment (arrhythmia)"]
        == "proleukin-label 2024.1"
    )
    assert (
        origins["Creatinine rising (KDIGO acute kidney injury) (creatinine_rising)"]
        == "common/kdigo-watch"
    )


def test_label_page_names_the_shared_watch_file():
    at = _protocol_page("proleukin-label")
    assert not any(w.value.startswith("INTERPRETATION (extends") for w in at.warning)
    assert set(_criteria(at)["Origin"]) == {"proleukin-label 2024.1", "common/kdigo-watch"}
