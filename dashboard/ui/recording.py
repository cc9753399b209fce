"""What the ward records on the patient page: the next dose given, held or delayed (with
a physician's override where the monitor says not to give), corrections, acknowledgements,
and a bedside entry when there is no electronic feed.

Drawn outside the auto-refresh fragment: a refresh reruns the fragment only, so a form
being filled in is never reset. Each submission reassesses first, so the snapshot kept
with the event is what the monitor shows at that moment. Who records is the signed-in
user; a physician's override is recorded by the physician signed in themself (a nurse is
refused and told to ask one to record it): Streamlit has no second-person sign-in step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Literal

import pandas as pd
import streamlit as st

from dashboard import store as ward_record
from dashboard.access import Action, Person
from dashboard.assessment import DoseAssessment
from dashboard.assessment.validity import ward_validity
from dashboard.errors import DataValidationError, MonitorUserError
from dashboard.protocols import Protocol
from dashboard.ui import common, data, signin, state
from dashboard.ui.store import app_store
from dashboard.views.dose_record import (
    acknowledgement_key,
    held_reason_options,
    history_rows,
    needs_override,
    snapshot,
    status_word,
)
from dashboard.vocabulary import load_vocabulary

SAVED = "recording_saved"  # the confirmation shown after the rerun a save triggers


def _dose_of(assessment: DoseAssessment) -> tuple[int, int]:
    """(cycle, dose number) of the dose being recorded; a user error when no dose is due
    (the forms are shown only for a due dose, so this guards a stale page)."""
    if assessment.cycle is None or assessment.dose_number is None:
        raise MonitorUserError("no dose is due for this patient: nothing to record")
    return int(assessment.cycle), int(assessment.dose_number)


def _who(person: Person) -> str:
    return person.who if person.signed_in else "no sign-in (demo)"


def _now_state(patient_id: str) -> tuple[DoseAssessment, Protocol, dict, data.LoadedWard]:
    """The patient's next dose as the monitor shows it now, and its snapshot."""
    at = state.now()
    current = state.current(at)
    assignment = state.assignment(current)
    if patient_id not in assignment:
        raise MonitorUserError(f"patient {patient_id} is not on this ward")
    assessment = data.assessment_of(data.next_doses(current, at, assignment), patient_id)
    protocol = data.protocol(assignment[patient_id])
    mine = data.subset(current.ward, (patient_id,))
    validity = ward_validity([assessment], {protocol.id: protocol}, mine.observations, at)
    return assessment, protocol, snapshot(assessment, protocol, validity.get(patient_id)), current


def _moment(day: date | None, clock: time | None, timezone: str, what: str) -> pd.Timestamp:
    """A date and time typed in the ward's zone, as UTC; a time that does not exist or
    exists twice on the wall clock (a DST change) is refused, never guessed."""
    if day is None or clock is None:
        raise MonitorUserError(f"{what}: give the date and the time")
    local = pd.Timestamp.combine(day, clock)
    try:
        return local.tz_localize(timezone, ambiguous="raise", nonexistent="raise").tz_convert("UTC")
    except (ValueError, TypeError):
        raise MonitorUserError(
            f"{what}: {local:%Y-%m-%d %H:%M} does not exist or is ambiguous in {timezone} "
            "(a clock change): give the time after the change"
        ) from None


def _ward_now(timezone: str) -> pd.Timestamp:
    """Now on the ward's wall clock (the form's default; the server's own zone may differ)."""
    return pd.Timestamp.now(tz=timezone).floor("min").tz_localize(None)


def _saved(message: str) -> None:
    st.session_state[SAVED] = message
    st.rerun()  # the page reassesses with the new record


