"""Who may see and do what (issue 12, items 4-5): roles from the ID token or a roles file,
each page and action checked, the sign-in screen, idle sign-out, the demo banner, the
refusal to open real data without sign-in, and the access log."""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import app_cli
from dashboard.access import ROLES, AccessError, Action, Person, read_roles_file, role_of
from dashboard.errors import MonitorUserError
from dashboard.store import access_log, open_store
from dashboard.ui.common import plain
from tests.app_wards import write_ward

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-secret-test-secret-test-secret",
    "client_id": "il2",
    "client_secret": "il2-secret",
    "server_metadata_url": "http://localhost:9/.well-known/openid-configuration",
}


def _signed_in(role: str | None, email: str = "nurse@ward.test", **claims) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email, "sub": email, "iat": int(time.time())}
    if role is not None:
        at.user["roles"] = [role]
    at.user.update(claims)
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [w.value for w in at.warning]
    parts += [str(h.value) for h in [*at.header, *at.subheader]]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def access_entries(ward_record_in_tmp):
    """The access log, kept in the ward's record (even while the demo is shown), as a
    function returning its entries, oldest first."""

    def entries() -> list[dict]:
        store = open_store(f"sqlite:///{ward_record_in_tmp}")
        try:
            return access_log(store)
        finally:
            store.dispose()

    return entries


def _no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


# --------------------------------------------------------------------------- roles


def test_each_role_may_what_the_one_before_may_and_more():
    may = {role: {a for a in Action if Person("x", role, True).may(a)} for role in ROLES}
    assert may["viewer"] == {Action.READ}
    assert may["nurse"] == {Action.READ, Action.RECORD}
    assert may["physician"] == {Action.READ, Action.RECORD, Action.ACKNOWLEDGE}
    assert may["lead"] == set(Action)
    assert not any(Person("x", "", True).may(a) for a in Action)  # no role: nothing
    assert not any(Person("x", "admin", True).may(a) for a in Action)  # unknown: nothing


def test_the_role_comes_from_the_claim_else_the_roles_file():
    file = {"pat@ward.test": "physician"}
    assert role_of({"roles": "nurse", "email": "pat@ward.test"}, "roles", file) == "nurse"
    assert role_of({"groups": ["viewer", "Lead"]}, "groups", {}) == "lead"  # widest known
    assert role_of({"roles": ["admin"], "email": "PAT@ward.test"}, "roles", file) == "physician"
    assert role_of({"email": "other@ward.test"}, "roles", file) == ""
    assert role_of({}, "roles", file) == ""


def test_a_roles_file_with_an_unknown_role_is_refused(tmp_path):
    good = tmp_path / "roles.csv"
    good.write_text("email,role\nA@ward.test,lead\nb@ward.test, nurse\n", encoding="utf-8")
    assert read_roles_file(good) == {"a@ward.test": "lead", "b@ward.test": "nurse"}
    bad = tmp_path / "bad.csv"
    bad.write_text("email,role\na@ward.test,admin\n", encoding="utf-8")
    with pytest.raises(AccessError, match="line 2"):
        read_roles_file(bad)
    with pytest.raises(AccessError, match="email,role"):
        (tmp_path / "cols.csv").write_text("who,role\n", encoding="utf-8")
        read_roles_file(tmp_path / "cols.csv")


# --------------------------------------------------------------------------- the app


