"""``python -m dashboard report``: the ward sheet or a patient's handover as a PDF.

    report [PATH] (--patient ID | --ward) [--at TIME] [--protocol ID_OR_FILE] --out FILE.pdf

PATH, --at, --protocol and --timezone are read exactly as ``evaluate`` reads them (the
same functions); without PATH the shipped demo ward is printed. A thin shell: load,
build the PDF (dashboard.report), write it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard import DEMO_DIR
from dashboard.cli_options import EXIT_OK, add_timezone_option
from dashboard.demo.clock import is_shipped_demo
from dashboard.errors import MonitorUserError
from dashboard.evaluate_cli import command_timezone, parse_at, story_moved_to_now
from dashboard.loading import load_ward
from dashboard.protocols import load_protocol


def add_report_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "report",
        help="print the ward sheet or a patient's handover to a PDF",
        description="Write a PDF: the ward sheet (--ward: one line per patient) or one "
        "patient's handover (--patient: the card, support, checklist, course timeline and "
        "trend plots). Exit 0 when written; 2 with the problem when the input cannot be read.",
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        default=None,
        help="as for evaluate: a folder of the three CSVs, a per-dose sheet, a FHIR bundle "
        "or an Excel workbook (default: the shipped demo ward, its story moved to now as "
        "the app shows it, unless --at is given)",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--patient", metavar="ID", help="one patient's handover")
    which.add_argument("--ward", action="store_true", help="the ward sheet")
    parser.add_argument("--at", metavar="TIME", default=None, help="as for evaluate (default: now)")
    parser.add_argument(
        "--protocol",
        metavar="ID_OR_FILE",
        default=None,
        help="as for evaluate (default: each patient's protocol column)",
    )
    add_timezone_option(parser, also=" and the PDF shows times in it")
    parser.add_argument(
        "--printed-by",
        metavar="NAME",
        default=None,
        help="who printed it (filled in by sign-in once it exists)",
    )
    parser.add_argument("--out", metavar="FILE.pdf", required=True, help="where to write the PDF")
    parser.set_defaults(handler=run_report)
    return parser


def run_report(args: argparse.Namespace) -> int:
    from dashboard.report import patient_pdf, ward_pdf  # fpdf2 only when printing

    path = args.path or str(DEMO_DIR)
    demo = is_shipped_demo(path)
    timezone = command_timezone(args, demo)
    protocol = load_protocol(args.protocol) if args.protocol else None
    at = parse_at(args.at, timezone)
    ward = load_ward(path, timezone)
    if demo and args.at is None:  # as evaluate and the app show the demo
        ward = story_moved_to_now(ward, timezone, path)
    if args.ward:
        document = ward_pdf(ward, at, timezone, protocol, args.printed_by)
    else:
        document = patient_pdf(ward, args.patient, at, timezone, protocol, args.printed_by)
    out = Path(args.out)
    try:
        out.write_bytes(document)
    except OSError as error:
        raise MonitorUserError(f"Cannot write {out}: {error.strerror}") from error
    print(f"{out}: {len(document) // 1024} KiB")
    return EXIT_OK
