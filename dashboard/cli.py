"""The command line: ``python -m dashboard COMMAND``. A thin shell over the core.

Only MonitorUserError is caught here (its message is for the user, exit 2); anything else
is a bug and propagates with its traceback.
"""

from __future__ import annotations

import argparse
import sys

from dashboard.app_cli import add_app_parser
from dashboard.cli_options import EXIT_BAD_INPUT, EXIT_OK, add_timezone_option, ward_timezone
from dashboard.errors import DataValidationError, MonitorUserError
from dashboard.evaluate_cli import add_evaluate_parser
from dashboard.loading import load_ward
from dashboard.report_cli import add_report_parser
from dashboard.store_cli import add_store_parsers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard",
        description="Inpatient toxicity monitor for high-dose IL-2 (aldesleukin). It supports "
        "the clinician's decision about each dose; it does not make it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="read and validate an input; list every problem or summarise what was read",
        description="Read PATH (a folder of the three CSVs, a per-dose sheet, a FHIR bundle or "
        "an Excel workbook), validate it and say what was read. Exit 0 when it was read, "
        "2 with every problem listed when it was not.",
    )
    check.add_argument("path", metavar="PATH")
    add_timezone_option(check)
    check.add_argument(
        "--keep-going",
        action="store_true",
        help="load the valid rows and list the refused ones (still exit 2 if any were refused)",
    )
    check.set_defaults(handler=run_check)

    add_evaluate_parser(commands)
    add_app_parser(commands)
    add_report_parser(commands)
    add_store_parsers(commands)
    return parser


def run_check(args: argparse.Namespace) -> int:
    ward = load_ward(args.path, ward_timezone(args), keep_going=args.keep_going)
    counts = ward.counts()
    print(
        f"{args.path}: {counts['patients']} patients, {counts['doses']} doses, "
        f"{counts['observations']} observations"
    )
    for notice in ward.report.notices:
        print(f"  note: {notice}")
    if ward.report.problems:
        print(
            f"{len(ward.report.problems)} problem(s); the rows concerned were not loaded:",
            file=sys.stderr,
        )
        for problem in ward.report.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except DataValidationError as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except MonitorUserError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
