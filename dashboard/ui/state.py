"""What a session remembers: ids and small choices only, never data frames.

Data lives in the store and the shared caches of :mod:`dashboard.ui.data`, keyed by data
version; the session only says which zone, which protocol and which patient. Every session
sees the same ward: the store's (dashboard.ui.store).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import settings
from dashboard.errors import MonitorUserError
from dashboard.ui import data
from dashboard.ui.store import load_current, on_demo
from dashboard.views.protocol_choice import AS_RECORDED, effective_protocols

TIMEZONE = "timezone"
REFRESH = "refresh_seconds"
WARD_PROTOCOL = "ward_protocol"  # "" = each patient's own protocol
OVERRIDES = "protocol_overrides"  # {patient_id: protocol_id}
PATIENT = "patient"
DEFAULT_REFRESH_SECONDS = 60
#: Set by the sign-in gate when this session was let in without sign-in because only the
#: demo could be seen: if the ward's record gets a real ward meanwhile (an import in
#: another session or process), the session goes back through the gate, which refuses.
DEMO_ONLY = "signin_demo_only"


def default_timezone(demo: bool) -> str:
    """IL2_WARD_TIMEZONE, else the demo's own zone for the demo, else the machine's."""
    if settings.configured("ward_timezone") is None and demo:
        return data.demo_clock()[0]
    return settings.value("ward_timezone")


def init() -> None:
    """Fill in the defaults once per session (environment first, then the demo)."""
    state = st.session_state
    if TIMEZONE not in state:
        demo = on_demo()  # a store that cannot be used raises StoreError: app.run shows it
        try:
            state[TIMEZONE] = default_timezone(demo)
        except MonitorUserError as error:
            st.error(f"Ward time zone setting: {error}. Using UTC until it is fixed.")
            state[TIMEZONE] = "UTC"
    state.setdefault(REFRESH, DEFAULT_REFRESH_SECONDS)
    state.setdefault(WARD_PROTOCOL, AS_RECORDED)
    state.setdefault(OVERRIDES, {})


def now() -> pd.Timestamp:
    """The assessment moment: the current minute (keys the assessment cache)."""
    return pd.Timestamp.now(tz="UTC").floor("min")


def current(at: pd.Timestamp | None = None) -> data.LoadedWard:
    """The ward the session is looking at (raises MonitorUserError when it cannot be
    read)."""
    init()
    loaded = load_current(st.session_state[TIMEZONE], at if at is not None else now())
    if st.session_state.get(DEMO_ONLY) and not loaded.is_demo:
        st.rerun(scope="app")  # the gate decides again (an auto-refresh runs only a panel)
    return loaded


def assignment(loaded: data.LoadedWard) -> dict[str, str]:
    return effective_protocols(
        loaded.ward.patients, st.session_state[WARD_PROTOCOL], st.session_state[OVERRIDES]
    )
