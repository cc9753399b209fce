"""Printed output: the ward sheet and the patient handover, as PDF (fpdf2).

Paper is how a ward hands over. Both documents are built from the same objects the screens
show (the engine's assessments, the card, the ward rows, the checklist, the course grid,
the trend series with the protocol's thresholds), so the sheet never says something the
screen does not. Text stays text (searchable, copyable); text from the data is written as
text, never interpreted as markup. The trend plots are drawn here as vector lines: plotly's
own image export (kaleido) starts a Chromium per image (about 7 s each on the reference
machine), too slow for a button.

"Printed at" carries the ward's zone; "printed by" is a parameter, filled in once sign-in
exists.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from fpdf import FPDF
from fpdf.fonts import FontFace

from dashboard.assessment import assess_course, assess_next_doses
from dashboard.assessment.results import DoseAssessment
from dashboard.errors import MonitorUserError
from dashboard.evaluate_cli import section9
from dashboard.figures import PANELS, Panel, panel_y_range, split_panels, with_gaps
from dashboard.protocols import Protocol
from dashboard.quantities import display_unit, plain_number
from dashboard.tables import WardData
from dashboard.views.checklist import checklist_rows
from dashboard.views.clock import format_clock, to_local
from dashboard.views.course_grid import course_grid, recorded_reasons
from dashboard.views.dose_card import SUPPORT_NOTE, DoseCard, dose_card
from dashboard.views.findings import FindingLine
from dashboard.views.statuses import finding_look, status_look
from dashboard.views.thresholds import Threshold
from dashboard.views.trends import TrendData, patient_trends
from dashboard.views.ward_rows import ward_rows

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
FONT = "DejaVu"
WARD_COLUMNS = (  # (column of ward_rows, heading on paper, width in mm of 277)
    ("Status", "Status", 27),
    ("Bed", "Bed", 13),
    ("Patient", "Patient", 33),
    ("Dose", "Dose", 15),
    ("Next dose due", "Due", 36),
    ("Reasons", "Reasons", 67),
    ("Support in full", "Support in progress", 59),
    ("Deciding values", "Data age", 27),
)
PANEL_MM = 24  # height of one trend panel on paper
GREY = "#777777"
PLAIN = FontFace(fill_color=(255, 255, 255))  # fpdf2 carries a cell's fill to the next


def _font_files() -> tuple[Path, Path]:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    raise MonitorUserError(
        "No DejaVu Sans font to print with (the PDF needs µ, ≥ and the status icons): "
        "install Debian's fonts-dejavu-core."
    )


def printed_line(at: pd.Timestamp, timezone: str, printed_by: str | None) -> str:
    """'Printed Tue 1 Dec 2026 14:19 EST (America/New_York) by —'."""
    local = to_local(pd.Timestamp(at), timezone)
    when = f"{local.strftime('%a')} {local.day} {local.strftime('%b %Y %H:%M %Z')}"
    return f"Printed {when} ({timezone}) by {printed_by or '— (sign-in not built yet)'}"


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


class _Sheet(FPDF):
    def __init__(self, title: str, printed: str, orientation: str):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        regular, bold = _font_files()
        self.add_font(FONT, "", str(regular))
        self.add_font(FONT, "B", str(bold))
        self.set_auto_page_break(True, margin=14)
        self.set_margins(10, 10, 10)
        self.title_text = title
        self.printed = printed
        self.set_title(title)
        self.set_creator("IL-2 toxicity monitor")
        self.alias_nb_pages()

    def header(self) -> None:
        self.set_font(FONT, "B", 11)
        self.cell(0, 6, self.title_text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 8)
        self.set_text_color(60, 60, 60)
        self.cell(0, 4, self.printed, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(1)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.set_text_color(60, 60, 60)
        self.multi_cell(0, 3, f"{SUPPORT_NOTE}  Page {self.page_no()} of {{nb}}", align="L")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        self.ln(1.5)
        self.set_font(FONT, "B", 10)
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 8.5)

    def para(self, text: str, size: float = 8.5, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, size * 0.45, text, new_x="LMARGIN", new_y="NEXT")


# --------------------------------------------------------------------------- assessment


@dataclass
class _Assessed:
    assessments: list[DoseAssessment]
    extras: dict  # section9: protocols, support, validity, stricter, refused


def _assess(ward: WardData, at: pd.Timestamp, protocol: Protocol | None) -> _Assessed:
    assessments = assess_next_doses(ward, at, protocol)
    return _Assessed(assessments, section9(ward, assessments, at, True, protocol))


def _subset(ward: WardData, patient_id: str) -> WardData:
    def mine(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["patient_id"].astype(str) == patient_id]

    return WardData(mine(ward.patients), mine(ward.doses), mine(ward.observations), ward.report)


def _protocol_words(protocols: dict[str, Protocol]) -> str:
    return "; ".join(f"{p.title} ({p.id}, version {p.version})" for p in protocols.values())


# --------------------------------------------------------------------------- ward sheet


def ward_pdf(
    ward: WardData,
    at: pd.Timestamp,
    timezone: str,
    protocol: Protocol | None = None,
    printed_by: str | None = None,
) -> bytes:
    """The ward sheet: one line per patient, worst first (status, dose, due, reasons,
    support, data age), on landscape A4."""
    at = pd.Timestamp(at)
    done = _assess(ward, at, protocol)
    protocols = done.extras["protocols"]
    rows = ward_rows(ward, done.assessments, protocols, at, timezone, done.extras["stricter"])
    pdf = _Sheet(
        f"IL-2 ward: next doses as of {format_clock(at, timezone)} ({timezone})",
        printed_line(at, timezone, printed_by),
        "L",
    )
    pdf.add_page()
    pdf.para(f"Protocol: {_protocol_words(protocols) or '—'}. {len(rows)} patient(s).", 8)
    pdf.ln(1)
    pdf.set_font(FONT, "", 7.5)
    heading = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
    with pdf.table(
        col_widths=[w for _, _, w in WARD_COLUMNS],
        width=sum(w for _, _, w in WARD_COLUMNS),
        text_align="LEFT",
        line_height=3.4,
        headings_style=heading,
        repeat_headings=1,
        padding=0.8,
    ) as table:
        head = table.row()
        for _, title, _ in WARD_COLUMNS:
            head.cell(title)
        for record in rows.to_dict("records"):
            look = status_look(record["shown"])
            line = table.row()
            for column, _, _ in WARD_COLUMNS:
                text = str(record.get(column) or "—")
                if column == "Status":
                    line.cell(
                        text,
                        style=FontFace(
                            emphasis="BOLD", fill_color=_rgb(look.colour), color=_rgb(look.ink)
                        ),
                    )
                else:
                    line.cell(text, style=PLAIN)
    return bytes(pdf.output())


# --------------------------------------------------------------------------- patient


def patient_pdf(
    ward: WardData,
    patient_id: str,
    at: pd.Timestamp,
    timezone: str,
    protocol: Protocol | None = None,
    printed_by: str | None = None,
) -> bytes:
    """The patient handover: the card, support, validity, the findings with their basis,
    the trend plots, the checklist and the course timeline (portrait A4)."""
    at = pd.Timestamp(at)
    pid = str(patient_id)
    known = ward.patients["patient_id"].astype(str)
    if pid not in set(known):
        raise MonitorUserError(f"There is no patient {pid!r} in this input.")
    mine = _subset(ward, pid)
    done = _assess(mine, at, protocol)
    assessment = next(a for a in done.assessments if str(a.patient_id) == pid)
    used = done.extras["protocols"][assessment.protocol_id]
    card = dose_card(
        assessment,
        used,
        timezone,
        support=done.extras["support"].get(pid),
        validity=done.extras["validity"].get(pid),
        stricter=done.extras["stricter"].get(pid),
        refused=done.extras["refused"].get(pid, 0),
    )
    patient = mine.patients.iloc[0]
    bed = patient.get("bed") if isinstance(patient.get("bed"), str) else "—"
    name = patient.get("name") if isinstance(patient.get("name"), str) else pid
    pdf = _Sheet(
        f"IL-2 handover: {bed} · {name} ({pid})", printed_line(at, timezone, printed_by), "P"
    )
    pdf.add_page()
    _card(pdf, card)
    trends = patient_trends(mine, pid, used, at, timezone)
    deciding = {f.parameter for f in assessment.findings if f.parameter}
    decision, rest = split_panels(trends, deciding)
    pdf.heading("Trends across the cycle")
    _trend_panels(pdf, trends, (*decision, *rest))
    if assessment.checklist:
        pdf.heading("Checklist: every criterion")
        _checklist(pdf, assessment, timezone, at)
    history = assess_course(_course_ward(mine, at), used)
    _timeline(pdf, history, used, timezone, at, recorded_reasons(mine.doses))
    return bytes(pdf.output())


def _course_ward(ward: WardData, at: pd.Timestamp) -> WardData:
    """The course as it could be reviewed at ``at``: later observations are not known."""
    return WardData(
        ward.patients, ward.doses, ward.observations[ward.observations["time"] <= at], ward.report
    )


def _card(pdf: _Sheet, card: DoseCard) -> None:
    look = card.look
    pdf.set_fill_color(*_rgb(look.colour))
    pdf.set_text_color(*_rgb(look.ink))
    pdf.set_font(FONT, "B", 13)
    pdf.cell(pdf.get_string_width(look.label()) + 4, 7, look.label(), fill=True, border=1)
    pdf.set_text_color(0, 0, 0)
    rest = card.headline.removeprefix(look.word).lstrip(": ")
    pdf.multi_cell(0, 7, " " + rest, new_x="LMARGIN", new_y="NEXT")
    if card.refused:
        pdf.para(f"Partial data: {card.refused}; the verdict may miss them.", bold=True)
    if card.watch_text:
        pdf.para(f"Watch: {card.watch_text}", bold=True)
    pdf.para(card.meaning)
    if card.support:
        pdf.para("Support in progress: " + " · ".join(card.support))
    if card.validity:
        pdf.para(f"Valid: {card.validity}", bold=card.recheck is not None)
    if card.stricter:
        pdf.para(f"Stricter elsewhere: {card.stricter} (the status stays this protocol's)")
    pdf.para(
        f"Assessed {card.as_of} · protocol {card.protocol}"
        + (f" · {card.deciding_age}" if card.deciding_age else "")
        + (f" · recorded: {card.recorded}" if card.recorded else ""),
        size=7.5,
    )
    sections: Sequence[tuple[str, list]] = (
        ("Why", card.reasons),
        ("Missing or too old (record, then reassess)", card.missing),
        ("Early warnings (do not change the status; look at them)", card.watch),
        ("Also noted (do not change the status)", card.notes),
    )
    for title, lines in sections:
        if lines:
            pdf.heading(title)
            for line in lines:
                _finding(pdf, line)
    if card.restart_unmet:
        pdf.heading("Before this dose can be given, still needed")
        for text in card.restart_unmet:
            pdf.para(f"• {text}")


def _finding(pdf: _Sheet, line: FindingLine) -> None:
    flag = " [INTERPRETATION]" if line.interpretation else ""
    pdf.para(f"• {line.badge} {line.title}: {line.value} at {line.time}.", bold=True)
    pdf.set_x(pdf.l_margin + 3)
    pdf.para(f"Rule: {line.rule.replace('`', '')}{flag}. Source: {line.source}", size=7.5)
    if line.detail:
        pdf.set_x(pdf.l_margin + 3)
        pdf.para(line.detail, size=7.5)


def _checklist(pdf: _Sheet, assessment: DoseAssessment, timezone: str, at) -> None:
    rows = checklist_rows(assessment.checklist, timezone, at)
    columns = (("State", 24), ("Criterion", 45), ("Values checked", 60), ("Rule", 61))
    pdf.set_font(FONT, "", 7)
    with pdf.table(
        col_widths=[w for _, w in columns],
        width=sum(w for _, w in columns),
        text_align="LEFT",
        line_height=3.1,
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        padding=0.6,
    ) as table:
        head = table.row()
        for title, _ in columns:
            head.cell(title)
        for record in rows.to_dict("records"):
            row = table.row()
            for title, _ in columns:
                text = str(record[title])
                if title == "State" and record["state"] != "clear":
                    look = finding_look(record["state"])
                    row.cell(
                        text, style=FontFace(fill_color=_rgb(look.colour), color=_rgb(look.ink))
                    )
                else:
                    row.cell(text, style=PLAIN)


def _timeline(
    pdf: _Sheet,
    history: list[DoseAssessment],
    protocol: Protocol,
    timezone: str,
    at: pd.Timestamp,
    reasons: dict,
) -> None:
    titles = {c.id: c.title for c in protocol.criteria}
    grid = course_grid(
        history, [c.id for c in protocol.criteria], timezone, titles, now=at, reasons=reasons
    )
    pdf.heading("Course timeline: dose × criterion")
    if grid.table.empty:
        pdf.para("No dose recorded for this patient.")
        return
    columns = list(grid.table.columns)
    fixed = {"Dose": 13, "Scheduled": 22, "Recorded": 32, "Assessed then": 24}
    left = 190 - sum(fixed.values())
    other = max(12.0, left / max(1, len(columns) - len(fixed)))
    widths = [fixed.get(c, other) for c in columns]
    pdf.set_font(FONT, "", 6.5)
    with pdf.table(
        col_widths=widths,
        width=min(190, sum(widths)),
        text_align="LEFT",
        line_height=2.9,
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        padding=0.5,
        repeat_headings=1,
    ) as table:
        head = table.row()
        for column in columns:
            head.cell(column)
        for index, record in grid.table.iterrows():
            states = grid.states.loc[index]
            row = table.row()
            if index == grid.now_row:
                row.cell(
                    f"{record['Dose']} {record['Scheduled']}: above, as recorded and assessed "
                    "at their time; below, as scheduled",
                    colspan=len(columns),
                    style=FontFace(emphasis="BOLD", fill_color=(215, 215, 215)),
                )
                continue
            for column in columns:
                state = states[column]
                text = str(record[column])
                if column not in ("Dose", "Scheduled", "Recorded") and state not in (
                    "",
                    "clear",
                    "now",
                ):
                    look = finding_look(state)
                    row.cell(
                        text, style=FontFace(fill_color=_rgb(look.colour), color=_rgb(look.ink))
                    )
                else:
                    row.cell(text, style=PLAIN)
    if grid.clear_throughout:
        pdf.para(
            "Clear at every dose (✔): "
            + ", ".join(titles.get(c, c) for c in grid.clear_throughout),
            size=7,
        )


# --------------------------------------------------------------------------- trend plots


def _trend_panels(pdf: _Sheet, data: TrendData, panels: Sequence[Panel]) -> None:
    """Small multiples as vector lines: one shared time axis, thresholds from the protocol,
    a line per dose (held dashed), now, readings with gaps left visible."""
    left, width = pdf.l_margin + 14, 190 - 14 - 30
    start, end = (pd.Timestamp(v) for v in data.window)
    span = (end - start).total_seconds()

    def x_of(value) -> float | None:
        moment = pd.Timestamp(value)
        if moment < start or moment > end:
            return None
        return left + (moment - start).total_seconds() / span * width

    first = True
    for panel in panels:
        if pdf.get_y() + PANEL_MM + 12 > pdf.h - pdf.b_margin:
            pdf.add_page()
            first = True
        if first:
            _dose_labels(pdf, data, x_of)
            first = False
        top = pdf.get_y() + 4
        _panel(pdf, data, panel, left, top, width, x_of)
        pdf.set_y(top + PANEL_MM + 5)
    pdf.set_font(FONT, "", 6.5)
    pdf.multi_cell(
        0,
        3,
        f"Times in {data.timezone}. Vertical lines: doses (solid given, dashed held, dotted "
        "due); black: now. Coloured lines: the thresholds of "
        f"{data.protocol_id}. Crosses: readings that meet a criterion. A broken line: no "
        "reading for longer than the protocol's freshness allows. " + " ".join(data.notes),
        new_x="LMARGIN",
        new_y="NEXT",
    )


def _dose_labels(pdf: _Sheet, data: TrendData, x_of) -> None:
    y = pdf.get_y() + 1
    pdf.set_font(FONT, "", 6)
    last = -math.inf
    for mark in data.doses:
        x = x_of(mark.x)
        if x is None:
            continue
        text = str(mark.number) + (" held" if mark.status == "held" else "")
        w = pdf.get_string_width(text)
        row = 0 if x - w / 2 > last + 0.5 else 1
        if row == 0:
            last = x + w / 2
        pdf.set_text_color(*_rgb("#D55E00" if mark.status == "held" else "#333333"))
        pdf.text(x - w / 2, y + 2 + row * 2.4, text)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(y + 4)


def _panel(pdf: _Sheet, data: TrendData, panel: Panel, left, top, width, x_of) -> None:
    present = [data.series[k] for k in panel.series if k in data.series]
    present = [s for s in present if len(s.y)] or present[:1]
    keys = {s.key for s in present}
    thresholds = [t for t in data.thresholds if t.series in keys]
    codes = next((s.codes for s in present if s.codes), ())
    low, high = panel_y_range(present, thresholds, codes)

    def y_of(value: float) -> float:
        return top + PANEL_MM - (value - low) / (high - low) * PANEL_MM

    unit = display_unit(present[0].unit) if present and present[0].unit else ""
    names = ", ".join(s.label for s in present) if len(present) > 1 else ""
    pdf.set_font(FONT, "B", 7.5)
    pdf.text(
        left, top - 1, f"{panel.title}{f' ({unit})' if unit else ''}{': ' + names if names else ''}"
    )
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.15)
    pdf.rect(left, top, width, PANEL_MM)
    # y labels: the ends of the range, or the codes
    pdf.set_font(FONT, "", 6)
    ticks = (
        list(enumerate(codes))
        if codes
        else [(v, plain_number(v, 4)) for v in _nice_ticks(low, high)]
    )
    for value, text in ticks:
        pdf.text(left - pdf.get_string_width(text) - 1, y_of(value) + 1, text)
    _thresholds(pdf, thresholds, low, high, y_of, left, width, bool(codes), len(present) > 1)
    for mark in data.doses:
        x = x_of(mark.x)
        if x is None:
            continue
        held = mark.status == "held"
        pdf.set_draw_color(
            *_rgb("#D55E00" if held else ("#333333" if mark.status == "given" else GREY))
        )
        if mark.status != "given":
            pdf.set_dash_pattern(dash=0.8, gap=0.6)
        pdf.line(x, top, x, top + PANEL_MM)
        pdf.set_dash_pattern()
    now = x_of(data.now)
    if now is not None:
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.3)
        pdf.line(now, top, now, top + PANEL_MM)
        pdf.set_font(FONT, "", 5.5)
        pdf.text(now + 0.5, top + 2, "now")
    colours = ("#0072B2", "#56B4E9", "#CC79A7", "#009E73")
    for number, series in enumerate(present):
        xs, ys = with_gaps(series)
        pdf.set_draw_color(*_rgb(colours[number % len(colours)]))
        pdf.set_line_width(0.3)
        segment: list[tuple[float, float]] = []
        for x_value, y_value in zip(xs, ys, strict=True):
            x = x_of(x_value)
            if x is None or not np.isfinite(y_value):
                _polyline(pdf, segment)
                segment = []
                continue
            segment.append((x, y_of(float(y_value))))
        _polyline(pdf, segment)
        for t in thresholds:
            if t.series != series.key or t.outcome == "watch":
                continue
            for x_value, y_value in zip(series.x, series.y, strict=True):
                x = x_of(x_value)
                if x is not None and t.meets(np.array([y_value]))[0]:
                    pdf.set_draw_color(*_rgb("#D55E00"))
                    pdf.line(x - 0.8, y_of(y_value) - 0.8, x + 0.8, y_of(y_value) + 0.8)
                    pdf.line(x - 0.8, y_of(y_value) + 0.8, x + 0.8, y_of(y_value) - 0.8)
    if not any(len(s.y) for s in present):
        pdf.set_font(FONT, "B", 7)
        pdf.set_text_color(*_rgb("#D55E00"))
        pdf.text(left + width / 2 - 12, top + PANEL_MM / 2, "no readings charted")
        pdf.set_text_color(0, 0, 0)
    _time_ticks(pdf, data, left, top + PANEL_MM, x_of)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)


def _polyline(pdf: _Sheet, points: list[tuple[float, float]]) -> None:
    if len(points) > 1:
        pdf.polyline(points)
    elif len(points) == 1:
        x, y = points[0]
        pdf.line(x - 0.4, y, x + 0.4, y)


def _nice_ticks(low: float, high: float) -> list[float]:
    step = 10 ** math.floor(math.log10((high - low) / 3 or 1))
    for factor in (1, 2, 5, 10):
        if (high - low) / (step * factor) <= 4:
            step *= factor
            break
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def _thresholds(
    pdf, thresholds: list[Threshold], low, high, y_of, left, width, codes, names
) -> None:
    placed: list[float] = []
    for t in sorted(thresholds, key=lambda t: -max(e for e in t.edges) if t.edges else 0):
        look = finding_look(t.outcome)
        pdf.set_draw_color(*_rgb(look.colour))
        pdf.set_line_width(0.35)
        if t.outcome == "watch":
            pdf.set_dash_pattern(dash=0.6, gap=0.6)
        for edge in t.edges:
            if low < edge < high:
                pdf.line(left, y_of(edge), left + width, y_of(edge))
        pdf.set_dash_pattern()
        inside = [e for e in t.edges if low < e < high]
        if codes or not inside:
            continue
        y = y_of(inside[0]) + 1
        while any(abs(y - other) < 2.4 for other in placed):
            y += 2.4
        placed.append(y)
        bound = "–".join(plain_number(v) for v in (t.low, t.high) if math.isfinite(v))
        op = (
            ""
            if math.isfinite(t.low) and math.isfinite(t.high)
            else ("≥ " if math.isinf(t.high) else "< ")
        )
        pdf.set_font(FONT, "", 5.5)
        series = f"{t.series.replace('_', ' ')} " if names else ""
        pdf.text(left + width + 1, y, f"{look.word.lower()} {series}{op}{bound}")


def _time_ticks(pdf: _Sheet, data: TrendData, left: float, bottom: float, x_of) -> None:
    start, end = (pd.Timestamp(v) for v in data.window)
    pdf.set_font(FONT, "", 5.5)
    tick = start.ceil("8h")
    while tick <= end:
        x = x_of(tick)
        if x is not None:
            text = tick.strftime("%H:%M") if tick.hour else tick.strftime("%a %d %H:%M")
            pdf.text(x - pdf.get_string_width(text) / 2, bottom + 2.6, text)
        tick += pd.Timedelta(hours=8)


__all__ = ["PANELS", "patient_pdf", "printed_line", "ward_pdf"]
