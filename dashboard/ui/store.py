"""The app's handle on the ward's record (dashboard.store), shared by every session.

``app_store()`` opens the store the settings name (IL2_DATABASE_URL, else the SQLite file
of IL2_DATABASE_PATH; a new SQLite file is migrated, a schema this code does not know is
refused with StoreError, a user error the pages show).

``with_records(loaded)`` lays what the ward recorded (dose events, bedside entries) over a
ward read from files, so the card, the ward list and the course timeline reassess at once
after a recording: its cache key carries the store's record version, which every new
record changes. A ward read from the store itself (load_frames) already holds them.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from dashboard import settings
from dashboard.store import Store, acknowledgements, open_store, schema
from dashboard.store.frames import apply_dose_events, read_dose_events, read_observations
from dashboard.tables import WardData
from dashboard.ui.data import LoadedWard


@st.cache_resource(show_spinner=False)
def _open(url: str) -> Store:
    return open_store(url, upgrade_if_new=True)


def app_store() -> Store:
    """The store of this app process (one connection pool for every session)."""
    return _open(settings.database_url())


def record_version(store: Store) -> str:
    """Changes with every dose event, bedside entry and acknowledgement (ids only grow)."""
    with store.reading() as connection:
        values = connection.execute(
            sa.select(
                sa.select(sa.func.max(schema.dose_events.c.id)).scalar_subquery(),
                sa.select(sa.func.max(schema.observations.c.id))
                .where(schema.observations.c.entered_by.is_not(None))
                .scalar_subquery(),
                sa.select(sa.func.max(schema.acknowledgements.c.id)).scalar_subquery(),
            )
        ).one()
    return ".".join(str(v or 0) for v in values)


def acknowledgements_by_patient(store: Store) -> dict[str, list]:
    """Every acknowledgement, by patient (a ward's are few: read on each refresh)."""
    found: dict[str, list] = {}
    for item in acknowledgements(store):
        found.setdefault(item.patient_id, []).append(item)
    return found


def _with_entered(observations: pd.DataFrame, entered: pd.DataFrame) -> pd.DataFrame:
    if entered.empty:
        return observations
    both = pd.concat(
        [observations.astype(object), entered[observations.columns].astype(object)],
        ignore_index=True,
    )
    for column in observations.columns:
        kind = observations[column].dtype
        if isinstance(kind, pd.CategoricalDtype):
            both[column] = pd.Categorical(both[column])
        else:
            both[column] = both[column].astype(kind)
    return both


@st.cache_resource(max_entries=8, show_spinner=False)
def _recorded(key: str, timezone: str, _loaded: LoadedWard, _store: Store) -> LoadedWard:
    # ``timezone`` keys the cache too: a LoadedWard's key is its data's version only, and
    # the zone the screens show times in is chosen apart from the data.
    ward = _loaded.ward
    ids = sorted(ward.patients["patient_id"].astype(str).unique())
    with _store.reading() as connection:
        events = read_dose_events(connection, ids)
        entered = read_observations(connection, ids, entered_only=True)
    if not events and entered.empty:
        return replace(_loaded, key=key)
    recorded = WardData(
        ward.patients,
        apply_dose_events(ward.doses, events),
        _with_entered(ward.observations, entered),
        ward.report,
    )
    return replace(_loaded, key=key, ward=recorded)


def with_records(loaded: LoadedWard) -> LoadedWard:
    """``loaded`` with the store's dose record and bedside entries for its patients."""
    store = app_store()
    key = f"{loaded.key}|records:{record_version(store)}"
    return _recorded(key, loaded.timezone, loaded, store)
