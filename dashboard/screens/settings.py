"""Ward settings: time zone and automatic refresh (this session); which ward is shown."""

from __future__ import annotations

from zoneinfo import available_timezones

import streamlit as st

from dashboard.access import Action
from dashboard.ui import common, signin, state

signin.opened("settings")
st.header("Ward settings", anchor=False)
common.support_note()
loaded, error = common.ward_and_sidebar()
if error:
    st.warning(f"The current data cannot be read: {common.plain(str(error))}")

st.subheader("Time zone", anchor=False)
zones = sorted(available_timezones())
current_zone = st.session_state[state.TIMEZONE]
zone = st.selectbox(
    "Ward time zone",
    zones,
    index=zones.index(current_zone) if current_zone in zones else None,
    key="settings_zone",
    help="Times are shown in this zone, and times typed without an offset are read in it.",
)
if zone and zone != current_zone:
    st.session_state[state.TIMEZONE] = zone
    st.rerun()

st.subheader("The ward's data", anchor=False)
st.markdown("Now showing: **" + common.plain(loaded.label if loaded else "nothing") + "**")
st.caption(
    "Every session and every app process shows the same ward: the ward's record (a database). "
    "Files come in through the Import page (ward lead) or `il2-monitor import`; "
    "IL2_DATA_SOURCE is imported when the app starts. While the record holds no patient, "
    "the app shows the demo ward from a record of its own."
)
if signin.allowed(Action.IMPORT):
    st.page_link(common.IMPORT_PAGE, label="Import files", icon=":material/upload_file:")

st.subheader("Automatic refresh", anchor=False)
refresh = st.number_input(
    "Refresh the ward and patient panels every (seconds; 0 = off)",
    min_value=0,
    max_value=3600,
    step=10,
    value=int(st.session_state[state.REFRESH]),
    key="settings_refresh",
)
if refresh != st.session_state[state.REFRESH]:
    st.session_state[state.REFRESH] = int(refresh)
    st.rerun()
st.caption("Only the data panels refresh, so a form being filled in is not reset.")
