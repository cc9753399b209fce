"""Sign-in in a real browser through a real OIDC provider (issue 12, item 4, "Done when").

The test starts ``oidc-provider-mock`` on localhost (no outside network) with a nurse and a
lead whose ID tokens carry a ``roles`` claim, starts the app with an ``[auth]`` section
pointing at it, and signs in with Debian's Chromium: each role reaches what it may and not
more. A second app, with a short idle time, signs an idle nurse out by itself.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from oidc_provider_mock import User, run_server_in_thread

from dashboard.store import access_log, open_store
from tests.test_browser import (  # noqa: F401 - the Chromium fixtures apply here too
    IDLE,
    browser_context_args,
    browser_type_launch_args,
    free_port,
    start_streamlit,
)

pytestmark = pytest.mark.browser

USERS = [
    User(sub="nurse@ward.test", claims={"email": "nurse@ward.test", "roles": ["nurse"]}),
    User(sub="lead@ward.test", claims={"email": "lead@ward.test", "roles": ["lead"]}),
]
IDLE_MINUTES = 0.25  # 15 s: the idle test waits for the sign-out by itself


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The identity provider, on a free localhost port (plain HTTP, allowed for tests)."""
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    with run_server_in_thread(port=free_port(), user_claims=USERS) as server:
        yield f"http://localhost:{server.server_port}"
    os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)


def _start_app(folder: Path, provider: str, idle_minutes: float) -> tuple[str, subprocess.Popen]:
    port = free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-that-is-long-enough-to-sign"\n'
        'client_id = "il2-monitor"\n'
        'client_secret = "il2-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("IL2_")}
    env |= {
        "IL2_IDLE_MINUTES": str(idle_minutes),
        "IL2_DATABASE_PATH": str(folder / "ward.sqlite3"),  # empty: the demo is shown
        "IL2_DEMO_DATABASE_DIR": str(folder / "demo"),
    }
    process = start_streamlit(port, env, folder / "streamlit.log", "--secrets.files", str(secrets))
    url = f"http://localhost:{port}"
    return url, process


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def signed_app(provider, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("signin")
    url, process = _start_app(folder, provider, idle_minutes=30)
    try:
        yield url, folder
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def idle_app(provider, tmp_path_factory) -> Iterator[str]:
    url, process = _start_app(tmp_path_factory.mktemp("idle"), provider, IDLE_MINUTES)
    try:
        yield url
    finally:
        _stop(process)


def sign_in(page, url: str, who: str) -> None:
    """Open the app, press Sign in, choose the user at the provider, come back signed in."""
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=who).click()  # the provider's page: a predefined user
    page.wait_for_url(url + "/**", timeout=30_000)
    # plain() puts an invisible word joiner after "@" (a bare address is never a link).
    shown = who.replace("@", "@\u2060")
    page.get_by_text(f"Signed in: {shown}").wait_for(timeout=60_000)


def nav_links(page) -> list[str]:
    links = page.locator("[data-testid='stSidebarNav'] a")
    return [text.split("\n")[-1].strip() for text in links.all_inner_texts()]  # after the icon


def ward_protocol_box(page):
    box = page.locator("[data-testid='stSelectbox']", has_text="Assess the ward with")
    return box.locator("input")


def test_nobody_sees_the_ward_before_signing_in(page, signed_app):
    url, _ = signed_app
    page.goto(url)
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    assert page.get_by_text("Ward: next doses").count() == 0
    assert page.locator("[data-testid='stDataFrame']").count() == 0


def test_a_nurse_and_a_lead_each_reach_what_their_role_allows(page, signed_app):
    url, folder = signed_app
    sign_in(page, url, "nurse@ward.test")
    page.get_by_text("Ward: next doses").wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
    assert page.get_by_text("Role: nurse").count() == 1
    assert "Import" not in nav_links(page)
    page.goto(url + "/import")  # typed by hand: not served
    page.wait_for_selector(IDLE, timeout=60_000)
    assert page.get_by_text("Import ward data").count() == 0
    page.goto(url + "/protocol")
    page.get_by_text("Protocol for the ward").wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    assert ward_protocol_box(page).is_disabled()
    page.get_by_role("button", name="Sign out").click()
    # Sign-out navigates to the provider's end-session page: wait for it, or the next goto
    # races that navigation (net::ERR_ABORTED on a loaded machine).
    page.wait_for_url("**/oauth2/end_session**", timeout=60_000)

    page.context.clear_cookies()  # the provider's confirmation page is not the point here
    sign_in(page, url, "lead@ward.test")
    page.wait_for_selector(IDLE, timeout=60_000)
    assert page.get_by_text("Role: lead").count() == 1
    assert "Import" in nav_links(page)
    page.goto(url + "/import")
    page.get_by_text("Import ward data").wait_for(timeout=60_000)
    page.goto(url + "/protocol")
    page.get_by_text("Protocol for the ward").wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    assert ward_protocol_box(page).is_enabled()

    store = open_store(f"sqlite:///{folder / 'ward.sqlite3'}")  # the log: the ward's record
    try:
        log = [(e["who"], e["role"], e["action"], e["page"]) for e in access_log(store)]
    finally:
        store.dispose()
    assert ("nurse@ward.test", "nurse", "sign-in", None) in log
    assert ("lead@ward.test", "lead", "open", "import") in log


def test_an_idle_nurse_is_signed_out_by_herself(page, idle_app):
    sign_in(page, idle_app, "nurse@ward.test")
    page.get_by_text("Ward: next doses").wait_for(timeout=60_000)
    # No clicks: within the idle time plus a timer tick the app signs her out.
    page.get_by_text("Ward: next doses").wait_for(state="detached", timeout=45_000)
    page.goto(idle_app)
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    assert page.get_by_text("Signed in:").count() == 0
