"""The store's tests run on both databases: a SQLite file, and the real PostgreSQL of this
machine (TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test, trust
authentication). Each PostgreSQL test gets a fresh schema, dropped afterwards.

With CI=true an unreachable PostgreSQL fails the tests: a skipped database is an untested
one. Without CI it is skipped, with the reason.
"""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from dashboard.store import open_store, upgrade
from dashboard.store.database import Store, make_engine

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_admin() -> sa.Engine:
    engine = sa.create_engine(POSTGRES_URL, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable: {error.orig}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: the PostgreSQL tests must run)")
        pytest.skip(message + " (set CI=true to make this a failure)")
    return engine


def _schema_url(schema: str) -> str:
    url = sa.make_url(POSTGRES_URL)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    """A URL of an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ward.sqlite3'}"
        return
    admin = request.getfixturevalue("postgres_admin")
    schema = f"il2_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def store(store_url):
    migrating = Store(make_engine(store_url))
    upgrade(migrating)
    migrating.dispose()
    opened = open_store(store_url)
    yield opened
    opened.dispose()
