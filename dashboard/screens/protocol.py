"""Protocol (the site's IL-2 lead): the active protocol's criteria with sources and review
dates; which protocol assesses the ward and each patient; two protocols compared on one
patient's course."""

from __future__ import annotations

import streamlit as st

from dashboard.access import Action
from dashboard.errors import MonitorUserError
from dashboard.protocols import DEFAULT_PROTOCOL_ID, shipped_protocol_ids
from dashboard.ui import common, data, signin, state
from dashboard.views.protocol_choice import AS_RECORDED, recorded_protocols
from dashboard.views.protocol_table import (
    compare_courses,
    composition_text,
    criteria_rows,
    dosing_text,
)

signin.opened("protocol")
# Which protocol assesses whom changes every verdict: the lead's choice only.
MAY_CHOOSE = signin.allowed(Action.CHOOSE_PROTOCOL)
st.header("Protocols", anchor=False)
common.support_note()
loaded, error = common.ward_and_sidebar()
if error:
    st.warning(f"No ward data: {common.plain(str(error))}")

ids = shipped_protocol_ids()
choices = [AS_RECORDED, *ids]


def _choice_label(value: str) -> str:
    return (
        f"As recorded for each patient (empty: {DEFAULT_PROTOCOL_ID})"
        if value == AS_RECORDED
        else value
    )


st.subheader("Protocol for the ward", anchor=False)
ward_choice = st.selectbox(
    "Assess the ward with",
    choices,
    format_func=_choice_label,
    index=choices.index(st.session_state[state.WARD_PROTOCOL]),
    key="protocol_ward_choice",
    disabled=not MAY_CHOOSE,
    help=None if MAY_CHOOSE else "Only the ward lead chooses protocols.",
)
if MAY_CHOOSE and ward_choice != st.session_state[state.WARD_PROTOCOL]:
    signin.log(signin.current(), f"ward protocol: {ward_choice or 'as recorded'}", "protocol")
    st.session_state[state.WARD_PROTOCOL] = ward_choice
    st.rerun()

if loaded is not None:
    patients = loaded.ward.patients.drop_duplicates("patient_id")
    names = {
        str(r.patient_id): f"{r.name} ({r.patient_id})" for r in patients.itertuples(index=False)
    }
    recorded = recorded_protocols(patients)
    overrides: dict[str, str] = dict(st.session_state[state.OVERRIDES])
if loaded is not None and MAY_CHOOSE:
    with st.expander(
        f"Per-patient protocol ({len(overrides)} override(s) this session)",
        expanded=bool(overrides),
    ):
        left, middle, right = st.columns([3, 2, 1], vertical_alignment="bottom")
        who = left.selectbox(
            "Patient", list(names), format_func=names.get, key="protocol_override_patient"
        )
        which = middle.selectbox(
            "Protocol",
            ids,
            key="protocol_override_choice",
            index=ids.index(overrides.get(who, recorded.get(who, DEFAULT_PROTOCOL_ID)))
            if overrides.get(who, recorded.get(who)) in ids
            else 0,
        )
        if right.button("Apply", key="protocol_override_apply"):
            overrides[who] = which
            signin.log(signin.current(), f"patient protocol: {which}", "protocol", who)
            st.session_state[state.OVERRIDES] = overrides
            st.rerun()
        if overrides:
            st.table(
                [
                    {
                        "Patient": names.get(pid, pid),
                        "Recorded": recorded.get(pid, "—"),
                        "Used this session": pid_protocol,
                    }
                    for pid, pid_protocol in overrides.items()
                ]
            )
            if st.button("Clear the overrides", key="protocol_override_clear"):
                st.session_state[state.OVERRIDES] = {}
                st.rerun()
        st.caption(
            "Overrides last for this browser session only; the patients file is not changed."
        )

st.subheader("Criteria", anchor=False)
shown_id = st.selectbox(
    "Show the criteria of",
    ids,
    index=ids.index(ward_choice or DEFAULT_PROTOCOL_ID),
    key=f"protocol_show_{ward_choice}",
)  # follows the ward choice
try:
    protocol = data.protocol(shown_id)
except MonitorUserError as error:
    st.error(common.plain(str(error)))
    st.stop()
# A protocol file may be a site's own: its words are shown as text, never as markup.
plain = common.plain
st.markdown(
    f"**{plain(protocol.title)}** ({plain(protocol.id)}, version "
    f"{plain(protocol.version)}). {plain(dosing_text(protocol))}."
)
if protocol.description:
    st.caption(plain(protocol.description))
st.caption(
    f"Protocol reviewed by {plain(protocol.review.reviewed_by)} on {protocol.review.date_reviewed}."
)
composition = composition_text(protocol)
if composition:
    st.caption(plain(composition))
if protocol.extends is not None and protocol.extends.interpretation:
    # criteria.md section 6: the combination itself is an interpretation; say so above the
    # criteria, not only in a cell
    st.warning(
        f"INTERPRETATION (extends {plain(protocol.extends.base_id)}): "
        f"{plain(protocol.extends.interpretation)}"
    )
table = criteria_rows(protocol)
interpretations = int((table["Interpretation"] != "—").sum())
if interpretations:
    st.warning(
        f"{interpretations} criterion(s) rest on an INTERPRETATION of the source's "
        "words: a site reviews these before use."
    )
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    key="protocol_criteria",
    column_config={"Links": st.column_config.TextColumn("Links")},
)
with st.expander("References"):
    for reference in protocol.references.values():
        link = f" ({plain(reference.link)})" if reference.link else ""
        st.markdown(f"- **\\[{plain(reference.key)}\\]** {plain(reference.citation)}{link}")

st.subheader("Compare two protocols on one patient's course", anchor=False)
if loaded is None:
    st.info("Load ward data to compare protocols on a patient.")
    st.stop()
left, middle, right = st.columns(3)
who = left.selectbox("Patient", list(names), format_func=names.get, key="compare_patient")
first = middle.selectbox(
    "Protocol A",
    ids,
    index=ids.index(recorded.get(who, DEFAULT_PROTOCOL_ID)) if recorded.get(who) in ids else 0,
    key="compare_a",
)
second = right.selectbox(
    "Protocol B", ids, index=(ids.index(first) + 1) % len(ids), key="compare_b"
)
if first == second:
    st.info("Choose two different protocols.")
    st.stop()
try:
    table = compare_courses(
        data.course(loaded, who, first),
        data.course(loaded, who, second),
        f"A: {first}",
        f"B: {second}",
        loaded.timezone,
    )
except MonitorUserError as error:
    st.error(common.plain(str(error)))
    st.stop()
differ = int((table["Differ"] == "yes").sum()) if len(table) else 0
st.caption(
    f"Each dose as of its scheduled time. The two protocols differ at {differ} of "
    f"{len(table)} doses."
)
st.dataframe(table, hide_index=True, width="stretch", key="compare_table")
