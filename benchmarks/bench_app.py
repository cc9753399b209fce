"""App benchmark: server time of page reruns, and time to a drawn patient page in Chromium.

    .venv/bin/python -m benchmarks.bench_app [--patients 30] [--runs 7]

1. Server time (AppTest, no browser) of a rerun of the ward page with N patients and of
   the patient page, caches warm (a rerun is what every click and every auto-refresh
   costs). Targets: 300 ms and 400 ms.
2. In headless Debian Chromium, from navigation to /patient?patient=ID: the time until the
   dose card is readable (what the nurse waits for), and the time until the page is fully
   drawn (card, trend plots, script idle). The yardstick is the same one-chart page on a
   sub-path of a two-page app (benchmarks/minimal_multipage.py), fully drawn, measured in
   the same run, interleaved: any deep link pays Streamlit's own sub-path cost, so that is
   the fair comparison. Targets: the card readable <= 1.1x the yardstick (the card must not
   wait for the trends); the full page <= 1.5x (the rounds issue). For context the chart
   at the root of its own app (benchmarks/minimal_page.py) is timed too.

The ward is the demo generator's, moved to the real clock (benchmarks/out/, not in git),
imported into a fresh ward's record that the app reads, as it does in use: a SQLite file
beside it, or the PostgreSQL database of ``--database-url`` (its tables must be empty; a
fresh schema is the simple way: ``...?options=-csearch_path=bench``; it is migrated here).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd

from benchmarks._machine import describe_machine
from dashboard.demo import clock
from dashboard.demo.ward import build_demo_ward

ROOT = Path(__file__).resolve().parent.parent
#: The app's safe settings (script-level beside app.py), given to the yardstick pages too
#: so that every page measured runs with the same Streamlit configuration.
APP_SETTINGS = ROOT / "dashboard" / ".streamlit" / "config.toml"

OUT = ROOT / "benchmarks" / "out"
TARGET_WARD_MS = 300
TARGET_PATIENT_MS = 400
TARGET_CARD_RATIO = 1.1  # dose card readable / one-chart sub-path page fully drawn
TARGET_FULL_RATIO = 1.5  # patient page fully drawn / the same yardstick
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def write_ward(patients: int) -> Path:
    """A demo ward of ``patients`` patients, shifted so that now is mid-cycle."""
    folder = OUT / f"app-ward-{patients}"
    folder.mkdir(parents=True, exist_ok=True)
    frames = build_demo_ward(patients)
    now = pd.Timestamp.now(tz=clock.WARD_TIMEZONE)
    shifted = clock.shift_ward(*frames, clock.DEMO_ANCHOR, now)
    for name, frame in zip(("patients", "doses", "observations"), shifted, strict=True):
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def into_store(folder: Path, database_url: str | None) -> tuple[dict[str, str], float]:
    """Import the ward into a fresh record; (the settings that make the app read it, the
    seconds the import took)."""
    from dashboard.store import import_ward, open_store, upgrade
    from dashboard.store.database import Store, make_engine

    if database_url is not None:  # a hospital's schema is made on purpose: here, by us
        migrating = Store(make_engine(database_url))
        upgrade(migrating)
        migrating.dispose()
    else:
        database = folder / "ward.sqlite3"
        for old in folder.glob("ward.sqlite3*"):
            old.unlink()
        database_url = f"sqlite:///{database}"
    store = open_store(database_url, upgrade_if_new=True)
    started = time.perf_counter()
    try:
        import_ward(store, folder, who="bench_app", timezone=clock.WARD_TIMEZONE)
    finally:
        store.dispose()
    # A generated ward is real data to the app: it opens it without sign-in only as
    # `--no-login` says (IL2_NO_LOGIN=1), which is what this measurement needs.
    settings = {"IL2_DATABASE_URL": database_url, "IL2_NO_LOGIN": "1"}
    return settings, time.perf_counter() - started


def server_times(runs: int) -> tuple[list[float], list[float], str, tuple[float, float]]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=300)
    at.session_state["timezone"] = clock.WARD_TIMEZONE
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started  # load + assess: fills the caches
    if at.exception:
        raise SystemExit(f"ward page failed: {at.exception[0].value}")
    table = at.dataframe(key="ward_table").value
    # The most severe patient with a dose waiting: the nurse's case (a card with reasons).
    waiting = table[table["Dose"] != "none due"]  # a dose is due: the nurse's full card
    patient = str(waiting["patient_id"].iloc[0])
    ward = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()
        ward.append(time.perf_counter() - started)
    # One bedside entry (what a nurse's save does to the store), then the next ward rerun:
    # the data version moved, so the ward is read again and every patient reassessed.
    from dashboard.settings import database_url
    from dashboard.store import add_bedside_entry, open_store

    store = open_store(database_url())
    try:
        add_bedside_entry(
            store,
            patient_id=patient,
            time=pd.Timestamp.now(tz="UTC").floor("min").to_pydatetime(),
            values={"heart_rate": ("88", "/min")},
            who="bench_app",
        )
    finally:
        store.dispose()
    started = time.perf_counter()
    at.run()
    after_record = time.perf_counter() - started
    at.query_params["patient"] = patient
    at.switch_page("screens/patient.py").run()
    if at.exception:
        raise SystemExit(f"patient page failed: {at.exception[0].value}")
    page = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()
        page.append(time.perf_counter() - started)
    return ward, page, patient, (cold, after_record)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def settings_flags() -> list[str]:
    """APP_SETTINGS as `streamlit run` flags (`--server.headless true`, ...)."""
    flags = []
    for section, options in tomllib.loads(APP_SETTINGS.read_text(encoding="utf-8")).items():
        for key, value in options.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags += [f"--{section}.{key}", text]
    return flags


def start(script: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            script,
            *settings_flags(),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return process, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"{script} did not start")


def drawn(page, url: str, card: bool) -> tuple[float, float]:
    """(seconds until the dose card is readable, or NaN without one; seconds until the page
    is fully drawn: a plot drawn and the script idle)."""
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    readable = float("nan")
    if card:
        # Readable: the card's status word is on screen (not merely in the DOM).
        page.wait_for_selector("[data-testid='dose-card']", state="visible", timeout=120_000)
        readable = time.perf_counter() - started
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
    page.wait_for_selector(IDLE, timeout=120_000)
    return readable, time.perf_counter() - started


def browser_times(
    patient: str, runs: int
) -> tuple[list[float], list[float], list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "IL2_WARD_TIMEZONE": clock.WARD_TIMEZONE}  # with into_store's
    app, app_url = start("dashboard/app.py", env)
    minimal, minimal_url = start("benchmarks/minimal_page.py", dict(os.environ))
    multipage, multipage_url = start("benchmarks/minimal_multipage.py", dict(os.environ))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            drawn(page, f"{app_url}/patient?patient={patient}", True)  # warm the caches
            drawn(page, minimal_url, False)
            drawn(page, f"{multipage_url}/chart", False)
            card, full, small, sub_path = [], [], [], []
            for _ in range(runs):  # interleaved, so that all see the same machine load
                readable, whole = drawn(page, f"{app_url}/patient?patient={patient}", True)
                card.append(readable)
                full.append(whole)
                small.append(drawn(page, minimal_url, False)[1])
                sub_path.append(drawn(page, f"{multipage_url}/chart", False)[1])
            browser.close()
    finally:
        for process in (app, minimal, multipage):
            process.terminate()
            process.wait()
    return card, full, small, sub_path


def _verdict(value: float, target: float) -> str:
    return f"target <= {target}x: {'met' if value <= target else 'NOT met'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=30)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL schema to read from (default: SQLite)"
    )
    args = parser.parse_args()

    folder = write_ward(args.patients)
    store_settings, import_s = into_store(folder, args.database_url)
    os.environ.update(store_settings)  # for AppTest here and the app process started below
    os.environ.pop("IL2_DATA_SOURCE", None)
    ward, patient_page, patient, (cold, after_record) = server_times(args.runs)
    ms = statistics.median(ward) * 1000
    pms = statistics.median(patient_page) * 1000
    print(f"machine: {describe_machine()}")
    print(f"ward: {folder} ({args.patients} patients)")
    backend = store_settings["IL2_DATABASE_URL"].split(":", 1)[0]
    print(f"read from the ward's record ({backend}); import took {import_s:.2f} s")
    print(
        f"ward page, first run (AppTest, server; cold: the store read and the engine): "
        f"{cold * 1000:.0f} ms; the rerun after a bedside entry (the ward read and "
        f"assessed again): {after_record * 1000:.0f} ms"
    )
    print(
        f"ward page rerun (AppTest, server): median {ms:.0f} ms over {args.runs} runs "
        f"(target <= {TARGET_WARD_MS} ms: {'met' if ms <= TARGET_WARD_MS else 'NOT met'})"
    )
    print(
        f"patient page rerun (AppTest, server, {patient}): median {pms:.0f} ms "
        f"(target <= {TARGET_PATIENT_MS} ms: "
        f"{'met' if pms <= TARGET_PATIENT_MS else 'NOT met'})"
    )
    if args.no_browser:
        return 0
    card, full, small, sub_path = browser_times(patient, args.runs)
    card_s, full_s = statistics.median(card), statistics.median(full)
    small_s, sub_s = statistics.median(small), statistics.median(sub_path)
    print(f"browser yardstick, one-chart sub-path page fully drawn: median {sub_s:.2f} s")
    print(
        f"browser, dose card readable: median {card_s:.2f} s = {card_s / sub_s:.2f}x "
        f"({_verdict(card_s / sub_s, TARGET_CARD_RATIO)})"
    )
    print(
        f"browser, patient page fully drawn: median {full_s:.2f} s = {full_s / sub_s:.2f}x "
        f"({_verdict(full_s / sub_s, TARGET_FULL_RATIO)})"
    )
    print(
        f"  context: the one chart at the root of its own app: median {small_s:.2f} s; "
        f"the sub-path page is {sub_s / small_s:.2f}x that (Streamlit's own cost of a "
        f"deep link)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
