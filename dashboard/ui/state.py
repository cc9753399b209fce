"""What a session remembers: ids and small choices only, never data frames.

Data lives in the shared caches of :mod:`dashboard.ui.data`, keyed by data version; the
session only says which source, which zone, which protocol and which patient.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import settings
from dashboard.errors import MonitorUserError
from dashboard.ui import data
from dashboard.ui.store import with_records
from dashboard.views.protocol_choice import AS_RECORDED, effective_protocols

SOURCE = "source"  # data.DEMO, "path:<folder or file>" or "upload:<digest>"
TIMEZONE = "timezone"
REFRESH = "refresh_seconds"
WARD_PROTOCOL = "ward_protocol"  # "" = each patient's own protocol
OVERRIDES = "protocol_overrides"  # {patient_id: protocol_id}
PATIENT = "patient"
KEEP_GOING = "source_keep_going"  # the user chose to load the valid rows of a bad input
DEFAULT_REFRESH_SECONDS = 60


def default_source() -> str:
    configured = settings.configured("data_source")
    return data.PATH_PREFIX + configured if configured else data.DEMO


def default_timezone(source: str) -> str:
    """IL2_WARD_TIMEZONE, else the demo's own zone for the demo, else the machine's."""
    if settings.configured("ward_timezone") is None and source == data.DEMO:
        return data.demo_clock()[0]
    return settings.value("ward_timezone")


def init() -> None:
    """Fill in the defaults once per session (environment first, then the demo)."""
    state = st.session_state
    if SOURCE not in state:
        state[SOURCE] = default_source()
    if TIMEZONE not in state:
        try:
            state[TIMEZONE] = default_timezone(state[SOURCE])
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
    loaded = data.load_current(
        st.session_state[SOURCE],
        st.session_state[TIMEZONE],
        at if at is not None else now(),
        bool(st.session_state.get(KEEP_GOING)),
    )
    # What the ward recorded (doses given/held/delayed, bedside entries) counts at once.
    return with_records(loaded)


def assignment(loaded: data.LoadedWard) -> dict[str, str]:
    return effective_protocols(
        loaded.ward.patients, st.session_state[WARD_PROTOCOL], st.session_state[OVERRIDES]
    )


def use_source(source: str, timezone: str | None = None, keep_going: bool = False) -> None:
    """Switch the session to another data source; choices tied to patients are reset."""
    st.session_state[SOURCE] = source
    st.session_state[KEEP_GOING] = keep_going
    if timezone:
        st.session_state[TIMEZONE] = timezone
    st.session_state[OVERRIDES] = {}
    st.session_state.pop(PATIENT, None)
