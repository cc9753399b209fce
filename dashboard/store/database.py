"""Opening the store: the engine, SQLite's settings, migrations and the schema check.

SQLite (the default, one file) runs in WAL mode with foreign keys on, ``synchronous=FULL``
(a recorded dose survives a crash of the process and of the machine) and a busy timeout,
and every write transaction starts with ``BEGIN IMMEDIATE``: two writers queue for the
write lock instead of one failing half-way. PostgreSQL is used through psycopg 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event

from dashboard.errors import MonitorUserError
from dashboard.store.schema import APPEND_ONLY_TABLES

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: PostgreSQL advisory lock key held by every write transaction (see Store.writing).
WRITE_LOCK = 0x1121_2027
#: How long a writer waits for another's write lock (SQLite) before giving up.
BUSY_TIMEOUT_MS = 30_000


class StoreError(MonitorUserError):
    """The store cannot be used as it is (schema unknown or not upgraded, bad URL...)."""


class AppendOnlyError(RuntimeError):
    """A statement tried to change or remove a record: a bug, never a user's doing."""


class Store:
    """One database: an engine and the few ways the code reaches it. Use ``open_store``."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """One write transaction: committed whole or not at all.

        Writers take turns (SQLite: BEGIN IMMEDIATE; PostgreSQL: one advisory lock held to
        the commit), so ids become visible in the order they were given: a reader that has
        seen id N has seen every record below it, and the data version (the largest ids)
        never skips a record committed late."""
        connection = self.engine.connect().execution_options(store_write=True)
        with connection, connection.begin():
            if self.dialect == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK}
                )
            yield connection

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """One read transaction: a consistent view of the record."""
        with self.engine.connect() as connection, connection.begin():
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url`` with the store's settings; psycopg 3 for PostgreSQL."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                try:
                    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise StoreError(
                        f"the database's folder {Path(parsed.database).parent} cannot be "
                        f"made: {error.strerror}"
                    ) from None
            engine = sa.create_engine(
                parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, poolclass=sa.NullPool
            )
            _sqlite_settings(engine)
        else:
            engine = sa.create_engine(parsed, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ModuleNotFoundError) as error:
        raise StoreError(f"the database URL cannot be used: {error}") from None
    _guard_append_only(engine)
    return engine


def _sqlite_settings(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # The driver's own transaction handling is off so that BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # IMMEDIATE takes the write lock at BEGIN: a transaction that read and then writes
        # can never find that another wrote in between (SQLITE_BUSY_SNAPSHOT).
        write = connection.get_execution_options().get("store_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _guard_append_only(engine: sa.Engine) -> None:
    """The code's own guard: no UPDATE or DELETE reaches a record table from this process
    (the database triggers are the second guard, for everyone else)."""
    tables = {name.lower() for name in APPEND_ONLY_TABLES}

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse(_conn, _cursor, statement, _parameters, _context, _executemany):
        words = statement.lstrip().split(None, 3)
        if not words:
            return
        verb = words[0].upper()
        target = None
        if verb == "UPDATE" and len(words) > 1:
            target = words[1]
        elif verb == "DELETE" and len(words) > 2 and words[1].upper() == "FROM":
            target = words[2]
        elif verb == "TRUNCATE":
            target = words[-1]
        if target is not None and target.strip('"').split(".")[-1].lower() in tables:
            raise AppendOnlyError(f"the ward record is append-only: {verb} on {target} refused")


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def known_revisions() -> tuple[set[str], set[str]]:
    """(every revision this code knows, the head revisions)."""
    script = ScriptDirectory(str(MIGRATIONS))
    return {rev.revision for rev in script.walk_revisions()}, set(script.get_heads())


def current_revision(store: Store) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(store: Store, revision: str = "head") -> str | None:
    """Run the migrations up to the newest (or ``revision``: tests make older records with
    it); return the revision the store is at. A store newer than this code is refused,
    never touched."""
    check_schema(store, allow_behind=True)
    with store.writing() as connection:
        command.upgrade(_alembic_config(connection), revision)
    return current_revision(store)


def check_schema(store: Store, *, allow_behind: bool = False) -> None:
    """Refuse a store whose schema this code does not know, with what to do about it."""
    known, heads = known_revisions()
    try:
        current = current_revision(store)
    except sa.exc.DatabaseError as error:  # unreachable, or a file that is no database
        raise StoreError(f"the database cannot be reached: {error.orig}") from None
    if current is not None and current not in known:
        raise StoreError(
            f"the database's schema is at revision {current}, which this version of the "
            f"monitor does not know (it knows up to {', '.join(sorted(heads))}): it was "
            "written by a newer monitor. Run that version, or upgrade this one."
        )
    if not allow_behind and current not in heads:
        at = f"revision {current}" if current else "no schema yet"
        raise StoreError(
            f"the database has {at}; this monitor needs {', '.join(sorted(heads))}: run "
            "`python -m dashboard db upgrade` first."
        )


def open_store(url: str | None = None, *, upgrade_if_new: bool = False) -> Store:
    """The store at ``url`` (default: dashboard.settings.database_url()), schema checked.

    ``upgrade_if_new``: a SQLite file with no schema yet (the default store on first start)
    or an older one of this monitor's is migrated rather than refused. A PostgreSQL
    database is a hospital's: its schema is made on purpose, with ``db upgrade``, never as
    a side effect of reading.
    """
    from dashboard.settings import database_url

    store = Store(make_engine(url or database_url()))
    try:
        if upgrade_if_new and store.dialect == "sqlite":
            try:
                current = current_revision(store)
            except sa.exc.DatabaseError as error:  # not a database, unreadable, locked...
                raise StoreError(f"the database cannot be opened: {error.orig}") from None
            known, heads = known_revisions()
            # The default SQLite file is migrated forward by the app itself (an older
            # monitor's file, or none yet); one written by a newer monitor is refused below.
            if current is None or (current in known and current not in heads):
                upgrade(store)
        check_schema(store)
    except BaseException:
        store.dispose()  # a refused store leaves no connection open behind it
        raise
    return store


def url_holds_ward(url: str) -> bool:
    """Whether the store at ``url`` holds any patient (then the app shows it, not the demo).
    A SQLite file that does not exist is not made; a database with no schema holds none."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and not (
        parsed.database and Path(parsed.database).is_file()
    ):
        return False
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("patients"):
                return False
            return connection.execute(sa.text("SELECT 1 FROM patients LIMIT 1")).first() is not None
    except sa.exc.DatabaseError as error:  # unreachable, or a file that is no database
        raise StoreError(f"the database cannot be read: {error.orig}") from None
    finally:
        engine.dispose()
