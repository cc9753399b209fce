"""Ward overview (the attending on rounds): every IL-2 patient, most severe first."""

from __future__ import annotations

from urllib.parse import quote

import streamlit as st

from dashboard.errors import MonitorUserError
from dashboard.ui import common, data, signin, state
from dashboard.ui.store import acknowledgements_by_patient, app_store
from dashboard.views.clock import format_clock
from dashboard.views.dose_record import unacknowledged
from dashboard.views.statuses import status_look, status_rank
from dashboard.views.ward_rows import (
    COLUMN_PX,
    MORE_COLUMNS,
    WARD_COLUMNS,
    WRAPPED_ROW_PX,
)

# A pasted deep link to the app's root with ?patient=ID opens that patient, once per
# session: switching to a patient passes through "/?patient=ID" in the browser's history,
# so the Back button lands there, and must then show the ward, not bounce forward again.
LINK_FOLLOWED = "ward_deep_link_followed"
if st.query_params.get("patient") and not st.session_state.get(LINK_FOLLOWED):
    st.session_state[LINK_FOLLOWED] = True
    st.switch_page(common.PATIENT_PAGE, query_params={"patient": st.query_params["patient"]})
st.session_state[LINK_FOLLOWED] = True
if "patient" in st.query_params:
    del st.query_params["patient"]  # back on the ward: the address is the ward's again

signin.opened("ward")
st.header("Ward: next doses", anchor=False)
common.support_note()

common.ward_and_sidebar()  # if the data cannot be read, the panel below says why


OPEN_REQUEST = "ward_open_request"
HEADER_PX = 35  # st.dataframe's header row


def _remember_choice() -> None:
    # A callback cannot switch pages; it hands the id over and empties the box so that
    # coming back to the ward does not reopen the same patient.
    st.session_state[OPEN_REQUEST] = st.session_state.get("ward_open_choice")
    st.session_state["ward_open_choice"] = None


def _open(patient_id: str) -> None:
    st.session_state[state.PATIENT] = patient_id
    st.switch_page(common.PATIENT_PAGE, query_params={"patient": patient_id})


