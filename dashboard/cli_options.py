"""What the command's subcommands share, declared once: the exit codes of the data contract
(section 5) and the ward time-zone option."""

from __future__ import annotations

import argparse

from dashboard.settings import setting, validate_timezone, value

#: The input was read (whatever the clinical statuses).
EXIT_OK = 0
#: The input (or an option) could not be used: every problem is on standard error.
EXIT_BAD_INPUT = 2


def add_timezone_option(parser: argparse.ArgumentParser, also: str = "") -> None:
    """``--timezone ZONE``: the ward's IANA zone; ``also`` says what else it does in that
    subcommand."""
    zone = setting("ward_timezone")
    parser.add_argument(
        "--timezone",
        metavar="ZONE",
        default=None,
        help="the ward's IANA time zone: times without an offset are read in it"
        f"{also} (default: {zone.environment}, else {zone.default_text})",
    )


def ward_timezone(args: argparse.Namespace) -> str:
    """The zone given on the command line, else the ward_timezone setting (checked)."""
    given = getattr(args, "timezone", None)
    return validate_timezone(given) if given else value("ward_timezone")