def dose_record(patient_id: str) -> None:
    st.subheader("Dose record", anchor=False)
    # Always one slot here, message or not: an element that comes and goes would shift
    # everything after it, and Streamlit redraws shifted expanders closed (a correction's
    # form folding up under the nurse's hand).
    saved = st.container()
    if message := st.session_state.pop(SAVED, None):
        saved.success(message, icon=":material/check:")
    person = signin.current()
    try:
        store = app_store()
        assessment, protocol, shown, current = _now_state(patient_id)
    except MonitorUserError as error:
        st.error(f"The dose record cannot be used: {common.plain(str(error))}")
        return
    _acknowledgement(store, person, patient_id, assessment)
    due = assessment.dose_number is not None
    if not person.may(Action.RECORD):
        st.caption(
            f"Your role ({person.role or 'none'}) reads the record; nurses and physicians "
            "record doses."
        )
    elif not due:
        st.info("No dose is due for this patient: there is no next dose to record.")
    else:
        _next_dose_forms(store, person, patient_id, assessment, protocol, shown, current)
    events = ward_record.dose_events(store, patient_id)
    if events:
        st.caption(
            "Every event as recorded, newest first; a correction is a new event naming the "
            "one it corrects, which stays."
        )
        st.dataframe(
            history_rows(events, current.timezone),
            hide_index=True,
            width="stretch",
            key="dose_history",
        )
        if person.may(Action.RECORD):
            _correction(store, person, patient_id, events, shown, current.timezone)
    else:
        st.caption("Nothing recorded on this monitor yet for this patient.")


def _next_dose_forms(
    store: ward_record.Store,
    person: Person,
    patient_id: str,
    assessment: DoseAssessment,
    protocol: Protocol,
    shown: dict,
    current: data.LoadedWard,
) -> None:
    word = status_word(assessment.status)
    st.markdown(
        f"Next dose: **cycle {assessment.cycle}, dose {assessment.dose_number}**; the monitor "
        f"shows **{common.plain(word)}**."
    )
    # Lazy tabs: only the open one's form is built and drawn (the page is drawn sooner).
    # A dose the monitor would not give opens on "Held" (giving it is the override).
    given, held, delayed = st.tabs(
        ["Given", "Held", "Delayed"],
        default="Held" if needs_override(assessment.status) else "Given",
        key="record_tabs",
        on_change="rerun",
    )
    zone = current.timezone

    def record(kind: Literal["given", "held", "delayed"], fields: Callable[[], dict]) -> None:
        """Record this dose's event with ``fields()`` (which may refuse with a user error)."""
        try:
            cycle, dose_number = _dose_of(assessment)
            event = ward_record.record_dose_event(
                store,
                patient_id=patient_id,
                cycle=cycle,
                dose_number=dose_number,
                kind=kind,
                who=_who(person),
                snapshot=shown,
                **fields(),
            )
        except MonitorUserError as error:
            st.error(f"Not recorded: {common.plain(str(error))}")
        else:
            _saved(f"Recorded #{event.id}: dose {event.dose_number} {kind}.")

    if given.open:
        with given, st.form("record_given", clear_on_submit=True):
            local = _ward_now(zone)
            day = st.date_input("Date given", value=local.date(), key="given_date")
            clock = st.time_input(
                "Time given (ward time)", value=local.time(), step=60, key="given_time"
            )
            override = ""
            if needs_override(assessment.status):
                st.warning(
                    f"The monitor shows {word}: giving this dose needs a physician's override "
                    "with a reason, recorded by the physician signed in."
                )
                override = st.text_area("Physician's override: reason", key="given_override")
            note = st.text_input("Note", key="given_note")

            def given_fields() -> dict:
                moment = _moment(day, clock, zone, "Time given")
                if moment > pd.Timestamp.now(tz="UTC") + pd.Timedelta(minutes=5):
                    raise MonitorUserError("Time given is in the future: record a dose once given")
                by = None
                if needs_override(assessment.status):
                    if not person.may(Action.ACKNOWLEDGE):
                        raise MonitorUserError(
                            f"the monitor shows {word}: only a physician may override it. "
                            "Ask the physician to sign in and record the dose with the reason"
                        )
                    by = _who(person)
                return {
                    "at": moment.to_pydatetime(),
                    "note": note,
                    "override_by": by,
                    "override_reason": override or None,
                }

            if st.form_submit_button("Record given", type="primary"):
                record("given", given_fields)
    options = held_reason_options(assessment, protocol)
    if held.open:
        with held, st.form("record_held", clear_on_submit=True):
            chosen = st.multiselect(
                "Held because (the criteria on the card)", options, default=options, key="held_why"
            )
            other = st.text_input("Other reason", key="held_other")
            held_note = st.text_input("Note", key="held_note")
            if st.form_submit_button("Record held", type="primary"):
                reasons = [*chosen, *([other.strip()] if other.strip() else [])]
                record("held", lambda: {"reason": "; ".join(reasons), "note": held_note})
    if delayed.open:
        with delayed, st.form("record_delayed", clear_on_submit=True):
            until_day = st.date_input("Delayed until: date", value="today", key="delayed_date")
            until_clock = st.time_input(
                "Delayed until: time (ward time)", step=60, key="delayed_time"
            )
            why = st.text_input("Why", key="delayed_reason")
            delayed_note = st.text_input("Note", key="delayed_note")
            if st.form_submit_button("Record delayed", type="primary"):
                record(
                    "delayed",
                    lambda: {
                        "at": _moment(
                            until_day, until_clock, zone, "Delayed until"
                        ).to_pydatetime(),
                        "reason": why,
                        "note": delayed_note,
                    },
                )


