"""The schema: made by the shipped migrations, equal to what the code writes with; a store
this code does not know (a newer revision) or has not migrated is refused, clearly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dashboard.store import StoreError, current_revision, open_store, upgrade
from dashboard.store.database import Store, known_revisions, make_engine
from dashboard.store.schema import metadata


def test_the_migrations_make_the_schema_the_code_uses(store):
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
    assert current_revision(store) in known_revisions()[1]


def test_upgrading_twice_changes_nothing(store):
    assert upgrade(store) == current_revision(store)


def test_a_store_without_a_schema_is_refused_with_what_to_do(store_url):
    with pytest.raises(StoreError, match="db upgrade"):
        open_store(store_url)


def test_a_newer_schema_is_refused_and_left_untouched(store, store_url):
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(StoreError, match=r"9999_future.*newer monitor"):
        open_store(store_url)
    later = Store(make_engine(store_url))
    try:
        with pytest.raises(StoreError, match="newer monitor"):
            upgrade(later)
        assert current_revision(later) == "9999_future"
    finally:
        later.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'w.sqlite3'}", upgrade_if_new=True)
    try:
        with store.reading() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        store.dispose()
