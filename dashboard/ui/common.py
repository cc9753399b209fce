"""Pieces every page shows: the clinical-judgement note, the sidebar, status badges."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from dashboard.errors import MonitorUserError
from dashboard.ui import state
from dashboard.ui.data import LoadedWard
from dashboard.views.clock import format_clock
from dashboard.views.dose_card import SUPPORT_NOTE
from dashboard.views.statuses import STATUS_LOOKS, Look, cell_style, finding_look, status_look

#: Where each page lives (for st.switch_page and links).
WARD_PAGE = "screens/ward.py"
PATIENT_PAGE = "screens/patient.py"
IMPORT_PAGE = "screens/importing.py"
PROTOCOL_PAGE = "screens/protocol.py"
SETTINGS_PAGE = "screens/settings.py"


def ward_and_sidebar() -> tuple[LoadedWard | None, MonitorUserError | None]:
    """The current ward with the sidebar drawn for it, or the user error that kept it from
    loading (the sidebar then says there is no data); each page says the error its way."""
    try:
        loaded = state.current()
    except MonitorUserError as error:
        sidebar(None, None)
        return None, error
    sidebar(loaded, None)
    return loaded, None


def support_note() -> None:
    """Shown on every page (the monitor supports the decision; it never makes it)."""
    st.caption(f":material/info: {SUPPORT_NOTE}")


def badge_html(look: Look, text: str, size: str = "1rem") -> str:
    return (f'<span style="background:{look.colour};color:{look.ink};padding:0.15em 0.5em;'
            f'border-radius:0.3em;font-weight:700;font-size:{size};'
            f'border:1px solid #00000055">{html.escape(look.icon)} {html.escape(text)}</span>')


def status_badge(status: str, size: str = "1rem") -> str:
    look = status_look(status)
    return badge_html(look, look.word, size)


def sidebar(loaded: LoadedWard | None, at: pd.Timestamp | None) -> None:
    with st.sidebar:
        st.markdown("**Data**")
        if loaded is not None:
            st.caption(loaded.label)
            counts = loaded.ward.counts()
            st.caption(f"{counts['patients']} patients · {counts['doses']} doses · "
                       f"{counts['observations']:,} observations")
        st.caption(f"Ward time zone: {st.session_state.get(state.TIMEZONE, '?')}")
        if at is not None and loaded is not None:
            st.caption(f"Assessed as of {format_clock(at, loaded.timezone)}")
        with st.expander("Status legend"):
            for look in STATUS_LOOKS.values():
                st.markdown(f"{badge_html(look, look.word, '0.8rem')} {look.meaning}",
                            unsafe_allow_html=True)
            for outcome in ("resolved", "watch", "info"):
                look = finding_look(outcome)
                st.markdown(f"{badge_html(look, look.word, '0.8rem')} {look.meaning}",
                            unsafe_allow_html=True)


RECORDED = ("given", "held", "skipped", "scheduled")


def style_states(frame: pd.DataFrame, states: pd.DataFrame, columns: list[str],
                 colour_clear: bool = True):
    """A Styler colouring the given columns by their state key (word + icon stay in the
    text, so colour is never the only carrier)."""
    def paint(key: str) -> str:
        if not key or key in RECORDED or (key == "clear" and not colour_clear):
            return ""
        return cell_style(finding_look(key))

    def colour(column: pd.Series) -> list[str]:
        keys = states[column.name] if column.name in states else [""] * len(column)
        return [paint(k) for k in keys]

    present = [c for c in columns if c in frame.columns]
    return frame.style.apply(colour, subset=present, axis=0)
