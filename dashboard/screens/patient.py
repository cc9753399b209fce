"""Patient (the nurse between doses): the next-dose card first, then the checklist, the
trend plots and the course timeline. ``?patient=ID`` opens a patient from a pasted link."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from dashboard.assessment import DoseAssessment
from dashboard.assessment.support import support_in_progress
from dashboard.assessment.validity import ward_validity
from dashboard.errors import MonitorUserError
from dashboard.protocols import Protocol
from dashboard.ui import common, data, recording, signin, state
from dashboard.views.checklist import CHECKLIST_COLUMNS, checklist_rows
from dashboard.views.course_grid import course_grid, course_grid_html, recorded_reasons
from dashboard.views.dose_card import DoseCard, dose_card
from dashboard.views.findings import FindingLine

#: The timeline opens first: what a rounding team reads, and plain HTML, the lightest
#: thing to draw (the page is drawn sooner than with a table or a second plot).
TABS = (
    "Course timeline: dose × criterion",
    "Checklist: every criterion",
    "More trends: breathing, heart, temperature, weight, labs",
    "Trend values as a table",
)

try:
    loaded = state.current()
except MonitorUserError as error:
    common.sidebar(None, None)
    st.error(f"No ward data to show: {common.plain(str(error))}")
    st.page_link(common.IMPORT_PAGE, label="Import or choose data", icon=":material/upload_file:")
    st.stop()

common.sidebar(loaded, None)
patients = loaded.ward.patients.drop_duplicates("patient_id")
names = {
    str(r.patient_id): f"{r.bed if isinstance(r.bed, str) else '—'} · "
    f"{r.name if isinstance(r.name, str) else r.patient_id} ({r.patient_id})"
    for r in patients.itertuples(index=False)
}

wanted = st.query_params.get("patient") or st.session_state.get(state.PATIENT)
if wanted and wanted not in names:
    # The id comes from the address bar: shown as text, never as markdown or a link.
    st.error(
        f"There is no patient '{common.plain(str(wanted)[:80])}' in "
        f"{common.plain(loaded.label)}. Choose one below."
    )
    wanted = None

top_left, top_right, top_print = st.columns([6, 4, 2], vertical_alignment="bottom")
chosen = top_right.selectbox(
    "Patient",
    list(names),
    format_func=names.get,
    index=list(names).index(wanted) if wanted else None,
    placeholder="Choose a patient",
    key=f"patient_pick_{wanted}",
    label_visibility="collapsed",  # the name beside it says who; the label cost a line
)
if chosen is None:
    st.header("Patient", anchor=False)
    common.support_note()
    st.info("Choose a patient, or open one from the ward list.")
    st.stop()
if chosen != wanted:
    st.session_state[state.PATIENT] = chosen
    st.query_params["patient"] = chosen
    st.rerun()
st.session_state[state.PATIENT] = chosen
signin.opened("patient", chosen)
if st.query_params.get("patient") != chosen:
    # The address bar is always a link to this patient; set only when it differs, since
    # each change adds a browser history entry and Back would land on this same patient.
    st.query_params["patient"] = chosen
top_left.subheader(common.plain(names[chosen]), anchor=False)  # a name is text, not markup
top_print.download_button(
    "Handover PDF",
    # Built on the click only (a callable runs then, on its own thread): as of that minute,
    # with the protocol this page assesses the patient with.
    data=common.handover_pdf(
        loaded, chosen, state.assignment(loaded).get(chosen), signin.current().who
    ),
    file_name=f"handover-{chosen}.pdf",
    mime="application/pdf",
    icon=":material/print:",
    key="patient_pdf",
    help="The card, support, checklist, course timeline and trends on A4, to hand over.",
)


def _finding_html(line: FindingLine) -> str:
    interpretation = (
        f' <b title="{html.escape(line.interpretation)}">[INTERPRETATION]</b>'
        if line.interpretation
        else ""
    )
    detail = (
        f"<br><span style='color:#444'>{html.escape(line.detail)}</span>" if line.detail else ""
    )
    return (
        f"<li><b>{html.escape(line.badge)} {html.escape(line.title)}</b>: "
        f"<b>{html.escape(line.value)}</b> at {html.escape(line.time)}. "
        # The rule's backticks quote codes for markdown; the code style already does.
        f"Rule: <code style='font-size:0.85em'>{html.escape(line.rule.replace('`', ''))}"
        f"</code>{interpretation}. "
        f"<span style='color:#444'>Source: {html.escape(line.source)}</span>{detail}</li>"
    )


def _line(label: str, text: str, strong: bool = False) -> str:
    body = f"<b>{html.escape(text)}</b>" if strong else html.escape(text)
    return f"<div style='margin-top:0.25rem'><b>{html.escape(label)}</b> {body}</div>"


def _card(card: DoseCard) -> None:
    # One st.html block, not several st.markdown calls: the card is the page's first
    # answer, and raw HTML skips the browser's markdown parsing. Nothing the decision needs
    # is folded away (criteria.md 9.2): early warnings, support, validity, other protocols.
    look = card.look
    rest = card.headline.removeprefix(look.word).lstrip(": ")
    parts = [
        f'<div data-testid="dose-card" style="border-left:0.6rem solid {look.colour};'
        f'padding:0.4rem 0.8rem;background:#FAFAFA;border-radius:0.3rem">'
        f'<div style="font-size:1.45rem;font-weight:700;line-height:1.3">'
        f'<span style="background:{look.colour};color:{look.ink};padding:0 0.4rem;'
        f'border-radius:0.25rem;border:1px solid #00000055">{html.escape(look.icon)} '
        f"{html.escape(look.word)}</span> {html.escape(rest)}</div>"
    ]
    if card.refused:
        parts.append(
            f"<div style='margin-top:0.25rem;color:#8B0000;font-weight:700'>"
            f"⚠ Partial data: {html.escape(card.refused)}; the verdict may miss "
            f"them (see the Import page).</div>"
        )
    if card.watch_text:
        parts.append(_line("◔ Watch:", card.watch_text, strong=True))
    parts.append(f'<div style="margin-top:0.2rem">{html.escape(card.meaning)}</div>')
    if card.support:
        parts.append(_line("Support in progress:", " · ".join(card.support)))
    if card.validity:
        parts.append(_line("Valid:", card.validity, strong=card.recheck is not None))
    if card.stricter:
        parts.append(
            _line(
                "Stricter elsewhere:",
                card.stricter + " (the status above stays this patient's protocol's)",
            )
        )
    parts.append(
        f'<div style="color:#444;font-size:0.9rem;margin-top:0.2rem">Assessed '
        f"{html.escape(card.as_of)} · protocol {html.escape(card.protocol)}"
        + (f" · {html.escape(card.deciding_age)}" if card.deciding_age else "")
        + (f" · recorded: <b>{html.escape(card.recorded)}</b>" if card.recorded else "")
        + "</div></div>"
    )
    if card.reasons:
        parts.append(_section("Why", [_finding_html(x) for x in card.reasons]))
    if card.missing:
        parts.append(
            _section(
                "Missing or too old (record, then reassess)",
                [_finding_html(x) for x in card.missing],
            )
        )
    if card.restart_unmet:
        parts.append(
            _section(
                "Before this dose can be given, still needed",
                [f"<li>{html.escape(x)}</li>" for x in card.restart_unmet],
            )
        )
    st.html("".join(parts))


def _card_basis(card: DoseCard) -> None:
    """The basis of the early warnings and of what is noted, drawn below the decision
    panels: the warnings themselves are on the card (its Watch line, criteria.md 9.2), so
    the card and the panels fit one screen at 1920x1080 however many findings there are."""
    parts = []
    if card.watch:
        parts.append(
            _section(
                "Early warnings (do not change the status; look at them)",
                [_finding_html(x) for x in card.watch],
            )
        )
    if card.notes:
        parts.append(
            _section(
                "Also noted (resolved, information; do not change the status)",
                [_finding_html(x) for x in card.notes],
            )
        )
    if parts:
        st.html("".join(parts))


def _section(title: str, items: list[str]) -> str:
    return (
        f"<div style='margin-top:0.5rem'><b>{html.escape(title)}</b>"
        f"<ul style='margin:0.1rem 0 0.2rem 0'>{''.join(items)}</ul></div>"
    )


@st.fragment(run_every=st.session_state.get(state.REFRESH) or None)
def patient_panel(patient_id: str) -> None:
    at = state.now()
    try:
        current = state.current(at)
        assignment = state.assignment(current)
        assessments = data.next_doses(current, at, assignment)
        assessment = data.assessment_of(assessments, patient_id)
        protocol = data.protocol(assignment[patient_id])
    except MonitorUserError as error:
        st.error(f"This patient cannot be assessed: {common.plain(str(error))}")
        return
    mine = data.subset(current.ward, (patient_id,))
    support = support_in_progress(
        mine, at, {patient_id: protocol}, {patient_id: assessment.findings}
    ).get(patient_id)
    validity = ward_validity([assessment], {protocol.id: protocol}, mine.observations, at).get(
        patient_id
    )
    card = dose_card(
        assessment,
        protocol,
        current.timezone,
        support=support,
        validity=validity,
        stricter=data.stricter(current, at, assignment).get(patient_id),
        refused=current.ward.refused_by_patient().get(patient_id, 0),
    )
    _card(card)

    # The panels the dose is decided on, right under the card (the card's deciding
    # parameters first); the rest a click away in lazy tabs: only the open tab is built
    # and drawn, so the page is drawn sooner (switching reruns this panel only).
    deciding = tuple({f.parameter for f in assessment.findings if f.parameter})
    chart = data.trend_chart(current, patient_id, protocol.id, at, deciding)
    st.plotly_chart(
        chart.decision, key="trends_decision", theme=None, config={"displaylogo": False}
    )
    _legend(chart, protocol)
    _card_basis(card)
    common.support_note()
    timeline, checklist, more, values = st.tabs(list(TABS), key="patient_tabs", on_change="rerun")
    if checklist.open:
        with checklist:
            _checklist(assessment, current.timezone, at)
    if more.open:
        with more:
            if chart.rest is None:
                st.info("Every panel is shown above.")
            else:
                st.plotly_chart(
                    chart.rest, key="trends_rest", theme=None, config={"displaylogo": False}
                )
    if values.open:
        with values:
            _values(chart)
    if timeline.open:
        with timeline:
            try:
                history = data.course(current, patient_id, protocol.id)
            except MonitorUserError as error:
                st.error(f"This patient's course cannot be reviewed: {common.plain(str(error))}")
                return
            _timeline(history, protocol, current, patient_id, at)


def _legend(chart: data.TrendChart, protocol: Protocol) -> None:
    st.caption(
        "Vertical lines: doses (solid given, dashed held, dotted due or skipped), labelled "
        "with the dose number; dash-dot: now. Shaded bands and lines: the thresholds of "
        f"{protocol.id} (dotted: early warnings). Crosses: readings that meet a criterion. "
        "A broken line: no reading for longer than 1.5 times the protocol's freshness for "
        "that parameter. Zoom and pan stay across the automatic refresh; double-click to "
        "reset. " + " ".join(chart.notes)
    )


def _values(chart: data.TrendChart) -> None:
    st.caption("The readings the plots draw, newest first, with what each meets.")
    st.dataframe(
        chart.table,
        hide_index=True,
        width="stretch",
        key="trend_values",
        column_config={"Time": st.column_config.DatetimeColumn(format="ddd D MMM HH:mm")},
    )


def _checklist(assessment: DoseAssessment, timezone: str, at: pd.Timestamp) -> None:
    entries = assessment.checklist
    if not entries:
        st.info("No dose is waiting for a decision, so there is no checklist to show.")
        return
    rows = checklist_rows(entries, timezone, at)
    states = rows[["state"]].rename(columns={"state": "State"})
    st.dataframe(
        common.style_states(rows, states, ["State"], colour_clear=False),
        hide_index=True,
        width="stretch",
        column_order=CHECKLIST_COLUMNS,
        key="checklist",
    )


def _timeline(
    history: list[DoseAssessment],
    protocol: Protocol,
    current: data.LoadedWard,
    patient_id: str,
    at: pd.Timestamp,
) -> None:
    titles = {c.id: c.title for c in protocol.criteria}
    mine = current.ward.doses[current.ward.doses["patient_id"].astype(str) == patient_id]
    grid = course_grid(
        history,
        [c.id for c in protocol.criteria],
        current.timezone,
        titles,
        now=at,
        reasons=recorded_reasons(mine),
    )
    if grid.table.empty:
        st.info("No dose recorded for this patient.")
        return
    st.html(course_grid_html(grid))
    st.caption(
        f"Past doses as recorded (with the reason recorded for a held dose) and as "
        f"assessed with {protocol.id} at their scheduled time; doses after now as "
        "scheduled, not predicted. Clear at every past dose (✔): "
        + (", ".join(titles.get(c, c) for c in grid.clear_throughout) or "none")
        + ". Given and held as recorded on this monitor are included (Dose record below)."
    )


patient_panel(chosen)
# Outside the auto-refreshing panel: a refresh never resets a form being filled in.
recording.dose_record(chosen)
recording.bedside_entry(chosen)
