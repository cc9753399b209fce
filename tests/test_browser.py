"""One real browser: Debian's Chromium drives the running app (pytest-playwright).

Loads the ward, opens a patient, checks the next-dose card and saves a screenshot under
the test's output folder. Never skipped: without /usr/bin/chromium it fails and says how
to install it (CI installs it; ``playwright install`` is not used).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard import DEMO_DIR
from dashboard.views.ward_rows import COLUMN_PX, WRAPPED_ROW_PX

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
STARTUP_SECONDS = 60
HEADER_PX = 35  # st.dataframe's header row
ROW_SELECTOR_PX = 34  # the row-selection box at a row's left

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer {url}/_stcore/health in {seconds} s")


def start_streamlit(port: int, env: dict[str, str], log: Path, *options: str) -> subprocess.Popen:
    """`streamlit run dashboard/app.py` on ``port`` with ``env`` (output to ``log``, extra
    Streamlit ``options``), returned once its health check answers. The one way the
    browser tests start the app."""
    with open(log, "w", encoding="utf-8") as output:  # the child keeps its own copy
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "dashboard/app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--browser.gatherUsageStats",
                "false",
                *options,
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, STARTUP_SECONDS)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on a free port, on the demo ward; stopped after."""
    port = free_port()
    folder = tmp_path_factory.mktemp("streamlit")
    env = {key: value for key, value in os.environ.items() if key != "IL2_DATA_SOURCE"}
    # Set here: a module's fixture starts before the per-test settings of conftest.py.
    env |= {
        "IL2_DATABASE_PATH": str(folder / "ward.sqlite3"),  # empty: the demo is shown
        "IL2_DEMO_DATABASE_DIR": str(folder / "demo"),
    }
    process = start_streamlit(port, env, folder / "streamlit.log")
    url = f"http://127.0.0.1:{port}"
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's Chromium "
            "(`apt-get install chromium`) to run the browser test; "
            "`playwright install` is not used.",
            pytrace=False,
        )
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 768}}


def patient_cell_centre(page, row: int) -> tuple[float, float]:
    """Where the ward table draws row ``row``'s patient name (the grid is a canvas: its
    cells have no boxes of their own, so the point comes from the column widths)."""
    box = page.locator("[data-testid='stDataFrame']").first.bounding_box()
    before = ROW_SELECTOR_PX + COLUMN_PX["Status"] + COLUMN_PX["Bed"]
    return (
        box["x"] + before + COLUMN_PX["Patient"] / 2,
        box["y"] + HEADER_PX + WRAPPED_ROW_PX * row + WRAPPED_ROW_PX / 2,
    )


def test_ward_then_patient_in_a_real_browser(page, app_url, output_path):
    page.goto(app_url)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.get_by_text("Ward: next doses").wait_for()
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    assert page.get_by_text("Data as of").count() >= 1
    Path(output_path).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(output_path) / "ward.png"))

    # A click on a patient's name opens the patient; Back returns to the ward.
    page.mouse.click(*patient_cell_centre(page, 0))
    page.wait_for_url("**/patient?patient=*", timeout=30_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.locator("[data-testid='dose-card']").wait_for(timeout=30_000)
    page.go_back()
    page.wait_for_url(app_url + "/", timeout=30_000)
    page.get_by_text("Ward: next doses").wait_for(timeout=30_000)
    page.wait_for_selector(IDLE, timeout=60_000)

    # The picker, as a nurse without a precise mouse uses it: type a name, choose it.
    page.get_by_label("Open a patient (type a bed or a name)").click()
    page.keyboard.type("Elena")
    page.get_by_role("option", name="Demo, Elena (DEMO-05)").click()
    page.wait_for_url("**/patient?patient=DEMO-05", timeout=30_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    card = page.locator("[data-testid='dose-card']")
    card.wait_for(timeout=30_000)
    text = card.inner_text()
    assert "dose 7 (C1) due" in text
    assert any(word in text for word in ("HOLD", "INCOMPLETE", "CLEAR"))
    assert "Assessed as of" in text
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    assert page.get_by_text("supports the clinical decision").count() >= 1
    page.screenshot(path=str(Path(output_path) / "patient-DEMO-05.png"), full_page=True)

    # Rounds: at 1920x1080 the card and the decision panels show without scrolling; at
    # 1366x768 the panels fit the screen below the card (one scroll).
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.reload()
    page.wait_for_selector(IDLE, timeout=60_000)
    chart = page.locator("[data-testid='stPlotlyChart']").first
    chart.locator(".main-svg").first.wait_for(timeout=30_000)
    box = chart.bounding_box()
    assert box["y"] + box["height"] <= 1080, box
    page.screenshot(path=str(Path(output_path) / "patient-DEMO-05-1920.png"))
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_timeout(500)
    assert chart.bounding_box()["height"] <= 768 - 60  # below the header, one screen


def test_every_demo_patients_card_and_decision_panels_fit_1920x1080(page, app_url):
    """Rounds at 1920x1080: the card and the decision panels without scrolling, for every
    patient of the demo (a card with many findings included), not one chosen patient."""
    page.set_viewport_size({"width": 1920, "height": 1080})
    ids = [line.split(",", 1)[0] for line in (DEMO_DIR / "patients.csv").read_text().splitlines()]
    checked = []
    for patient_id in ids[1:]:
        page.goto(f"{app_url}/patient?patient={patient_id}")
        page.wait_for_selector(IDLE, timeout=60_000)
        card = page.locator("[data-testid='dose-card']")
        card.wait_for(timeout=30_000)
        chart = page.locator("[data-testid='stPlotlyChart']").first
        chart.locator(".main-svg").first.wait_for(timeout=30_000)
        box = chart.bounding_box()
        assert box["y"] + box["height"] <= 1080, (patient_id, box, card.bounding_box())
        checked.append(patient_id)
    assert len(checked) == len(ids) - 1 >= 9
