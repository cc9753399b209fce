"""Import: upload files or name a folder; every problem is listed before anything is used."""

from __future__ import annotations

import streamlit as st

from dashboard.access import Action
from dashboard.errors import DataValidationError, MonitorUserError
from dashboard.settings import path_in_data_root
from dashboard.ui import common, data, signin, state
from dashboard.views.import_preview import preview, problem_rows

CANDIDATE = "import_candidate"  # source id being checked (ids only in the session)
GO_ON = "import_go_on"

signin.require(Action.IMPORT, "import")  # lead only
signin.opened("import")
st.header("Import ward data", anchor=False)
common.support_note()
common.ward_and_sidebar()  # an unreadable current source is what this page is for

st.markdown(
    "Give **the three CSVs** (patients.csv, doses.csv, observations.csv), **one per-dose "
    "sheet** (CSV or Excel, optionally with a patients.csv), **a FHIR R4 bundle** (JSON) or "
    "**an Excel workbook** with patients, doses and observations sheets. Every problem is "
    "listed before anything is used; nothing replaces the current ward until you press "
    "*Use this data*."
)
timezone = st.session_state[state.TIMEZONE]
st.caption(
    f"Times written without an offset are read in the ward's zone, {timezone} "
    "(change it under Settings before importing)."
)

upload_tab, folder_tab = st.tabs(["Upload files", "A folder or file on the server"])
with upload_tab:
    uploads = st.file_uploader(
        "Files to import",
        type=["csv", "xlsx", "xlsm", "json"],
        accept_multiple_files=True,
        key="import_files",
    )
    if uploads:
        try:
            version = data.keep_upload(data.files_from_uploads(uploads))
        except MonitorUserError as error:
            st.error(common.plain(str(error)))
        else:
            candidate = data.UPLOAD_PREFIX + version
            if st.session_state.get(CANDIDATE) != candidate:
                st.session_state[CANDIDATE] = candidate
                st.session_state[GO_ON] = False
with folder_tab:
    path = st.text_input(
        "Path of a folder (or one file) on the server",
        key="import_path",
        placeholder="/data/ward-7w",
    )
    if st.button("Check this folder", key="import_check_path"):
        if path.strip():
            try:  # only under the data root (IL2_DATA_ROOT)
                st.session_state[CANDIDATE] = data.PATH_PREFIX + str(path_in_data_root(path))
            except MonitorUserError as error:
                st.error(common.plain(str(error)))
                st.stop()
            st.session_state[GO_ON] = False
        else:
            st.warning("Type the path of a folder or a file first.")

candidate = st.session_state.get(CANDIDATE)
if not candidate:
    st.info("Nothing checked yet.")
    st.stop()

go_on = bool(st.session_state.get(GO_ON))
try:
    data.load_source(candidate, timezone, keep_going=False)
except DataValidationError as error:
    table = problem_rows(error.problems)
    st.error(
        f"{len(table)} problem{'s' if len(table) != 1 else ''} in the input. Nothing was loaded."
    )
    st.dataframe(table, hide_index=True, width="stretch", key="import_problems")
    go_on = st.checkbox(
        "Load the valid rows anyway. The refused rows stay listed; criteria that needed "
        "them will read incomplete, never clear.",
        value=go_on,
        key="import_go_on_box",
    )
    st.session_state[GO_ON] = go_on
    if not go_on:
        st.stop()
except MonitorUserError as error:
    st.error(common.plain(str(error)))
    st.stop()
else:
    go_on = False

try:
    _, ward = data.load_source(candidate, timezone, keep_going=go_on)
except MonitorUserError as error:
    st.error(common.plain(str(error)))
    st.stop()

summary = preview(ward, timezone)
st.subheader("What will be loaded", anchor=False)
counts = summary.counts
columns = st.columns(4)
columns[0].metric("Patients", counts["patients"])
columns[1].metric("Doses", counts["doses"])
columns[2].metric("Observations", f"{counts['observations']:,}")
columns[3].metric("Rows refused", summary.refused)
st.markdown(
    f"From **{summary.first}** to **{summary.last}** ({timezone}). "
    f"Files: {common.plain(', '.join(summary.files))}."
)
if summary.merged_duplicates:
    st.caption(f"{summary.merged_duplicates} identical duplicate row(s) merged.")
for notice in summary.notices:
    st.caption(f"Note: {common.plain(notice)}")  # names files: text, not markup
st.dataframe(summary.patients, hide_index=True, width="stretch", key="import_patients")
if summary.refused:
    st.warning(f"{summary.refused} row(s) refused and not loaded:")
    st.dataframe(
        problem_rows(ward.report.problems), hide_index=True, width="stretch", key="import_refused"
    )
if st.button("Use this data", type="primary", key="import_use"):
    signin.log(signin.current(), "import", "import")
    state.use_source(candidate, keep_going=go_on)
    st.session_state.pop(CANDIDATE, None)
    st.switch_page(common.WARD_PAGE)