@st.fragment(run_every=st.session_state.get(state.REFRESH) or None)
def ward_panel() -> None:
    at = state.now()
    try:
        loaded = state.current(at)
        assignment = state.assignment(loaded)
        assessments = data.next_doses(loaded, at, assignment)
        waiting = unacknowledged(assessments, acknowledgements_by_patient(app_store()))
    except MonitorUserError as error:
        st.error(f"The ward cannot be shown: {common.plain(str(error))}")
        st.page_link(
            common.IMPORT_PAGE, label="Import or choose other data", icon=":material/upload_file:"
        )
        return
    rows = data.ward_table(loaded, at, assignment, waiting)  # shared: never changed here
    counts = rows["shown"].value_counts()
    # Counts in order of severity: the rows' order puts a stopped course (no dose due) first.
    summary = " ".join(
        common.status_badge(s, "0.85rem") + f" {counts[s]}"
        for s in sorted(counts.index, key=status_rank)
    )
    refresh = st.session_state.get(state.REFRESH) or 0
    st.markdown(
        f"{summary}&nbsp;&nbsp; Data as of **{format_clock(at, loaded.timezone)}** "
        f"({loaded.timezone}); "
        + (f"refreshes every {refresh} s." if refresh else "automatic refresh is off."),
        unsafe_allow_html=True,
    )
    if loaded.is_demo:
        st.caption("Demo ward: synthetic patients; every time is moved to today.")
    if loaded.refused:
        st.warning(
            f"Partial data: {loaded.refused} row(s) of the input were refused; the "
            "patients they belong to are marked below. See the Import page.",
            icon=":material/warning:",
        )

    left, right = st.columns([4, 1], vertical_alignment="center")
    more = left.toggle(
        "More columns (trends, valid until, other protocols, protocol)", key="ward_more_columns"
    )
    ward_protocol = st.session_state.get(state.WARD_PROTOCOL) or None
    right.download_button(
        "Ward sheet PDF",
        # Built on the click only, printed by the signed-in user.
        data=common.ward_pdf(loaded, ward_protocol, signin.current().who),
        file_name="ward-sheet.pdf",
        mime="application/pdf",
        icon=":material/print:",
        key="ward_pdf",
        help="One line per patient (status, dose, due, reasons, support, data age) on A4 "
        "landscape, to hand over"
        + (
            "; per-patient protocol choices are not in it."
            if st.session_state.get(state.OVERRIDES)
            else "."
        ),
    )
    shown = rows.copy()
    shown["Open"] = "patient?patient=" + shown["patient_id"].map(lambda pid: quote(pid, safe=""))
    styled = shown.style.apply(
        lambda column: [common.cell_style(status_look(s)) for s in shown["shown"]],
        subset=["Status"],
        axis=0,
    )
    event = st.dataframe(
        styled,
        key="ward_table",
        on_select="rerun",
        selection_mode=["single-row", "single-cell"],
        hide_index=True,
        width="stretch",
        row_height=WRAPPED_ROW_PX,
        height=HEADER_PX + WRAPPED_ROW_PX * len(shown) + 3,
        column_order=[*WARD_COLUMNS, *([*MORE_COLUMNS, "Open"] if more else [])],
        column_config={
            "Open": st.column_config.LinkColumn(
                "Link",
                display_text="link",
                help="A link to the patient you can paste or bookmark (opens a new tab)",
                width="small",
            ),
            "Status": st.column_config.TextColumn("Status", width=COLUMN_PX["Status"], pinned=True),
            "Bed": st.column_config.TextColumn("Bed", width=COLUMN_PX["Bed"]),
            "Patient": st.column_config.TextColumn(
                "Patient",
                width=COLUMN_PX["Patient"],
                help="Click a name to open the patient; Back returns here",
            ),
            "Dose": st.column_config.TextColumn("Dose", width=COLUMN_PX["Dose"]),
            "Next dose due": st.column_config.TextColumn("Due", width=COLUMN_PX["Next dose due"]),
            "Reasons": st.column_config.TextColumn(
                "Why (worst first) · watch", width=COLUMN_PX["Reasons"]
            ),
            "Support": st.column_config.TextColumn(
                "Support in progress",
                width=COLUMN_PX["Support"],
                help="Vasopressors running, oxygen, urine per kg over the KDIGO window, "
                "weight gain, creatinine and KDIGO stage",
            ),
            "Deciding values": st.column_config.TextColumn(
                "Deciding values",
                width=100,
                help="Age of the oldest value the protocol requires for this verdict",
            ),
            "Urine": st.column_config.TextColumn(
                "Urine (last dosing interval)",
                help="Urine output charted in the last dosing interval of the protocol",
            ),
        },
    )
    selection = event.selection if event is not None else None
    if selection is not None:
        cells = [
            row for row, column in (selection.get("cells") or []) if column in ("Patient", "Bed")
        ]
        picked = cells or list(selection.get("rows") or [])
        if picked:
            _open(str(rows.iloc[picked[0]]["patient_id"]))
    st.caption(
        "Click a patient's name (or the box at the row's left) to open the patient; "
        "the browser's Back button returns here. Sorted by status, most severe first "
        "(a course or cycle ended by a criterion sorts with it; a clear verdict with "
        "an early warning above a plain clear), then by the time the next dose is due."
    )

    labels = {
        pid: f"{bed} · {name}"
        for pid, bed, name in zip(rows["patient_id"], rows["Bed"], rows["Patient"], strict=True)
    }
    st.selectbox(
        "Open a patient (type a bed or a name)",
        list(labels),
        format_func=labels.get,
        index=None,
        placeholder="Bed or name",
        key="ward_open_choice",
        on_change=_remember_choice,
    )
    chosen = st.session_state.pop(OPEN_REQUEST, None)
    if chosen:
        _open(chosen)


ward_panel()