def _correction(
    store: ward_record.Store,
    person: Person,
    patient_id: str,
    events: list,
    shown: dict,
    zone: str,
) -> None:
    current = ward_record.current_dose_events(events)
    # A refusal is said above the expander, where it is seen whether or not the section is
    # open (a message hidden in a closed one reads as "recorded").
    messages = st.container()
    # Keyed and lazy: its form is built only when opened, and it stays open across reruns.
    correcting = st.expander("Correct a recorded event", key="correct_open", on_change="rerun")
    if correcting.open:
        with correcting, st.form("record_correction"):
            target = st.selectbox(
                "Event to correct",
                [e.id for e in reversed(current)],
                format_func=lambda i: f"#{i}",
                key="correct_target",
            )
            kind: Literal["given", "held", "delayed"] = st.radio(
                "What happened", ["given", "held", "delayed"], key="correct_kind"
            )
            day = st.date_input("Date (given / delayed until)", value="today", key="correct_date")
            clock = st.time_input("Time (given / delayed until)", step=60, key="correct_time")
            reason = st.text_input("Reason (held or delayed)", key="correct_reason")
            note = st.text_input("Why this correction", key="correct_note")
            if st.form_submit_button("Record correction"):
                try:
                    if not note.strip():
                        raise MonitorUserError("say why this correction is made")
                    old = next(e for e in events if e.id == target)
                    at = (
                        None
                        if kind == "held"
                        else _moment(day, clock, zone, "Time").to_pydatetime()
                    )
                    event = ward_record.record_dose_event(
                        store,
                        patient_id=patient_id,
                        cycle=old.cycle,
                        dose_number=old.dose_number,
                        kind=kind,
                        who=_who(person),
                        snapshot=shown,
                        at=at,
                        reason=reason,
                        note=note,
                        corrects=old.id,
                        # A correction to "given" of a dose the monitor held needs the same
                        # physician's override as giving it did.
                        override_by=_who(person)
                        if kind == "given" and person.may(Action.ACKNOWLEDGE)
                        else None,
                        override_reason=note if kind == "given" else None,
                    )
                except MonitorUserError as error:
                    messages.error(f"Not recorded: {common.plain(str(error))}")
                else:
                    _saved(f"Recorded #{event.id}, correcting #{event.corrects}.")


def _acknowledgement(
    store: ward_record.Store, person: Person, patient_id: str, assessment: DoseAssessment
) -> None:
    key = acknowledgement_key(assessment)
    if assessment.status not in ward_record.records.ACKNOWLEDGED_STATUSES:
        return
    word = status_word(assessment.status)
    done = [
        a
        for a in ward_record.acknowledgements(store, patient_id)
        if (a.status, a.cycle, a.dose_number) == key
    ]
    if done:
        st.caption(
            f"{word} acknowledged by {common.plain(done[-1].who)} at "
            f"{done[-1].recorded_at:%Y-%m-%d %H:%M} UTC."
        )
        return
    st.warning(f"New {word}: not yet acknowledged by a physician.", icon=":material/flag:")
    if not person.may(Action.ACKNOWLEDGE):
        return
    with st.form("acknowledge"):
        note = st.text_input("Note (optional)", key="acknowledge_note")
        if st.form_submit_button(f"Acknowledge {word}"):
            try:
                ward_record.acknowledge(
                    store,
                    patient_id=patient_id,
                    status=assessment.status,
                    cycle=assessment.cycle,
                    dose_number=assessment.dose_number,
                    who=_who(person),
                    note=note,
                )
            except MonitorUserError as error:
                st.error(f"Not recorded: {common.plain(str(error))}")
            else:
                _saved(f"{word} acknowledged.")


# --------------------------------------------------------------------------- bedside

