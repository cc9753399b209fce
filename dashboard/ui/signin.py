"""Sign-in, roles, idle sign-out and the access log, for every page (issue 12, items 4-5).

:func:`gate` runs first on every full run (dashboard/app.py): it decides who is using the
session, or stops the run at the sign-in screen. Pages then ask :func:`allowed` /
:func:`require` before an action, and :func:`opened` writes the access log (into the store).

Idle sign-out: the time of the last full run (a click, a page change; not an automatic
refresh, which runs a fragment only) is kept on the server per sign-in, so a new tab or a
reload with the same identity cookie inherits it; a small timer fragment re-checks it
while nobody clicks and signs the browser out (``st.logout`` deletes the identity cookie).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import sqlalchemy as sa
import streamlit as st

from dashboard import settings
from dashboard.access import UNSIGNED, AccessError, Action, Person, read_roles_file, role_of, who_of
from dashboard.errors import MonitorUserError
from dashboard.store import log_access
from dashboard.ui import state
from dashboard.ui.common import plain
from dashboard.ui.store import on_demo, ward_record

PERSON = "signin_person"  # the Person of this session, set by gate() on every full run
LOGGED = "signin_logged"  # (page, patient) last written to the access log
DEMO_BANNER = "DEMO: no sign-in"


def auth_configured() -> bool:
    """Whether secrets.toml has an [auth] section (Streamlit's st.login configuration)."""
    try:
        return bool(st.secrets.get("auth"))
    except FileNotFoundError:  # no secrets.toml at all
        return False


def current() -> Person:
    """The person of this session (gate() has run before any page)."""
    return st.session_state.get(PERSON) or Person("nobody", "", False)


def allowed(action: Action) -> bool:
    return current().may(action)


def require(action: Action, page: str) -> None:
    """Stop the page unless the session's role may take ``action``."""
    person = current()
    if person.may(action):
        return
    log(person, f"refused: {action}", page)
    st.error(
        f"Your role ({person.role or 'none'}) may not {action}. Ask the ward lead if you need to."
    )
    st.stop()


def log(person: Person, action: str, page: str | None = None, patient: str | None = None):
    """One entry of the access log, in the ward's record."""
    try:
        # Into the ward's record always (the demo's record is replaced every hour):
        # who signed in, and who was refused, are kept.
        log_access(
            ward_record(),
            who=person.who,
            role=person.role,
            action=action,
            page=page,
            patient=patient,
        )
    except (sa.exc.SQLAlchemyError, MonitorUserError) as error:
        # An access that cannot be logged is not shown (the one place a database error is
        # caught: failing closed is the point).
        why = str(error) if isinstance(error, MonitorUserError) else type(error).__name__
        st.error(f"The access log cannot be written; nothing is shown until it can: {plain(why)}.")
        st.stop()


def opened(page: str, patient: str | None = None) -> None:
    """Log that this session opened a page (or a patient), once per change: a rerun or an
    automatic refresh of the same page is not a new access."""
    key = (page, patient)
    if st.session_state.get(LOGGED) != key:
        st.session_state[LOGGED] = key
        log(current(), "open", page, patient)


# --------------------------------------------------------------------------- idle


@st.cache_resource
def _last_activity() -> dict[str, float]:
    """Sign-in key -> time of the last click, for every session of this server."""
    return {}


def _sign_in_key(claims: Mapping[str, object]) -> str:
    # The token's issue time tells one sign-in from the next of the same person.
    return "|".join(str(claims.get(k, "")) for k in ("provider", "iss", "sub", "iat"))


def _idle_for(claims: Mapping[str, object], now: float) -> float:
    """Seconds since this sign-in's last click (since the sign-in itself when the server
    has not seen a click: after a restart, an old cookie is not trusted)."""
    last = _last_activity().get(_sign_in_key(claims))
    if last is None:
        issued = claims.get("iat")
        last = float(issued) if isinstance(issued, int | float) else now
    return now - last


def _sign_out(person: Person, why: str) -> None:
    log(person, why)
    st.session_state.pop(PERSON, None)
    st.logout()
    st.stop()


def _idle_watch(claims: Mapping[str, object], limit: float) -> None:
    @st.fragment(run_every=max(1.0, min(30.0, limit / 4)))
    def watch() -> None:
        if _idle_for(claims, time.time()) > limit:
            _sign_out(current(), "idle sign-out")

    with st.sidebar:
        watch()


# --------------------------------------------------------------------------- gate


def _sign_in_screen() -> None:
    st.header("IL-2 toxicity monitor", anchor=False)
    st.markdown("Sign in to see the ward.")
    if st.button("Sign in", type="primary", key="signin_button"):
        st.login()
    st.stop()


def _refused(message: str) -> None:
    st.error(message)
    st.stop()


def gate() -> Person:
    """Who uses this session, checked on every full run; stops the run at the sign-in
    screen (or with the reason) when nobody may see the ward."""
    if not auth_configured():
        demo_only = not settings.reaches_real_data() and on_demo()
        if not demo_only and not settings.no_login():
            _refused(
                "This monitor is set to open patient data but has no sign-in configured "
                "([auth] in .streamlit/secrets.toml). Configure it, or start with "
                "--no-login on purpose."
            )
        st.session_state[PERSON] = UNSIGNED
        st.session_state[state.DEMO_ONLY] = demo_only and not settings.no_login()
        with st.container(key="demo_banner"):  # compact (PAGE_CSS): the card stays in view
            st.warning(
                f"{DEMO_BANNER}. Anyone who can open this page sees and changes everything.",
                icon=":material/lock_open:",
            )
        return UNSIGNED
    claims = st.user.to_dict()
    if not claims.get("is_logged_in"):
        st.session_state.pop(PERSON, None)
        _sign_in_screen()
    try:
        limit = settings.idle_minutes() * 60
        file = settings.roles_file()
        roles = read_roles_file(file) if file else {}
    except (AccessError, MonitorUserError) as error:
        _refused(f"Sign-in setup: {plain(str(error))}")
    person = Person(who_of(claims), role_of(claims, settings.role_claim(), roles), True)
    now = time.time()
    if _idle_for(claims, now) > limit:
        _sign_out(person, "idle sign-out")
    _last_activity()[_sign_in_key(claims)] = now
    if st.session_state.get(PERSON) != person:
        log(person, "sign-in")
    st.session_state[PERSON] = person
    with st.sidebar:
        st.markdown(f"Signed in: **{plain(person.who)}**  \nRole: **{person.role or 'none'}**")
        if st.button("Sign out", key="signin_out", icon=":material/logout:"):
            _sign_out(person, "sign-out")
    _idle_watch(claims, limit)
    if not person.role:
        _refused(
            f"{plain(person.who)} is signed in but has no role on this monitor "
            "(viewer, nurse, physician or lead). Ask the ward lead."
        )
    return person
