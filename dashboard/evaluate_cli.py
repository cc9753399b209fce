"""``python -m dashboard evaluate``: data-contract section 5, exactly.

    evaluate PATH [--protocol ID_OR_FILE] [--at TIME] [--course] [--format json|table|csv]

A thin shell over the core: load (dashboard.loading), assess (dashboard.assessment),
print. Exit 0 when the input was read, whatever the clinical statuses; exit 2 with the
problems on standard error when it was not (only MonitorUserError is caught).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections.abc import Sequence

import pandas as pd

from dashboard import DEMO_DIR, settings
from dashboard.assessment import assess_course, assess_next_doses, patient_protocols
from dashboard.assessment.results import DoseAssessment, Finding
from dashboard.assessment.stricter import assess_other_protocols, stricter_notes
from dashboard.assessment.support import Support, support_in_progress
from dashboard.assessment.validity import Validity, ward_validity
from dashboard.cli_options import EXIT_OK, add_timezone_option, ward_timezone
from dashboard.demo.clock import is_shipped_demo, read_ward_info, shift_ward, story_shift
from dashboard.display import local_text, local_time
from dashboard.errors import MonitorUserError
from dashboard.exports import spreadsheet_safe, terminal_safe
from dashboard.loading import load_ward
from dashboard.loading.times import parse_time
from dashboard.protocols import DEFAULT_PROTOCOL_ID, Protocol, load_protocol, shipped_protocol_ids
from dashboard.quantities import display_rule
from dashboard.store_cli import store_ward
from dashboard.tables import WardData
from dashboard.views.dose_card import headline, stricter_text, validity_text
from dashboard.views.findings import criterion_titles, finding_value
from dashboard.views.statuses import display_status, status_look
from dashboard.views.support import support_line

FORMATS = ("json", "table", "csv")
CSV_COLUMNS = [
    "patient_id",
    "cycle",
    "dose_number",
    "scheduled_time",
    "recorded_status",
    "status",
    "criterion",
    "outcome",
    "parameter",
    "value",
    "unit",
    "time",
    "rule",
    "source",
    "interpretation",
    "detail",
]


def add_evaluate_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "evaluate",
        help="assess each patient's next dose (or every dose with --course)",
        description="Assess PATH against a protocol: each patient's next dose at --at (default "
        "now), or every dose of every course as of its scheduled time (--course). Exit 0 when "
        "the input was read (whatever the statuses); 2 with the problems listed when not.",
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        default=None,
        help="a folder of the three CSVs, a per-dose sheet, a FHIR bundle or an Excel workbook "
        "(default: the ward's record, see `db`)",
    )
    parser.add_argument(
        "--protocol",
        metavar="ID_OR_FILE",
        default=None,
        help="a shipped protocol id or a protocol file (default: each patient's "
        f"protocol column, empty = {DEFAULT_PROTOCOL_ID})",
    )
    parser.add_argument(
        "--at",
        metavar="TIME",
        default=None,
        help="evaluate as of this moment (ISO 8601; without an offset it is read "
        "in the ward's time zone). Default: now",
    )
    parser.add_argument(
        "--course",
        action="store_true",
        help="every dose of every course as of its scheduled_time (a review)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="json", help="output format (default: json)"
    )
    add_timezone_option(parser, also=" and the table shows times in it (JSON and CSV stay UTC)")
    parser.set_defaults(handler=run_evaluate)
    return parser


def now() -> pd.Timestamp:
    """The real clock (one function, so that a test can set it)."""
    return pd.Timestamp.now(tz="UTC")


def parse_at(text: str | None, timezone: str) -> pd.Timestamp:
    """--at as a UTC moment, read by the same rules as the files' times: ISO 8601 with a
    time of day; without an offset it is ward-local, and a daylight-saving gap or overlap
    is refused rather than guessed ("2026" or "13:30 EST" are refused, not read loosely)."""
    if text is None:
        return now()
    moment, reason = parse_time(text, timezone)
    if moment is None:
        raise MonitorUserError(f"--at: {reason}")
    return moment


def command_timezone(args: argparse.Namespace, demo: bool) -> str:
    """The zone a command reads and shows times in: --timezone, else IL2_WARD_TIMEZONE,
    else for the shipped demo its own ward's zone, else the machine's."""
    if demo and not args.timezone and settings.configured("ward_timezone") is None:
        return read_ward_info().timezone
    return ward_timezone(args)


def run_evaluate(args: argparse.Namespace) -> int:
    """Assess and print. A user error propagates to the command line's one boundary
    (dashboard.cli.main), which prints it and exits 2."""
    demo = args.path is not None and is_shipped_demo(args.path)
    timezone = command_timezone(args, demo)
    protocol = load_protocol(args.protocol) if args.protocol else None
    at = None if args.course else parse_at(args.at, timezone)
    ward = load_ward(args.path, timezone) if args.path is not None else store_ward()
    if demo and args.at is None:
        ward = story_moved_to_now(ward, timezone, args.path)
    if args.course:
        evaluated_at = now()
        if args.at is not None:
            # --course --at: the review as it could have been made at that moment
            evaluated_at = parse_at(args.at, timezone)
            ward.observations = ward.observations[ward.observations["time"] <= evaluated_at]
        assessments = assess_course(ward, protocol)
        reviewed = {a.patient_id for a in assessments}
        without_doses = [
            str(pid) for pid in ward.patients["patient_id"] if str(pid) not in reviewed
        ]
    else:
        assert at is not None  # parsed above whenever not --course
        assessments = assess_next_doses(ward, at, protocol)
        evaluated_at = at
        without_doses = []
    shown = protocol or load_protocol(None)
    protocols_used = sorted({a.protocol_id for a in assessments})
    extras = (
        None
        if args.course
        else section9(
            ward, assessments, evaluated_at, with_stricter=args.format == "table", protocol=protocol
        )
    )
    if args.format == "table":  # for a person: ward-local times
        output = render_table(
            assessments,
            shown,
            evaluated_at,
            args.course,
            protocols_used,
            without_doses=without_doses,
            timezone=timezone,
            extras=extras,
        )
    elif args.format == "json":  # for programs: UTC, as the data contract writes it
        output = render_json(
            assessments,
            shown,
            evaluated_at,
            args.course,
            protocols_used,
            without_doses=without_doses,
            extras=extras,
        )
    else:
        output = render_csv(
            assessments,
            shown,
            evaluated_at,
            args.course,
            protocols_used,
            without_doses=without_doses,
        )
    sys.stdout.write(output)
    return EXIT_OK


def story_moved_to_now(ward: WardData, timezone: str, path: str) -> WardData:
    """The shipped demo as the app shows it: every time moved by whole hours so that the
    real clock falls at the story's "now". Said on standard error, so that nobody takes
    the printed times for the files' own; --at reads the files as written."""
    info = read_ward_info()
    moment = now()
    patients, doses, observations = shift_ward(
        ward.patients, ward.doses, ward.observations, info.anchor, moment
    )
    hours = story_shift(info.anchor, moment) / pd.Timedelta(hours=1)
    print(
        f'note: {DEMO_DIR} is the shipped demo ward: as in the app, its story ("now" = '
        f"{local_time(info.anchor, timezone)}) is moved by {hours:+,.0f} h to the real clock. "
        "Give --at to read its files as written.",
        file=sys.stderr,
    )
    return WardData(patients, doses, observations, ward.report)


