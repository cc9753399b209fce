"""A hostile ward in a real browser (issue 12, item 3): names, beds and reasons written as
markdown and HTML show as text; no image or link from the data is in the page, and the
browser never asks the address the data points at."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.hostile_ward import HOSTILE, HOSTILE_ID, write_hostile_ward
from tests.test_browser import (  # noqa: F401 - the Chromium fixtures apply here too
    IDLE,
    ROOT,
    STARTUP_SECONDS,
    browser_context_args,
    browser_type_launch_args,
    free_port,
    wait_healthy,
)

pytestmark = pytest.mark.browser
TARGET = "127.0.0.1:9"  # where the hostile image and link point


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory) -> Iterator[str]:
    folder = write_hostile_ward(tmp_path_factory.mktemp("hostile") / "ward")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IL2_")}
    env |= {
        "IL2_DATA_SOURCE": str(folder),
        "IL2_DATA_ROOT": str(folder),
        "IL2_NO_LOGIN": "1",
        "IL2_WARD_TIMEZONE": "UTC",
        "IL2_DATABASE_PATH": str(folder.parent / "ward.sqlite3"),
        "IL2_DEMO_DATABASE_DIR": str(folder.parent / "demo"),
    }
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "streamlit", "run", "dashboard/app.py"),
            *("--server.headless", "true", "--server.port", str(port)),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, STARTUP_SECONDS)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_hostile_ward_renders_no_markup_and_fetches_nothing(page, hostile_app):
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(hostile_app)
    page.get_by_text("Ward: next doses").wait_for(timeout=60_000)
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)

    page.goto(hostile_app + "/patient?patient=P%231")
    page.locator("[data-testid='dose-card']").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    # The heading reads literally (plain() puts invisible word joiners in bare addresses).
    headings = page.locator("h1,h2,h3").all_inner_texts()
    assert any(HOSTILE in text.replace("\u2060", "") for text in headings), headings
    assert page.locator(f"img[src*='{TARGET}']").count() == 0
    assert page.locator(f"a[href*='{TARGET}']").count() == 0
    assert page.locator(".js-plotly-plot a").count() == 0
    # The plots' hovers: the held dose's reason, hovered, is text too.
    for point in page.locator(".js-plotly-plot .point").all()[:40]:
        point.hover(force=True)
    assert page.locator(f"a[href*='{TARGET}'], img[src*='{TARGET}']").count() == 0

    page.goto(hostile_app + f"/patient?patient={HOSTILE_ID}")  # '#' unencoded: a fragment
    page.wait_for_selector(IDLE, timeout=60_000)
    assert not [url for url in asked if TARGET in url], asked