def test_with_sign_in_configured_nobody_sees_the_ward_before_signing_in():
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False}
    at.run()
    _no_exceptions(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe
    assert "Ward: next doses" not in _texts(at)


def test_a_nurse_reads_the_ward_but_cannot_import_or_choose_protocols(access_entries):
    at = _signed_in("nurse")
    at.run()
    _no_exceptions(at)
    texts = _texts(at)
    assert "Ward: next doses" in texts
    assert plain("nurse@ward.test") in texts and "Role: **nurse**" in texts
    assert any(b.label == "Sign out" for b in at.button)
    assert "DEMO: no sign-in" not in texts
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("screens/importing.py")  # the Import page is not in her navigation
    at.switch_page("screens/protocol.py").run()
    _no_exceptions(at)
    assert at.selectbox(key="protocol_ward_choice").disabled
    assert not [s for s in at.selectbox if s.key == "protocol_override_patient"]
    at.switch_page("screens/settings.py").run()
    assert not [link for link in at.get("page_link") if "Import" in str(link.proto.label)]


def test_the_import_page_itself_refuses_a_nurse(access_entries):
    at = AppTest.from_file(str(Path(APP).parent / "screens" / "importing.py"), default_timeout=120)
    at.session_state["signin_person"] = Person("nurse@ward.test", "nurse", True)
    at.run()
    assert "may not import" in _texts(at)
    assert not at.text_input  # no path box, no uploader
    entries = access_entries()
    assert entries[-1]["action"] == "refused: import"
    assert entries[-1]["who"] == "nurse@ward.test"


def test_a_lead_imports_and_chooses_protocols():
    at = _signed_in("lead", email="lead@ward.test")
    at.run()
    at.switch_page("screens/importing.py").run()
    _no_exceptions(at)
    assert "Import ward data" in _texts(at)
    at.switch_page("screens/protocol.py").run()
    assert not at.selectbox(key="protocol_ward_choice").disabled
    assert at.selectbox(key="protocol_override_patient")


def test_a_role_from_the_roles_file(tmp_path, monkeypatch):
    roles = tmp_path / "roles.csv"
    roles.write_text("email,role\nviewer@ward.test,viewer\n", encoding="utf-8")
    monkeypatch.setenv("IL2_ROLES_FILE", str(roles))
    at = _signed_in(None, email="viewer@ward.test")
    at.run()
    _no_exceptions(at)
    assert "Role: **viewer**" in _texts(at)
    assert "Ward: next doses" in _texts(at)


def test_signed_in_without_a_role_sees_nothing():
    at = _signed_in(None, email="stranger@ward.test")
    at.run()
    texts = _texts(at)
    assert "has no role on this monitor" in texts
    assert "Ward: next doses" not in texts
    assert not at.dataframe


def test_the_role_claim_name_is_a_setting(monkeypatch):
    monkeypatch.setenv("IL2_ROLE_CLAIM", "il2_role")
    at = _signed_in(None, email="doc@ward.test", il2_role="physician")
    at.run()
    assert "Role: **physician**" in _texts(at)


def test_an_idle_sign_in_is_signed_out(monkeypatch, access_entries):
    monkeypatch.setenv("IL2_IDLE_MINUTES", "1")
    # Signed in two minutes ago, no click seen since: signed out on the next run.
    at = _signed_in("nurse", iat=int(time.time()) - 120, sub="idle-nurse")
    at.run()
    assert "Ward: next doses" not in _texts(at)
    assert not at.dataframe
    assert at.user.get("is_logged_in") is False
    assert access_entries()[-1]["action"] == "idle sign-out"


def test_a_recent_sign_in_is_not_idle(monkeypatch):
    monkeypatch.setenv("IL2_IDLE_MINUTES", "1")
    at = _signed_in("nurse", iat=int(time.time()) - 20, sub="busy-nurse")
    at.run()
    assert "Ward: next doses" in _texts(at)


def test_the_demo_says_there_is_no_sign_in():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    _no_exceptions(at)
    assert any("DEMO: no sign-in" in w.value for w in at.warning)
    assert "Ward: next doses" in _texts(at)


def test_real_data_without_sign_in_is_refused_unless_no_login(tmp_path, monkeypatch):
    folder = write_ward(tmp_path / "ward")
    monkeypatch.setenv("IL2_DATA_SOURCE", str(folder))
    monkeypatch.delenv("IL2_NO_LOGIN", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert "no sign-in configured" in _texts(at)
    assert "Ward: next doses" not in _texts(at)
    monkeypatch.setenv("IL2_NO_LOGIN", "1")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    _no_exceptions(at)
    assert any("DEMO: no sign-in" in w.value for w in at.warning)
    assert "Ward: next doses" in _texts(at)


# --------------------------------------------------------------------------- start-up


def _app_args(data: Path | None, no_login: bool) -> argparse.Namespace:
    return argparse.Namespace(
        data=str(data) if data else None, timezone=None, no_login=no_login, port=1, address=None
    )


def test_the_app_command_refuses_real_data_without_sign_in(tmp_path, monkeypatch, capsys):
    folder = write_ward(tmp_path / "ward")
    monkeypatch.delenv("IL2_DATA_SOURCE", raising=False)
    monkeypatch.delenv("IL2_DATA_ROOT", raising=False)
    monkeypatch.setattr(app_cli, "secrets_files", lambda: (tmp_path / "none.toml",))
    with pytest.raises(MonitorUserError, match="--no-login"):
        app_cli.app_environment(_app_args(folder, no_login=False))
    env = app_cli.app_environment(_app_args(folder, no_login=True))
    assert env["IL2_NO_LOGIN"] == "1"
    assert "WARNING: --no-login" in capsys.readouterr().err
    # The demo needs no sign-in; with [auth] configured, real data needs no --no-login.
    assert "IL2_NO_LOGIN" not in app_cli.app_environment(_app_args(None, no_login=False))
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nclient_id = "x"\n', encoding="utf-8")
    monkeypatch.setattr(app_cli, "secrets_files", lambda: (secrets,))
    assert "IL2_NO_LOGIN" not in app_cli.app_environment(_app_args(folder, no_login=False))


# --------------------------------------------------------------------------- access log


def test_opening_a_patient_is_logged_with_who_role_and_when(access_entries):
    at = _signed_in("nurse")
    at.run()
    at.switch_page("screens/patient.py")
    at.query_params["patient"] = "DEMO-05"
    at.run()
    _no_exceptions(at)
    at.run()  # a rerun of the same patient is not a new access
    entries = access_entries()
    opened = [e for e in entries if e["action"] == "open"]
    assert [(e["page"], e["patient"]) for e in opened] == [("ward", None), ("patient", "DEMO-05")]
    assert {e["who"] for e in entries} == {"nurse@ward.test"}
    assert {e["role"] for e in entries} == {"nurse"}
    assert all(e["at"].utcoffset() == timedelta(0) for e in entries)
    assert entries[0]["action"] == "sign-in"
