"""Ward settings: time zone, data source and automatic refresh (this session)."""

from __future__ import annotations

from zoneinfo import available_timezones

import streamlit as st

from dashboard.access import Action
from dashboard.errors import MonitorUserError
from dashboard.settings import path_in_data_root
from dashboard.ui import common, data, signin, state

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

st.subheader("Data source", anchor=False)
source = st.session_state[state.SOURCE]
st.markdown("Now showing: **" + common.plain(loaded.label if loaded else source) + "**")
# Choosing the data is importing it: the lead's choice only.
if signin.allowed(Action.IMPORT):
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    folder = left.text_input(
        "Folder or file on the server",
        key="settings_path",
        value=source.removeprefix(data.PATH_PREFIX) if source.startswith(data.PATH_PREFIX) else "",
    )
    if right.button("Open", key="settings_open") and folder.strip():
        try:
            # Only under the data root (IL2_DATA_ROOT): a browser must not read the server's
            # other files.
            candidate = data.PATH_PREFIX + str(path_in_data_root(folder))
            data.load_source(candidate, st.session_state[state.TIMEZONE])
        except MonitorUserError as error:
            st.error(f"Not opened: {common.plain(str(error))}")
            st.page_link(
                common.IMPORT_PAGE,
                label="See every problem on the Import page",
                icon=":material/upload_file:",
            )
        else:
            signin.log(signin.current(), "open data", "settings")
            state.use_source(candidate)
            st.rerun()
    if source != data.DEMO and st.button("Back to the demo ward", key="settings_demo"):
        state.use_source(data.DEMO, data.demo_clock()[0])
        st.rerun()
else:
    st.caption("Only the ward lead chooses the data source.")
st.caption(
    "The app starts on IL2_DATA_SOURCE when it is set, else on the demo ward. "
    "Uploads are on the Import page."
)

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