# --------------------------------------------------------------------------- section 9


def section9(
    ward,
    assessments: list[DoseAssessment],
    at: pd.Timestamp,
    with_stricter: bool = True,
    protocol: Protocol | None = None,
) -> dict:
    """What criteria.md section 9 adds to each patient's verdict: support in progress,
    validity, and (for a person) another shipped protocol's stricter status.

    The protocols are the very objects the verdicts were assessed with (a site's file given
    by path included), never reloaded by id: a site copy under a shipped id must not have
    its freshness taken from the shipped file."""
    ids = pd.Index(sorted({str(a.patient_id) for a in assessments}))
    _, protocols = patient_protocols(ward.patients, ids, protocol)
    by_patient = {str(a.patient_id): protocols[a.protocol_id] for a in assessments}
    support = support_in_progress(
        ward, at, by_patient, {str(a.patient_id): a.findings for a in assessments}
    )
    validity = ward_validity(assessments, protocols, ward.observations, at)
    stricter = {}
    if with_stricter:
        others = [load_protocol(pid) for pid in shipped_protocol_ids()]
        stricter = stricter_notes(assessments, assess_other_protocols(ward, at, others))
    return {
        "protocols": protocols,
        "support": support,
        "validity": validity,
        "stricter": stricter,
        "refused": ward.refused_by_patient(),
    }


