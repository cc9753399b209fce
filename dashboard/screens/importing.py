"""Import: upload files or name a folder; every problem is listed before anything is
written; then the files go into the ward's record (the store) for every session, with a
report kept of each import."""

from __future__ import annotations

from zoneinfo import available_timezones

import streamlit as st

from dashboard import settings
from dashboard.access import Action
from dashboard.errors import DataValidationError, MonitorUserError, Problem
from dashboard.settings import path_in_data_root
from dashboard.store import import_reports, import_ward
from dashboard.ui import common, data, signin, state
from dashboard.ui.store import on_demo, ward_record
from dashboard.views.import_preview import preview, problem_rows

CANDIDATE = "import_candidate"  # source id being checked (ids only in the session)
SHOWN_REPORTS = 50  # import reports listed on the page, newest first
IMPORTED = "import_imported"  # the source id imported last (its files may still be shown)
GO_ON = "import_go_on"

signin.require(Action.IMPORT, "import")  # lead only
signin.opened("import")
st.header("Import ward data", anchor=False)
common.support_note()
loaded, _ = common.ward_and_sidebar()  # an unreadable ward is what this page can mend
record = ward_record()
demo = on_demo()
if demo:
    st.info(
        "The ward's record holds no patient yet, so the demo ward is shown. What you import "
        "here goes into the ward's record, not the demo: from then on every session shows "
        "that ward instead of the demo, and real data needs sign-in (or a start with "
        "--no-login on purpose).",
        icon=":material/info:",
    )

st.markdown(
    "Give **the three CSVs** (patients.csv, doses.csv, observations.csv), **one per-dose "
    "sheet** (CSV or Excel, optionally with a patients.csv), **a FHIR R4 bundle** (JSON) or "
    "**an Excel workbook** with patients, doses and observations sheets. Every problem is "
    "listed before anything is written; nothing is added to the ward's record until you "
    "press *Import into the ward's record*. Importing the same rows again adds nothing."
)
# The zone naive times are read in is kept with every row for good (the record is append-
# only): chosen in plain sight, and on the demo it is the ward's setting, never the demo's.
zones = sorted(available_timezones())
ward_zone = st.session_state[state.TIMEZONE]
if demo:
    try:
        ward_zone = settings.value("ward_timezone")
    except MonitorUserError:  # a bad IL2_WARD_TIMEZONE: said at the start; chosen by hand
        ward_zone = ""
timezone = st.selectbox(
    "Times written without an offset are read in",
    zones,
    index=zones.index(ward_zone) if ward_zone in zones else None,
    key="import_zone",
    help="The ward's IANA time zone (IL2_WARD_TIMEZONE). Times with an offset (+01:00, Z) "
    "are read as written.",
)
if not timezone:
    st.info("Choose the ward's time zone first.")
    st.stop()

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
            # Files just imported stay in the uploader: not offered again as new.
            fresh = candidate != st.session_state.get(IMPORTED)
            if fresh and st.session_state.get(CANDIDATE) != candidate:
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


def earlier_imports() -> None:
    """Every import's report, newest first: who, when, files and digests, counts, and the
    rows refused with their reasons."""
    reports = import_reports(record, newest=SHOWN_REPORTS)
    with st.expander("Imports into this record, newest first", expanded=False):
        if not reports:
            st.caption("None yet.")
        for report in reports:
            files = ", ".join(
                f"{f['name']} (sha256 {f['sha256'][:12]}...)" for f in report["files"]
            )
            st.markdown(
                f"**Import {report['id']}**, {report['outcome']}, by "
                f"{common.plain(str(report['who']))} at "
                f"{report['finished_at']:%Y-%m-%d %H:%M} UTC: {report['rows_added']} added, "
                f"{report['rows_changed']} changed, {report['rows_merged']} already there, "
                f"{report['rows_refused']} refused. Files: {common.plain(files)}"
            )
            if report["problems"]:  # shown as the preview shows them, as text
                problems = [
                    Problem(p["file"], p["row"], p["column_name"], p["reason"], p["row_kind"])
                    for p in report["problems"]
                ]
                st.dataframe(
                    problem_rows(problems), hide_index=True, key=f"import_report_{report['id']}"
                )
        if len(reports) == SHOWN_REPORTS:
            st.caption(f"The {SHOWN_REPORTS} newest are shown.")


DONE = "import_done"  # the summary of the import just made (shown once, after the rerun)
just_done = st.session_state.pop(DONE, None)
if just_done:
    st.success(just_done, icon=":material/check_circle:")
    st.page_link(common.WARD_PAGE, label="Open the ward", icon=":material/groups:")

candidate = st.session_state.get(CANDIDATE)
if not candidate:
    if not just_done:
        st.info("Nothing checked yet.")
    earlier_imports()
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
if st.button("Import into the ward's record", type="primary", key="import_use"):
    person = signin.current()
    try:
        source = (
            data.upload_files(candidate.removeprefix(data.UPLOAD_PREFIX))
            if candidate.startswith(data.UPLOAD_PREFIX)
            else candidate.removeprefix(data.PATH_PREFIX)
        )
        result = import_ward(record, source, who=person.who, timezone=timezone, keep_going=go_on)
    except MonitorUserError as error:  # e.g. rows contradicting readings already recorded
        st.error(f"Not imported: {common.plain(str(error))}")
        earlier_imports()
        st.stop()
    signin.log(person, f"import {result.import_id}", "import")
    st.session_state[IMPORTED] = st.session_state.pop(CANDIDATE, None)
    st.session_state[DONE] = result.summary() + "."
    st.rerun()
earlier_imports()
