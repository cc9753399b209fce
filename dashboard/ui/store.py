"""The app's ward: the ward's record (dashboard.store), shared by every session and process.

Which store the app shows, decided on every run (cheap: one small query, cached once true):

- **the ward's record** (IL2_DATABASE_URL, else the SQLite file of IL2_DATABASE_PATH) when
  it holds a patient, or when IL2_DATA_SOURCE names files: those are imported into it
  first (through the same validator as ``il2-monitor import``; importing the same content
  again adds nothing), again whenever the files change;
- otherwise **the demo's record**: a SQLite file under IL2_DEMO_DATABASE_DIR seeded from
  the shipped demo ward with its story moved to the clock. The story runs on in real time
  (doses come due, recordings count) and a new file is seeded every DEMO_WINDOW, so the
  demo never shows a day-old ward; older demo files are removed.

A store whose schema this code does not know is refused with StoreError (a user error the
app shows). Everything read is cached on the store's data version, which every import,
dose event and bedside entry changes: a recording shows at once in every session
(acknowledgements are read on every run).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from dashboard import settings
from dashboard.demo import clock
from dashboard.errors import MonitorUserError
from dashboard.store import (
    Store,
    acknowledgements,
    data_version,
    holds_ward,
    import_ward,
    load_frames,
    open_store,
)
from dashboard.tables import WardData
from dashboard.ui.data import LoadedWard, path_version

#: How long one demo record lives: the story's "now" sits mid-window, so the doses the demo
#: is about are neither long past nor far off while it is shown.
DEMO_WINDOW = pd.Timedelta(hours=2)
DEMO_SEEDER = "demo seed (synthetic patients)"
FEED_IMPORTER = "IL2_DATA_SOURCE (files read at start)"


@dataclass(frozen=True)
class WardStore:
    """The store the app shows and what to call it."""

    store: Store
    url: str  # password hidden: safe to show
    is_demo: bool

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
    if url not in known and holds_ward(store):
        known.add(url)
    return url in known


@dataclass(frozen=True)
class _FeedOutcome:
    error: MonitorUserError | None


@st.cache_resource(max_entries=4, show_spinner="Importing the ward's files...")
def _import_feed(url: str, path: str, version: str, timezone: str) -> _FeedOutcome:
    # Once per content version of the files (a refused feed is recorded once, not on every
    # rerun); ``version`` changes when a file is rewritten.
    try:
        import_ward(_open(url), path, who=FEED_IMPORTER, timezone=timezone)
    except MonitorUserError as error:
        return _FeedOutcome(error)
    return _FeedOutcome(None)


def demo_window(now: pd.Timestamp) -> pd.Timestamp:
    """The start of the demo window holding ``now`` (UTC, on a multiple of DEMO_WINDOW)."""
    return pd.Timestamp(now).tz_convert("UTC").floor(DEMO_WINDOW)


@st.cache_resource(max_entries=2, show_spinner="Preparing the demo ward...")
def _demo_store(folder: str, window: pd.Timestamp) -> Store:
    from dashboard.demo.files import demo_input_files  # the demo's generator: demo only

    path = Path(folder) / f"demo-{window:%Y%m%dT%H%MZ}.sqlite3"
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
    # The window before stays (a session may still be reading it); older ones go. They hold
    # only the demo's synthetic patients and what was tried on them.
    keep = {f"demo-{w:%Y%m%dT%H%MZ}" for w in (window, window - DEMO_WINDOW)}
    for file in folder.glob("demo-*.sqlite3*"):
        if file.name.split(".")[0] not in keep:
            file.unlink(missing_ok=True)


def _shown(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


def chosen_store(now: pd.Timestamp | None = None) -> WardStore:
    """The store the app shows (see the module's text), without importing anything: where
    recordings, imports and the access log go. ``now`` picks the demo window."""
    url = settings.database_url()
    store = _open(url)
    if settings.data_source() is not None or _holds_ward(url, store):
        return WardStore(store, _shown(url), False)
    moment = now if now is not None else pd.Timestamp.now(tz="UTC")
    demo = _demo_store(str(settings.demo_database_dir()), demo_window(moment))
    return WardStore(demo, _shown(str(demo.engine.url)), True)


def ward_store(now: pd.Timestamp | None = None) -> WardStore:
    """The store the app shows, with IL2_DATA_SOURCE imported into it first when it names
    files (once per version of them); a refused feed is a user error naming it."""
    chosen = chosen_store(now)
    feed = settings.data_source()
    if feed is not None:
        timezone = settings.value("ward_timezone")
        url = settings.database_url()
        outcome = _import_feed(url, str(feed), path_version(str(feed)), timezone)
        if outcome.error is not None:
            raise MonitorUserError(
                f"IL2_DATA_SOURCE ({feed}) was refused and not imported: {outcome.error}"
            )
    return chosen


def ward_record() -> Store:
    """The ward's record itself (never the demo's): where the Import page writes."""
    return _open(settings.database_url())


def app_store() -> Store:
    """The store of what the app shows: where recordings, imports and the access log go."""
    return chosen_store().store


def on_demo() -> bool:
    """Whether the app shows the demo (decided without importing anything)."""
    return chosen_store().is_demo


@st.cache_resource(max_entries=4, show_spinner="Reading the ward's record...")
def _frames(url: str, version: str, _store: Store) -> WardData:
    return load_frames(_store)


def ward_frames(chosen: WardStore) -> tuple[str, WardData]:
    """(data version, canonical frames) of the store: read once per version for every
    session."""
    url = str(chosen.store.engine.url)
    version = f"{url}|{data_version(chosen.store)}"
    return version, _frames(url, version, chosen.store)


def load_current(timezone: str, now: pd.Timestamp | None = None) -> LoadedWard:
    """The ward the app shows: what the store holds (the ward's record, or the demo's),
    with times shown in ``timezone`` (the session's choice)."""
    chosen = ward_store(now)
    key, ward = ward_frames(chosen)
    return LoadedWard(key, ward, timezone, chosen.label, chosen.is_demo)


def acknowledgements_by_patient(store: Store) -> dict[str, list]:
    """Every acknowledgement, by patient (a ward's are few: read on each refresh)."""
    found: dict[str, list] = {}
    for item in acknowledgements(store):
        found.setdefault(item.patient_id, []).append(item)
    return found