def support_json(support: Support | None) -> list[dict]:
    """The support items of data-contract section 5: value, unit (UCUM), time."""
    if support is None:
        return []
    items = []
    for item in support.items:
        entry = {
            "kind": item.kind,
            "parameter": item.parameter,
            "value": _json_value(item.value),
            "unit": item.unit,
            "time": _iso(item.time),
        }
        if item.hours is not None:
            entry["hours"] = _json_value(float(item.hours))
        if item.ratio is not None:
            entry["ratio_to_baseline"] = item.ratio
        if item.threshold:
            entry["thresholds"] = [
                {"outcome": o, "op": op, "value": _json_value(v), "unit": item.unit}
                for o, op, v in item.threshold
            ]
        if item.note:
            entry["note"] = item.note
        items.append(entry)
    return items


def _validity_json(validity: Validity | None) -> str | None:
    return None if validity is None else _iso(validity.until)


# --------------------------------------------------------------------------- JSON


def _iso(moment) -> str | None:
    if moment is None or pd.isna(moment):
        return None
    return pd.Timestamp(moment).tz_convert("UTC").isoformat()


def _json_value(value):
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    return value


def finding_json(finding: Finding) -> dict:
    return {
        "criterion": finding.criterion,
        "outcome": finding.outcome,
        "parameter": finding.parameter,
        "value": _json_value(finding.value),
        "unit": finding.unit,
        "time": _iso(finding.time),
        "rule": finding.rule,
        "source": finding.source,
        "interpretation": finding.interpretation,
        "detail": finding.detail,
        "restart": finding.restart,
        "system": finding.system,
    }


def _dose_json(assessment: DoseAssessment) -> dict | None:
    if assessment.dose_number is None:  # no dose due (the cycle may still be named)
        return None
    return {
        "cycle": assessment.cycle,
        "dose_number": assessment.dose_number,
        "scheduled_time": _iso(assessment.scheduled_time),
    }


def document(
    assessments: list[DoseAssessment],
    protocol: Protocol,
    evaluated_at: pd.Timestamp,
    course: bool,
    protocols_used: list[str],
    without_doses: Sequence[str] = (),
    extras: dict | None = None,
) -> dict:
    """The JSON document of data-contract section 5 (with a few extra keys: each patient's
    protocol, and per finding interpretation, detail, restart and system)."""
    patients: dict[str, dict] = {}
    for assessment in assessments:
        entry = patients.setdefault(
            assessment.patient_id,
            {"patient_id": assessment.patient_id, "protocol": assessment.protocol_id},
        )
        findings = [finding_json(f) for f in assessment.findings]
        if course:
            dose = _dose_json(assessment)
            assert dose is not None  # --course assesses recorded doses: each has its number
            entry.setdefault("doses", []).append(
                {
                    **dose,
                    "recorded_status": assessment.recorded_status,
                    "status": assessment.status,
                    "findings": findings,
                }
            )
        else:
            entry.update(
                {
                    "next_dose": _dose_json(assessment),
                    "status": assessment.status,
                    "findings": findings,
                }
            )
            if extras is not None:
                pid = str(assessment.patient_id)
                validity = extras["validity"].get(pid)
                entry["valid_until"] = _validity_json(validity)
                if validity is not None and validity.recheck:
                    entry["recheck"] = validity.recheck
                entry["support"] = support_json(extras["support"].get(pid))
                if extras["refused"].get(pid):
                    entry["refused_rows"] = extras["refused"][pid]
    for patient_id in without_doses:  # --course: no dose recorded, an empty course
        patients.setdefault(patient_id, {"patient_id": patient_id, "doses": []})
    return {
        "protocol": {"id": protocol.id, "title": protocol.title},
        "protocols_used": protocols_used,
        "evaluated_at": _iso(evaluated_at),
        "patients": list(patients.values()),
    }


