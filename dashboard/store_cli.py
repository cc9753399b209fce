"""``python -m dashboard db upgrade`` and ``python -m dashboard import PATH``: the store's
commands (dashboard/store). A thin shell: user errors propagate to dashboard.cli.main.

"Who" is ``--who`` or the operating-system user until the login exists.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from dashboard.cli_options import EXIT_BAD_INPUT, EXIT_OK, add_timezone_option, ward_timezone
from dashboard.errors import MonitorUserError
from dashboard.settings import database_url


def add_store_parsers(subparsers) -> None:
    db = subparsers.add_parser(
        "db",
        help="the ward's record (database): upgrade its schema, show its revision",
        description="The store is IL2_DATABASE_URL (PostgreSQL) or else the SQLite file "
        "IL2_DATABASE_PATH (default under the user's data folder).",
    )
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="create or migrate the schema to this version")
    upgrade.set_defaults(handler=run_db_upgrade)
    current = actions.add_parser("current", help="print the schema revision of the store")
    current.set_defaults(handler=run_db_current)
    export = actions.add_parser(
        "export-observations",
        help="write every stored reading as CSV (UTC times, with where each came from)",
    )
    export.add_argument("out", metavar="FILE.csv", help="the CSV to write; - for standard output")
    export.set_defaults(handler=run_db_export_observations)

    imports = subparsers.add_parser(
        "import",
        help="validate PATH and write it into the ward's record",
        description="Read PATH (as `check` and `evaluate` do), validate it with the same rules "
        "and write what is new into the store: the same content twice adds nothing. Every "
        "import keeps its report. Exit 0 when written, 2 with every problem listed when the "
        "input was refused (nothing written).",
    )
    imports.add_argument("path", metavar="PATH")
    add_timezone_option(imports)
    imports.add_argument(
        "--keep-going",
        action="store_true",
        help="write the valid rows and keep the refused ones in the report (exit 2 if any)",
    )
    add_who_option(imports)
    imports.set_defaults(handler=run_import)


def add_who_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--who", default=None, help="who is recording (default: the operating-system user)"
    )


def who_from(args: argparse.Namespace) -> str:
    return (getattr(args, "who", None) or getpass.getuser()).strip()


def run_db_upgrade(args: argparse.Namespace) -> int:
    from dashboard.store import upgrade
    from dashboard.store.database import Store, make_engine

    store = Store(make_engine(database_url()))
    try:
        revision = upgrade(store)
    finally:
        store.dispose()
    print(f"{_shown_url()}: schema at revision {revision}")
    return EXIT_OK


def run_db_current(args: argparse.Namespace) -> int:
    from dashboard.store import current_revision
    from dashboard.store.database import Store, make_engine

    store = Store(make_engine(database_url()))
    try:
        print(f"{_shown_url()}: {current_revision(store) or 'no schema yet'}")
    finally:
        store.dispose()
    return EXIT_OK


def run_db_export_observations(args: argparse.Namespace) -> int:
    import pandas as pd

    from dashboard.exports import spreadsheet_safe
    from dashboard.store import export_observations, open_store

    store = open_store()
    try:
        readings = export_observations(store)
    finally:
        store.dispose()
    # Texts from files and forms: a cell a spreadsheet would run as a formula is written
    # as text, as every CSV the monitor writes.
    for column in readings.columns:
        if not pd.api.types.is_numeric_dtype(readings[column]):
            readings[column] = readings[column].map(spreadsheet_safe)
    if args.out == "-":
        readings.to_csv(sys.stdout, index=False)
        return EXIT_OK
    try:
        readings.to_csv(args.out, index=False)
    except OSError as error:
        raise MonitorUserError(f"{args.out} cannot be written: {error.strerror}") from None
    print(f"{args.out}: {len(readings):,} reading(s) from {_shown_url()}")
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    from dashboard.store import import_ward, open_store

    store = open_store(upgrade_if_new=True)
    try:
        result = import_ward(
            store,
            args.path,
            who=who_from(args),
            timezone=ward_timezone(args),
            keep_going=args.keep_going,
        )
    finally:
        store.dispose()
    print(f"{args.path}: {result.summary()}")
    for name, digest in result.files:
        print(f"  {name}  sha256 {digest}")
    for notice in result.notices:
        print(f"  note: {notice}")
    if result.problems:
        print(f"{len(result.problems)} problem(s); those rows were not written:", file=sys.stderr)
        for problem in result.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def store_ward():
    """The canonical frames of the store (``evaluate`` with no PATH)."""
    from dashboard.store import load_frames, open_store

    store = open_store(upgrade_if_new=True)
    try:
        ward = load_frames(store)
    finally:
        store.dispose()
    if ward.patients.empty:
        raise MonitorUserError(
            f"the ward's record ({_shown_url()}) holds no patient yet: "
            "`python -m dashboard import PATH` first, or give evaluate a PATH."
        )
    return ward


def _shown_url() -> str:
    """The store's URL without its password, for messages."""
    import sqlalchemy as sa

    return sa.make_url(database_url()).render_as_string(hide_password=True)
