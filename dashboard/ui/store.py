"""The app's ward: the ward's record (dashboard.store), shared by every session and process.

Which store the app shows, decided on every run (cheap: one small query, cached once true):

- **the ward's record** (IL2_DATABASE_URL, else the SQLite file of IL2_DATABASE_PATH) when
  it holds a patient, or when IL2_DATA_SOURCE names files: those are imported into it on
  the first page run of each app process, and again whenever the files change (through
  the same validator as ``il2-monitor import --keep-going``: the valid rows go in, the
  refused ones are listed in the import's report and said on every page; the same content
  again adds nothing);
- otherwise **the demo's record**: a SQLite file under IL2_DEMO_DATABASE_DIR seeded from
  the shipped demo ward with its story moved to the clock. The story runs on in real time
  (recordings count) and a new file is seeded every DEMO_WINDOW (an hour), so the demo
  always shows its story as written; older demo files are removed.

A store whose schema this code does not know is refused with StoreError (a user error the
app shows). Everything read is cached on the store's data version, which every import,
dose event and bedside entry changes: a recording shows at once in every session
(acknowledgements are read on every run).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from dashboard import settings
from dashboard.demo import clock
from dashboard.errors import MonitorUserError
from dashboard.store import (
    Store,
    StoreError,
    acknowledgements,
    data_version,
    holds_ward,
    import_ward,
    load_frames,
    open_store,
)
from dashboard.tables import WardData
from dashboard.ui.data import LoadedWard, path_version

#: How long one demo record lives. The story's "now" sits mid-window, so the clock is never
#: more than 30 minutes from it: the story's last readings are at most 30 minutes ahead of
#: the clock, and its next doses (90 minutes after its "now") are never yet overdue. Longer
#: windows showed a different story (readings in the future, a neuro check gone stale).
DEMO_WINDOW = pd.Timedelta(hours=1)
DEMO_SEEDER = "demo seed (synthetic patients)"
DEMO_STAMP = "%Y%m%dT%H%MZ"  # a demo record's window start (UTC), in its file name
FEED_IMPORTER = "IL2_DATA_SOURCE (the app's feed)"


@dataclass(frozen=True)
class WardStore:
    """The store the app shows and what to call it."""

    store: Store
    url: str  # password hidden: safe to show
    is_demo: bool
    notice: str | None = None  # a problem with the feed the screens must show

    @property
    def label(self) -> str:
        if self.is_demo:
            return "Demo ward (synthetic patients, times moved to today)"
        return f"The ward's record ({self.url})"


@st.cache_resource(show_spinner=False)
def _open(url: str) -> Store:
    return open_store(url, upgrade_if_new=True)


@st.cache_resource(show_spinner=False)
def _known_to_hold_ward() -> set[str]:
    # Records are never removed: a store once seen holding a patient always will.
    return set()


def _holds_ward(url: str, store: Store) -> bool:
    known = _known_to_hold_ward()
    if url not in known:
        with reachable():
            if holds_ward(store):
                known.add(url)
    return url in known


@st.cache_resource(max_entries=4, show_spinner="Importing the ward's files...")
def _import_feed(url: str, path: str, version: str, timezone: str) -> str | None:
    """Import the feed once per content version of its files (``version`` changes when a
    file is rewritten; a refusal is recorded once, not on every rerun). The valid rows go
    in and the refused ones are listed in the import's report, as ``--keep-going`` does: a
    ward is not hidden for one bad row. Returns what the screens must say, or None."""
    try:
        result = import_ward(
            _open(url), path, who=FEED_IMPORTER, timezone=timezone, keep_going=True
        )
    except MonitorUserError as error:
        return (
            f"IL2_DATA_SOURCE ({path}) was refused and not imported: {error}. What is shown "
            "is the ward's record without it."
        )
    if result.problems:
        return (
            f"IL2_DATA_SOURCE ({path}): {len(result.problems)} row(s) refused and not "
            "imported (listed on the Import page, under this import's report); criteria "
            "that needed them read incomplete, never clear."
        )
    return None


def demo_window(now: pd.Timestamp) -> pd.Timestamp:
    """The start of the demo window holding ``now`` (UTC, on a multiple of DEMO_WINDOW)."""
    return pd.Timestamp(now).tz_convert("UTC").floor(DEMO_WINDOW)


@st.cache_resource(max_entries=2, show_spinner="Preparing the demo ward...")
def _demo_store(folder: str, window: pd.Timestamp) -> Store:
    from dashboard.demo.files import demo_input_files  # the demo's generator: demo only

    path = Path(folder) / f"demo-{window.strftime(DEMO_STAMP)}.sqlite3"
    store = open_store(f"sqlite:///{path}", upgrade_if_new=True)
    if not holds_ward(store):  # another process may have seeded it already
        import_ward(
            store,
            demo_input_files(window + DEMO_WINDOW / 2),
            who=DEMO_SEEDER,
            timezone=clock.WARD_TIMEZONE,
        )
    _remove_old_demo_files(Path(folder), window)
    return store


def _remove_old_demo_files(folder: Path, window: pd.Timestamp) -> None:
    # Only windows older than the one before this: a session may still read the one before,
    # and a newer one is another process's (its clock past the turn of the window). They
    # hold only the demo's synthetic patients and what was tried on them.
    oldest_kept = window - DEMO_WINDOW
    for file in folder.glob("demo-*.sqlite3*"):
        stamp = pd.to_datetime(
            file.name.removeprefix("demo-").split(".")[0], format=DEMO_STAMP, errors="coerce"
        )
        if not pd.isna(stamp) and stamp.tz_localize("UTC") < oldest_kept:
            file.unlink(missing_ok=True)


def _shown(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


def chosen_store(now: pd.Timestamp | None = None) -> WardStore:
    """The store the app shows (see the module's text), without importing the feed (the
    demo's record is seeded on its first use): where recordings go. ``now`` picks the demo
    window."""
    url = settings.database_url()
    store = ward_record()
    if settings.data_source() is not None or _holds_ward(url, store):
        return WardStore(store, _shown(url), False)
    moment = now if now is not None else pd.Timestamp.now(tz="UTC")
    demo = _demo_store(str(settings.demo_database_dir()), demo_window(moment))
    return WardStore(demo, _shown(str(demo.engine.url)), True)


def ward_store(now: pd.Timestamp | None = None) -> WardStore:
    """The store the app shows, with IL2_DATA_SOURCE imported into it first when it names
    files (once per version of them); what the feed's import refused is its ``notice``."""
    chosen = chosen_store(now)
    feed = settings.data_source()
    if feed is None:
        return chosen
    timezone = settings.value("ward_timezone")
    url = settings.database_url()
    try:
        version = path_version(str(feed))
    except MonitorUserError as error:  # the folder is gone: the record is still the ward
        return replace(chosen, notice=f"IL2_DATA_SOURCE cannot be read: {error}")
    with reachable():
        notice = _import_feed(url, str(feed), version, timezone)
    return replace(chosen, notice=notice)


def ward_record() -> Store:
    """The ward's record itself (never the demo's): where the Import page writes."""
    return _open(settings.database_url())


def app_store() -> Store:
    """The store of what the app shows: where dose events, bedside entries and
    acknowledgements go (imports and the access log go to the ward's record)."""
    return chosen_store().store


def on_demo() -> bool:
    """Whether the app shows the demo (decided without importing the feed)."""
    return chosen_store().is_demo


@st.cache_resource(max_entries=4, show_spinner="Reading the ward's record...")
def _frames(version: str, _store: Store) -> WardData:
    return load_frames(_store)


@contextmanager
def reachable():
    """A database that cannot be reached or read (PostgreSQL down, a disk error) is a user
    error the page shows, not a traceback."""
    try:
        yield
    except sa.exc.OperationalError as error:
        raise StoreError(f"the ward's record cannot be reached: {error.orig}") from None


def ward_frames(chosen: WardStore) -> tuple[str, WardData]:
    """(data version, canonical frames) of the store: read once per version for every
    session."""
    url = str(chosen.store.engine.url)
    with reachable():
        version = f"{url}|{data_version(chosen.store)}"
        return version, _frames(version, chosen.store)


def load_current(timezone: str, now: pd.Timestamp | None = None) -> LoadedWard:
    """The ward the app shows: what the store holds (the ward's record, or the demo's),
    with times shown in ``timezone`` (the session's choice)."""
    chosen = ward_store(now)
    key, ward = ward_frames(chosen)
    return LoadedWard(key, ward, timezone, chosen.label, chosen.is_demo, chosen.notice)


def acknowledgements_by_patient(store: Store) -> dict[str, list]:
    """Every acknowledgement, by patient (a ward's are few: read on each refresh)."""
    found: dict[str, list] = {}
    for item in acknowledgements(store):
        found.setdefault(item.patient_id, []).append(item)
    return found