def render_json(
    assessments,
    protocol,
    evaluated_at,
    course,
    protocols_used,
    without_doses=(),
    extras: dict | None = None,
) -> str:
    return (
        json.dumps(
            document(
                assessments, protocol, evaluated_at, course, protocols_used, without_doses, extras
            ),
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


# --------------------------------------------------------------------------- CSV


def render_csv(
    assessments, protocol, evaluated_at, course, protocols_used, without_doses=()
) -> str:
    """One row per finding; a dose without findings gets one row with its status."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for assessment in assessments:
        base = {
            "patient_id": assessment.patient_id,
            "cycle": assessment.cycle or "",
            "dose_number": assessment.dose_number or "",
            "scheduled_time": _iso(assessment.scheduled_time) or "",
            "recorded_status": assessment.recorded_status or "",
            "status": assessment.status,
        }
        if not assessment.findings:
            writer.writerow(_safe_row(base))
        for finding in assessment.findings:
            item = finding_json(finding)
            writer.writerow(
                _safe_row(
                    {
                        **base,
                        **{
                            key: "" if item.get(key) is None else item[key]
                            for key in CSV_COLUMNS
                            if key in item
                        },
                    }
                )
            )
    return buffer.getvalue()


def _safe_row(row: dict) -> dict:
    return {key: spreadsheet_safe(value) for key, value in row.items()}


# --------------------------------------------------------------------------- table


def _finding_line(finding: Finding, timezone: str, titles: dict[str, str]) -> str:
    look = (
        status_look(finding.outcome)
        if finding.outcome not in ("resolved", "watch", "info", "discontinue", "stop_cycle")
        else None
    )
    word = look.word if look is not None else finding.outcome.replace("_", " ").upper()
    shown = finding_value(finding)
    when = f" at {local_time(finding.time, timezone, False)}" if finding.time is not None else ""
    flag = " [interpretation]" if finding.interpretation else ""
    title = titles.get(finding.criterion, finding.criterion)
    line = f"    {word:<11} {title}: {shown}{when}"
    extra = [f"      rule: {display_rule(finding.rule)}{flag}"]
    if finding.detail:
        extra.append(f"      {display_rule(local_text(finding.detail, timezone) or '')}")
    extra.append(f"      source: {finding.source}")
    return "\n".join([line, *extra])


def render_table(
    assessments,
    protocol,
    evaluated_at,
    course,
    protocols_used,
    without_doses=(),
    timezone: str = "UTC",
    extras: dict | None = None,
) -> str:
    lines = [
        f"Protocol: {protocol.id} ({protocol.title})"
        + (
            f"; per patient: {', '.join(protocols_used)}" if protocols_used != [protocol.id] else ""
        ),
        f"Evaluated at: {local_time(evaluated_at, timezone)} ({_iso(evaluated_at)}); "
        f"times below in {timezone}",
        "",
    ]
    if course:
        lines.append(
            f"{'patient':<10} {'cycle':>5} {'dose':>4}  {'scheduled':<16}  {'recorded':<9}  status"
        )
    else:
        lines.append(f"{'patient':<10} {'cycle':>5} {'dose':>4}  {'scheduled':<16}  status")
    lines.append("-" * 72)
    titles_of: dict[str, dict[str, str]] = {}
    assessed_with = (extras or {}).get("protocols", {})
    for assessment in assessments:
        if assessment.protocol_id not in titles_of:
            chosen = assessed_with.get(assessment.protocol_id)
            if chosen is None:
                try:
                    chosen = load_protocol(assessment.protocol_id)
                except MonitorUserError:  # a site's file given by path (--course)
                    chosen = protocol
            titles_of[assessment.protocol_id] = criterion_titles(chosen)
        titles = titles_of[assessment.protocol_id]
        cycle = str(assessment.cycle) if assessment.cycle is not None else "-"
        number = str(assessment.dose_number) if assessment.dose_number is not None else "-"
        head = (
            f"{assessment.patient_id:<10} {cycle:>5} {number:>4}  "
            f"{local_time(assessment.scheduled_time, timezone, False):<16}  "
        )
        if course:
            head += f"{assessment.recorded_status or '-':<9}  "
            head += status_look(assessment.status).word
            lines.append(head)
        else:
            at = pd.Timestamp(assessment.assessed_at)
            lines.append(head + headline(assessment, at, timezone, titles))
            if extras is not None:
                pid = str(assessment.patient_id)
                if extras["refused"].get(pid):
                    lines.append(
                        f"    ! {extras['refused'][pid]} row(s) refused for this "
                        "patient: the data are partial"
                    )
                lines.append(f"    support: {support_line(extras['support'].get(pid))}")
                shown = display_status(assessment.status, [f.outcome for f in assessment.findings])
                valid, _ = validity_text(
                    extras["validity"].get(pid), shown, assessment, at, timezone
                )
                if valid:
                    lines.append(f"    {valid}")
                note = stricter_text(extras["stricter"].get(pid), timezone, at)
                if note:
                    lines.append(f"    stricter elsewhere: {note}")
        lines.extend(_finding_line(finding, timezone, titles) for finding in assessment.findings)
    lines.extend(f"{patient_id:<10} no doses recorded" for patient_id in without_doses)
    lines.append("")
    lines.append(
        "Support for a clinician's decision; it does not make it. Check every finding's "
        "value, time, rule and source."
    )
    # Ids, names and reasons come from the input: no escape code reaches the terminal.
    return terminal_safe("\n".join(lines)) + "\n"