#: The pre-dose assessment's numeric fields: (parameter, label, unit as entered).
NUMBERS = (
    ("sbp", "SBP", "mm[Hg]"),
    ("dbp", "DBP", "mm[Hg]"),
    ("heart_rate", "Heart rate", "/min"),
    ("temperature", "Temperature", "Cel"),
    ("spo2", "SpO2", "%"),
    ("o2_flow", "Oxygen flow", "L/min"),
    ("resp_rate", "Respiratory rate", "/min"),
    ("urine_output", "Urine since the last entry", "mL"),
    ("weight", "Weight", "kg"),
    ("phenylephrine", "Phenylephrine", "ug/kg/min"),
    ("dopamine", "Dopamine", "ug/kg/min"),
    ("norepinephrine", "Norepinephrine", "ug/kg/min"),
)
#: Coded fields: (parameter, label, codes). The codes are the vocabulary's own; a code
#: outside it is refused by the validator like a file's would be.
CODES = (
    ("o2_device", "Oxygen device", ("room_air", "nasal_cannula", "mask", "high_flow", "intubated")),
    (
        "rhythm",
        "Rhythm",
        (
            "sinus",
            "sinus_tachycardia",
            "afib",
            "svt",
            "bradycardia_treated",
            "vt_sustained",
            "uncontrolled",
        ),
    ),
    ("mental_status", "Mental status", ("normal", "mild", "moderate", "severe")),
)
#: The neuro check's components, coded as the vocabulary says (saved with the grade).
COMPONENTS = ("orientation", "serial_sevens", "world_backwards")


def bedside_entry(patient_id: str) -> None:
    person = signin.current()
    if not person.may(Action.RECORD):
        return
    messages = st.container()  # above the expander, as for a correction
    entry = st.expander("Bedside entry (no electronic feed)", key="bedside_open", on_change="rerun")
    if entry.open:
        with entry, st.form("bedside", clear_on_submit=False):
            st.caption(
                "Fill in what was measured; empty fields are not saved (missing stays missing). "
                "Values are checked against the vocabulary as files are (units, plausible "
                "ranges); anything refused is named and nothing is saved."
            )
            local = _ward_now(state.current().timezone)
            day = st.date_input("Date", value=local.date(), key="bedside_date")
            clock = st.time_input(
                "Time (ward time)", value=local.time(), step=60, key="bedside_time"
            )
            columns = st.columns(3)
            typed: dict[str, str] = {}
            for i, (parameter, label, unit) in enumerate(NUMBERS):
                typed[parameter] = columns[i % 3].text_input(
                    f"{label} ({unit})", key=f"bedside_{parameter}"
                )
            chosen: dict[str, str | None] = {}
            for i, (parameter, label, codes) in enumerate(CODES):
                chosen[parameter] = columns[i % 3].selectbox(
                    label, codes, index=None, placeholder="not assessed", key=f"bedside_{parameter}"
                )
            st.caption(
                "Mental status components: saved with the entry; the grade above is what the "
                "protocols judge (moderate: disorientation, failed serial 7s or WORLD backwards)."
            )
            parts = st.columns(3)
            for i, parameter in enumerate(COMPONENTS):
                spec = load_vocabulary()[parameter]
                chosen[parameter] = parts[i].selectbox(
                    spec.label.split(" (")[0],
                    spec.codes,
                    index=None,
                    placeholder="not assessed",
                    format_func=spec.words.__getitem__,  # the vocabulary check: all have words
                    key=f"bedside_{parameter}",
                )
            if st.form_submit_button("Save bedside entry", type="primary"):
                values = {
                    p: (typed[p], unit) for p, _, unit in NUMBERS if typed[p] and typed[p].strip()
                }
                values |= {p: (code, "") for p, code in chosen.items() if code}
                try:
                    zone = state.current().timezone
                    moment = _moment(day, clock, zone, "Time of the assessment")
                    saved = ward_record.add_bedside_entry(
                        store=app_store(),
                        patient_id=patient_id,
                        time=moment.to_pydatetime(),
                        values=values,
                        who=_who(person),
                    )
                except DataValidationError as error:
                    messages.error(
                        "Not saved: "
                        + "; ".join(common.plain(f"{p.column}: {p.reason}") for p in error.problems)
                    )
                except MonitorUserError as error:
                    messages.error(f"Not saved: {common.plain(str(error))}")
                else:
                    _saved(f"Bedside entry saved: {len(saved)} values.")
