"""Figure builders: pure functions from view models to plotly figures (no streamlit).

The trend plots follow design.md: small multiples sharing one time axis; SVG
``go.Scatter`` only (``scattergl`` is slower without a GPU and limited in WebGL contexts);
a vertical marker at every dose (given solid, held dashed, labelled with the dose number);
threshold lines and bands taken from the protocol objects the engine uses
(:mod:`dashboard.views.thresholds`); readings that meet a criterion marked; gaps left
visible (the line breaks where readings are further apart than the protocol's freshness
for that parameter); x in ward-local *naive* time with the zone on the axis, because
tz-aware x makes plotly 15-50x slower.

Every shape carries a ``name`` ("dose|C1D7|held", "threshold|sbp|hypotension|hold|90")
so that tests and screen readers can tell what it is.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.quantities import display_unit, plain_number
from dashboard.views.statuses import OKABE_ITO, finding_look
from dashboard.views.thresholds import URINE_RATE, WEIGHT_GAIN, Threshold
from dashboard.views.trends import VASOPRESSORS, Series, TrendData

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
PANEL_HEIGHT = 150
MARK_COLOUR = OKABE_ITO["vermillion"]
SERIES_COLOURS = {
    "sbp": OKABE_ITO["blue"],
    "map": OKABE_ITO["sky_blue"],
    "phenylephrine": OKABE_ITO["blue"],
    "dopamine": OKABE_ITO["bluish_green"],
    "norepinephrine": OKABE_ITO["reddish_purple"],
}
DEFAULT_COLOUR = OKABE_ITO["blue"]
SHORT_NAMES = {"sbp": "SBP", "map": "MAP"}
DOSE_STYLES = {  # status -> (colour, dash, label suffix)
    "given": ("#333333", "solid", ""),
    "held": (OKABE_ITO["vermillion"], "dash", " held"),
    "skipped": ("#777777", "dot", " skipped"),
    "scheduled": (OKABE_ITO["blue"], "dot", " due"),
}
BAND_OPACITY = {"watch": 0.10}
DEFAULT_BAND_OPACITY = 0.16


@dataclass(frozen=True)
class Panel:
    title: str
    series: tuple[str, ...]
    system: str  # ABCDE of an observation chart: "B" breathing ... "E" exposure, "L" labs
    height: int = 84  # the plot area in px (the title strip comes on top)
    always: bool = True  # drawn without readings (a vital sign every chart has)


#: ABCDE order, like an observation chart; labs last.
PANELS = (
    Panel("SpO2", ("spo2",), "B"),
    Panel("Respiratory rate", ("resp_rate",), "B"),
    Panel("Oxygen flow", ("o2_flow",), "B", always=False),
    Panel("Blood pressure", ("sbp", "map"), "C", 104),
    Panel("Vasopressors", VASOPRESSORS, "C", 56),
    Panel("Heart rate", ("heart_rate",), "C"),
    Panel("Urine output per collection period", (URINE_RATE,), "C"),
    Panel("Weight over baseline", (WEIGHT_GAIN,), "C", 64),
    Panel("Mental status", ("mental_status",), "D", 64),
    Panel("Temperature", ("temperature",), "E"),
    Panel("Creatinine", ("creatinine",), "L"),
    Panel("Potassium", ("potassium",), "L", 64, always=False),
    Panel("Bicarbonate", ("bicarbonate",), "L", 64, always=False),
    Panel("Total bilirubin", ("bilirubin",), "L", 64, always=False),
    Panel("Platelet count", ("platelets",), "L", 64, always=False),
)
#: What a nurse decides a dose with (the rounds issue): blood pressure with the
#: vasopressors, urine per interval, creatinine, mental status.
DECISION_SERIES = ("sbp", *VASOPRESSORS, URINE_RATE, "creatinine", "mental_status")
MAX_EXTRA_DECIDING = 2  # panels the card's findings add to the decision figure
#: Plot-area widths the page ships at (1366 and 1920 px windows with the sidebar): labels
#: are placed for the narrowest, so that they never overlap at any of them.
SHIPPED_PLOT_WIDTHS = (700, 1290)
MARGIN = {"l": 56, "r": 150, "t": 44, "b": 40}
#: The decision figure's height in px: with the card it fits 1920 x 1080.
DECISION_FIGURE_PX = 410
EMPTY_PANEL_PX = 30  # a decision panel without readings: room for its message only
TITLE_PX = 18  # the strip above each panel holding its title
TICKS_PX = 16  # the time labels under a panel that is not the last
LABEL_FONT = 10
LABEL_LINE_PX = 14  # a 10 px label's height, with room
LABEL_CHARS = 22  # a threshold label wider than this wraps (the right margin's width)
CHAR_EM = 0.62  # the widest average character width of the fonts, in em


def text_width(text: str, size: float) -> float:
    """A generous estimate of a label's width in px (no markup counted)."""
    return len(_plain(text)) * size * CHAR_EM


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


def visible_panels(data: TrendData, panels: tuple[Panel, ...] = PANELS) -> tuple[Panel, ...]:
    """The panels worth drawing: every vital sign, and any other panel with readings or a
    parameter the protocol decides with (then "no readings charted" says it is missing)."""
    return tuple(
        panel
        for panel in panels
        if panel.always
        or any(key in data.protocol_series for key in panel.series)
        or any(key in data.series and len(data.series[key].y) for key in panel.series)
    )


def split_panels(
    data: TrendData, deciding: set[str] | frozenset[str] = frozenset()
) -> tuple[tuple[Panel, ...], tuple[Panel, ...]]:
    """(decision panels, the rest). The decision panels fit one screen under the card: the
    card's deciding parameters first (at most MAX_EXTRA_DECIDING beyond the usual four),
    then blood pressure with vasopressors, urine, creatinine and mental status."""
    shown = visible_panels(data)
    keys = {_series_key(p) for p in deciding}
    first = [p for p in shown if keys & set(p.series)]
    usual = [p for p in shown if set(DECISION_SERIES) & set(p.series)]
    extra = [p for p in first if p not in usual][:MAX_EXTRA_DECIDING]
    ordered = [p for p in first if p in usual or p in extra]
    ordered += [p for p in usual if p not in ordered]
    # Vasopressors stay right under blood pressure: the pressure is read with the pressor.
    if PANELS[4] in ordered and PANELS[3] in ordered:
        ordered.remove(PANELS[4])
        ordered.insert(ordered.index(PANELS[3]) + 1, PANELS[4])
    decision = tuple(ordered)
    return decision, tuple(p for p in shown if p not in decision)


def _series_key(parameter: str) -> str:
    return {"urine_output": URINE_RATE, "weight": WEIGHT_GAIN}.get(parameter, parameter)


def with_gaps(series: Series) -> tuple[np.ndarray, np.ndarray]:
    """Insert a NaN between readings further apart than the series' gap, so that no line
    is drawn across a period without data."""
    x, y = series.x, series.y
    if series.gap_hours is None or len(x) < 2:
        return x, y
    spacing = np.diff(x).astype("timedelta64[s]").astype(float) / 3600
    breaks = np.flatnonzero(spacing > series.gap_hours)
    if not len(breaks):
        return x, y
    middle = x[breaks] + (x[breaks + 1] - x[breaks]) / 2
    return (np.insert(x, breaks + 1, middle), np.insert(y.astype(float), breaks + 1, np.nan))


def _unit(series: Series) -> str:
    return f" {display_unit(series.unit)}" if series.unit else ""


def _axis_range(values: list[np.ndarray], thresholds: list[Threshold]) -> tuple[float, float]:
    finite = [v[np.isfinite(v)] for v in values]
    points = np.concatenate(finite) if finite else np.array([])
    edges = [edge for t in thresholds for edge in t.edges]
    both = np.concatenate([points, np.asarray(edges, dtype=float)])
    if not len(both):
        return 0.0, 1.0
    low, high = float(both.min()), float(both.max())
    pad = (high - low) * 0.08 or max(abs(high) * 0.1, 1.0)
    return low - pad, high + pad


def panel_y_range(
    present: list[Series], thresholds: list[Threshold], codes: tuple[str, ...]
) -> tuple[float, float]:
    """A panel's y range: the codes of an ordinal series, else readings and thresholds."""
    if codes:
        return -0.5, len(codes) - 0.5
    return _axis_range([s.y for s in present], thresholds)


#: A tick label's height in px, with room: at most one label per this many px of panel.
TICK_LABEL_PX = 16


def y_ticks(low: float, high: float, most: int) -> list[float]:
    """Tick values for a numeric panel: round steps (1, 2, 2.5 or 5 times a power of ten),
    as many as fit (at most ``most``) and never fewer than two inside [low, high]. Plotly's
    own choice, given a small panel, could put every tick outside the range: a creatinine
    panel read 0.9-4.8 mg/dL with no number on its axis."""
    span = high - low
    if not (math.isfinite(span) and span > 0):
        return [low]
    most = max(2, most)
    power = math.floor(math.log10(span / most)) - 1
    fallback: list[float] = []
    for exponent in range(power, power + 4):
        for multiple in (1, 2, 2.5, 5):
            step = multiple * 10.0**exponent
            first = math.ceil(low / step - 1e-9)
            ticks = [round(k * step, 10) for k in range(first, math.floor(high / step + 1e-9) + 1)]
            if 2 <= len(ticks) <= most:
                return ticks
            if len(ticks) >= 2:
                fallback = ticks
    # no round step gives between 2 and `most`: the least crowded one with two or more
    return fallback[:: max(1, math.ceil(len(fallback) / most))] or [low, high]


def _unique_thresholds(thresholds: list[Threshold]) -> list[Threshold]:
    """One band per (series, interval, outcome): two grades saying the same thing are one
    line (their criteria stay in the label)."""
    seen: dict[tuple, Threshold] = {}
    for t in thresholds:
        key = (t.series, t.low, t.low_inclusive, t.high, t.high_inclusive, t.outcome)
        seen.setdefault(key, t)
    return list(seen.values())


def _operator_words(t: Threshold) -> str:
    if math.isinf(t.low):
        return f"{'≤' if t.high_inclusive else '<'} {plain_number(t.high)}"
    if math.isinf(t.high):
        return f"{'≥' if t.low_inclusive else '>'} {plain_number(t.low)}"
    return f"{plain_number(t.low)}–{plain_number(t.high)}"


class _Canvas:
    """Traces, shapes and annotations as plain dicts, put into one figure at the end:
    plotly's ``add_*`` helpers validate on every call and cost ~0.5 s for a patient.

    Panels are laid out in pixels (each a title strip, its plot, and its own time labels
    unless it is the last), so that labels can be placed where they cannot overlap."""

    def __init__(self, panels: tuple[Panel, ...], ticks_under_each: bool = True):
        self.rows = len(panels)
        self.traces: list[dict] = []
        self.shapes: list[dict] = []
        self.annotations: list[dict] = []
        slots = [
            TITLE_PX + panel.height + (TICKS_PX if ticks_under_each and i < len(panels) - 1 else 0)
            for i, panel in enumerate(panels)
        ]
        self.plot_px = sum(slots)
        self.height = self.plot_px + MARGIN["t"] + MARGIN["b"]
        self.domains = []
        top = 0  # px from the top of the plotting area
        for panel, slot in zip(panels, slots, strict=True):
            high = 1.0 - (top + TITLE_PX) / self.plot_px
            low = high - panel.height / self.plot_px
            self.domains.append((round(max(low, 0.0), 6), round(min(high, 1.0), 6)))
            top += slot
        self.layout: dict = {}

    @staticmethod
    def axis(row: int) -> str:
        return "" if row == 1 else str(row)

    def x(self, row: int) -> str:
        return f"x{self.axis(row)}"

    def y(self, row: int) -> str:
        return f"y{self.axis(row)}"


def _add_thresholds(
    canvas: _Canvas,
    row: int,
    thresholds: list[Threshold],
    y_range: tuple[float, float],
    codes: tuple[str, ...],
    name_series: bool,
) -> None:
    xref, yref = f"{canvas.x(row)} domain", canvas.y(row)
    labels: dict[str, tuple[float, list[str]]] = {}  # outcome -> (first edge, words)
    for t in _unique_thresholds(thresholds):
        look = finding_look(t.outcome)
        low, high = max(t.low, y_range[0]), min(t.high, y_range[1])
        # watch: a dotted line, no band (clutter). A panel of several series (SBP and MAP)
        # gets lines only: a band there would put the MAP readings "in" the SBP hold zone.
        if low < high and t.outcome != "watch" and not name_series:
            canvas.shapes.append(
                {
                    "type": "rect",
                    "xref": xref,
                    "yref": yref,
                    "x0": 0,
                    "x1": 1,
                    "y0": low,
                    "y1": high,
                    "line": {"width": 0},
                    "layer": "below",
                    "fillcolor": look.colour,
                    "opacity": BAND_OPACITY.get(t.outcome, DEFAULT_BAND_OPACITY),
                    "name": f"band|{t.series}|{t.criterion}|{t.outcome}",
                }
            )
        inside = [edge for edge in t.edges if y_range[0] < edge < y_range[1]]
        for edge in inside:
            canvas.shapes.append(
                {
                    "type": "line",
                    "xref": xref,
                    "yref": yref,
                    "x0": 0,
                    "x1": 1,
                    "y0": edge,
                    "y1": edge,
                    "layer": "below",
                    "line": {
                        "color": look.colour,
                        "width": 1.5,
                        "dash": "dot" if t.outcome == "watch" else "solid",
                    },
                    "name": f"threshold|{t.series}|{t.criterion}|{t.outcome}|{plain_number(edge)}",
                }
            )
        if not codes and inside:
            words = f"{t.series + ' ' if name_series else ''}{_operator_words(t)}"
            edge, seen = labels.setdefault(t.outcome, (inside[0], []))
            if words not in seen:
                seen.append(words)
    # One label per outcome ("watch ≥ 1.68, ≥ 2.24"), stacked in the right margin so that
    # no two overlap (the rounds issue: "hold 10–20" was drawn over "stop cycle < 10").
    wanted = [
        (edge, _label_text(finding_look(outcome).word.lower(), words), outcome)
        for outcome, (edge, words) in labels.items()
    ]
    _stack_labels(canvas, row, wanted, y_range)


def _label_text(word: str, parts: list[str]) -> str:
    """'watch ≥ 1.23, 1.64, 2.46': one operator said once; wrapped when too wide for the
    right margin."""
    operators = {part.split(" ")[0] for part in parts}
    if len(parts) > 1 and len(operators) == 1 and operators <= {"<", "≤", ">", "≥"}:
        op = operators.pop()
        parts = [parts[0]] + [part.removeprefix(op + " ") for part in parts[1:]]
    lines, line = [], word
    for part in parts:
        joined = f"{line} {part}" if line == word else f"{line}, {part}"
        if len(joined) > LABEL_CHARS and line != word:
            lines.append(line + ",")
            line = part
        else:
            line = joined
    lines.append(line)
    return "<br>".join(lines)


def _stack_labels(
    canvas: _Canvas,
    row: int,
    wanted: list[tuple[float, str, str]],
    y_range: tuple[float, float],
) -> None:
    """Threshold labels beside their lines, moved apart vertically where they would touch,
    and kept within the panel's height."""
    if not wanted:
        return
    low, high = canvas.domains[row - 1]
    panel_px = (high - low) * canvas.plot_px
    span = y_range[1] - y_range[0]

    def px(value: float) -> float:  # from the panel's top
        return (y_range[1] - value) / span * panel_px

    wanted = sorted(wanted, key=lambda item: px(item[0]))
    heights = [LABEL_LINE_PX * (text.count("<br>") + 1) for _, text, _ in wanted]
    # The labels may use the title strip above the panel: the title is on the left.
    ceiling = -TITLE_PX
    placed: list[float] = []  # each label's top, px from the panel's top
    for (edge, _, _), height in zip(wanted, heights, strict=True):
        top = max(px(edge) - height / 2, ceiling)
        if placed:
            top = max(top, placed[-1] + heights[len(placed) - 1])
        placed.append(top)
    # Pushed past the panel's foot: move the stack up, never above the panel's top.
    limit = panel_px
    for i in range(len(placed) - 1, -1, -1):
        placed[i] = max(min(placed[i], limit - heights[i]), ceiling)
        limit = placed[i]
    placed = [top + h / 2 for top, h in zip(placed, heights, strict=True)]  # centres
    for (edge, text, outcome), centre in zip(wanted, placed, strict=True):
        canvas.annotations.append(
            {
                "x": 1.0,
                "xref": f"{canvas.x(row)} domain",
                "xanchor": "left",
                "xshift": 4,
                "y": edge,
                "yref": canvas.y(row),
                "yanchor": "middle",
                "yshift": -(centre - px(edge)),
                "text": text,
                "showarrow": False,
                "font": {"size": LABEL_FONT, "color": "#333333"},
                "name": f"threshold-label|{row}|{outcome}",
            }
        )


def _add_series(canvas: _Canvas, row: int, series: Series, thresholds: list[Threshold]) -> None:
    colour = SERIES_COLOURS.get(series.key, DEFAULT_COLOUR)
    x, y = with_gaps(series)
    axes = {"xaxis": canvas.x(row), "yaxis": canvas.y(row)}
    if series.codes:
        text = [series.codes[int(v)] if np.isfinite(v) else "" for v in y]
        hover = "%{x|%a %d %b %H:%M}: %{text}<extra>" + series.label + "</extra>"
    else:
        text = None
        hover = (
            "%{x|%a %d %b %H:%M}: %{y:.4g}" + _unit(series) + "<extra>" + series.label + "</extra>"
        )
    # A rate charted at the end of its period holds over (previous entry, this entry]:
    # "vh"; an infusion rate holds from its entry until the next one: "hv".
    shape = ("vh" if series.key == URINE_RATE else "hv") if series.step else "linear"
    canvas.traces.append(
        {
            "type": "scatter",
            "x": x,
            "y": y,
            "text": text,
            "name": series.label,
            "mode": "lines+markers",
            "line": {"color": colour, "width": 1.6, "shape": shape},
            "marker": {"size": 5, "color": colour},
            "connectgaps": False,
            "hovertemplate": hover,
            "legendgroup": series.key,
            "showlegend": False,
            **axes,
        }
    )
    drawn = [t for t in thresholds if t.outcome != "watch"]
    if not drawn or not len(series.y):
        return
    met = np.zeros(len(series.y), dtype=bool)
    why = np.full(len(series.y), "", dtype=object)
    for t in drawn:
        hit = t.meets(series.y)
        why[hit] = why[hit] + f"{t.criterion} ({t.outcome}) "
        met |= hit
    if met.any():
        canvas.traces.append(
            {
                "type": "scatter",
                "x": series.x[met],
                "y": series.y[met],
                "mode": "markers",
                "name": "meets a criterion",
                "text": list(why[met]),
                "marker": {
                    "symbol": "x-thin-open",
                    "size": 12,
                    "color": MARK_COLOUR,
                    "line": {"width": 2.5, "color": MARK_COLOUR},
                },
                "hovertemplate": "%{x|%H:%M}: meets %{text}<extra></extra>",
                "legendgroup": "meets",
                "showlegend": False,
                **axes,
            }
        )


DOSE_ROWS_PX = (16, 29)  # the two rows of dose labels above the plots
NOW_ROW_PX = 2  # "now" sits in its own row, nearest the plots


def _add_doses(canvas: _Canvas, data: TrendData) -> None:
    start, end = (pd.Timestamp(v) for v in data.window)
    span = (end - start).total_seconds() or 1.0
    narrowest = min(SHIPPED_PLOT_WIDTHS)

    def px(x: pd.Timestamp) -> float:
        return (pd.Timestamp(x) - start).total_seconds() / span * narrowest

    row_ends = [-math.inf] * len(DOSE_ROWS_PX)  # right edge of the last label in each row
    for mark in sorted(data.doses, key=lambda m: m.x):
        colour, dash, suffix = DOSE_STYLES.get(mark.status, ("#777777", "dot", ""))
        canvas.shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": mark.x,
                "x1": mark.x,
                "y0": 0,
                "y1": 1,
                "line": {"color": colour, "dash": dash, "width": 1.3},
                "layer": "above",
                "name": f"dose|C{mark.cycle}D{mark.number}|{mark.status}",
            }
        )
        # Annotations, not top-axis ticks: plotly dropped some tick labels of a date axis
        # with array ticks (doses 8-11 of a demo patient went unlabelled). Two rows, so
        # that doses close in time (a restart, a TIL interval) keep readable labels.
        text = f"{mark.number}{suffix}"
        centre = px(mark.x)
        row = 0
        for attempt in (text, str(mark.number)):
            half = text_width(attempt, LABEL_FONT) / 2 + 2
            free = [i for i, right in enumerate(row_ends) if right < centre - half]
            if free:
                text, row = attempt, free[0]
                break
        else:
            row = int(np.argmin(row_ends))
        row_ends[row] = centre + text_width(text, LABEL_FONT) / 2 + 2
        canvas.annotations.append(
            {
                "x": mark.x,
                "xref": "x",
                "y": 1.0,
                "yref": "paper",
                "yanchor": "bottom",
                "yshift": DOSE_ROWS_PX[row],
                "text": text,
                "showarrow": False,
                "font": {"size": LABEL_FONT, "color": colour},
                # From the doses file: plotly renders a subset of HTML in hover text (a link
                # would be live), so the reason is escaped.
                "hovertext": html.escape(mark.reason) if mark.reason else None,
                "name": f"dose-label|C{mark.cycle}D{mark.number}",
            }
        )
    canvas.shapes.append(
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": data.now,
            "x1": data.now,
            "y0": 0,
            "y1": 1,
            "line": {"color": "#000000", "dash": "dashdot", "width": 1},
            "name": "now",
        }
    )
    # Above the plots in its own row: at the foot it sat on the "12:00" time label.
    canvas.annotations.append(
        {
            "x": data.now,
            "xref": "x",
            "y": 1.0,
            "yref": "paper",
            "yanchor": "bottom",
            "yshift": NOW_ROW_PX,
            "text": "now",
            "showarrow": False,
            "font": {"size": LABEL_FONT},
            "name": "now-label",
        }
    )


def _has_readings(data: TrendData, panel: Panel) -> bool:
    return any(key in data.series and len(data.series[key].y) for key in panel.series)


def _least_px(panel: Panel) -> int:
    """The least height a panel reads at: an ordinal panel needs a line per code."""
    return 56 if "mental_status" in panel.series else 40


def trend_figure(
    data: TrendData,
    panels: tuple[Panel, ...] | None = None,
    part: str = "all",
    compact: bool = False,
) -> go.Figure:
    """Small multiples of a patient's course on one shared time axis. ``panels`` default
    to every visible one; ``part`` names the figure for plotly's ``uirevision``, so that a
    zoom or pan survives the auto-refresh (a new figure of the same patient and part).
    ``compact``: the decision figure, its panels scaled into DECISION_FIGURE_PX and the
    time labels under the last only, so that it fits one screen under the card."""
    panels = visible_panels(data) if panels is None else panels
    if compact:
        empty = [p for p in panels if not _has_readings(data, p)]
        panels = tuple(replace(p, height=EMPTY_PANEL_PX) if p in empty else p for p in panels)
        total = sum(p.height for p in panels if p not in empty) or 1
        room = (
            DECISION_FIGURE_PX
            - MARGIN["t"]
            - MARGIN["b"]
            - TITLE_PX * len(panels)
            - EMPTY_PANEL_PX * len(empty)
        )
        scale = min(1.0, room / total)
        panels = tuple(
            p
            if p.height == EMPTY_PANEL_PX
            else replace(p, height=max(_least_px(p), int(p.height * scale)))
            for p in panels
        )
    canvas = _Canvas(panels, ticks_under_each=not compact)
    layout = canvas.layout
    bottom = len(panels)
    for row, panel in enumerate(panels, start=1):
        present = [data.series[key] for key in panel.series if key in data.series]
        if panel.series == VASOPRESSORS:  # the drugs charted, else the first (empty)
            present = [s for s in present if len(s.y)] or present[:1]
        # Only the charted series' thresholds: a dopamine line on a panel charting
        # phenylephrine alone would read as phenylephrine's.
        thresholds = [t for t in data.thresholds if t.series in {s.key for s in present}]
        codes = next((s.codes for s in present if s.codes), ())
        low, high = canvas.domains[row - 1]
        yaxis: dict = {
            "domain": [low, high],
            "anchor": canvas.x(row),
            "zeroline": False,
            "tickfont": {"size": 10},
        }
        y_range = panel_y_range(present, thresholds, codes)
        if codes:
            yaxis.update(tickvals=list(range(len(codes))), ticktext=list(codes))
        else:
            yaxis["tickvals"] = y_ticks(*y_range, most=panel.height // TICK_LABEL_PX)
        yaxis["range"] = list(y_range)
        layout[f"yaxis{canvas.axis(row)}"] = yaxis
        last = row == bottom
        layout[f"xaxis{canvas.axis(row)}"] = {
            "anchor": canvas.y(row),
            **({"matches": "x"} if row > 1 else {}),
            # Every panel has its time labels (nine panels with times only at the foot
            # could not be read); the day only under the last.
            "showticklabels": last or not compact,
            "tickfont": {"size": 10},
            "showgrid": True,
            "gridcolor": "#EEEEEE",
            "type": "date",
            "range": list(data.window),
            "tickformat": "%H:%M\n%a %d %b" if last else "%H:%M",
            **({"title": {"text": f"ward time, {data.timezone}", "standoff": 2}} if last else {}),
        }
        canvas.annotations.append(
            {
                "x": 0,
                "xref": "paper",
                "xanchor": "left",
                "y": high,
                "yref": "paper",
                "yanchor": "bottom",
                "yshift": 1,
                "text": _panel_title(panel, present),
                "showarrow": False,
                "font": {"size": 12},
                # The dose lines cross the title strip: the title stays readable over them.
                "bgcolor": "rgba(255,255,255,0.9)",
                "name": f"panel-title|{row}",
            }
        )
        _add_thresholds(
            canvas,
            row,
            thresholds,
            y_range,
            codes,
            len(present) > 1 if panel.series == VASOPRESSORS else len(panel.series) > 1,
        )
        for series in present:
            _add_series(canvas, row, series, [t for t in thresholds if t.series == series.key])
        if not any(len(s.y) for s in present):
            canvas.annotations.append(
                {
                    "x": 0.5,
                    "xref": f"{canvas.x(row)} domain",
                    "y": 0.5,
                    "yref": f"{canvas.y(row)} domain",
                    "text": "no readings charted",
                    "showarrow": False,
                    "font": {"size": 12, "color": MARK_COLOUR},
                    "name": f"no-readings|{row}",
                }
            )
    _add_doses(canvas, data)
    layout.update(
        # No template: plotly_white alone costs ~40 % of the drawing time in Chromium.
        height=canvas.height,
        template="none",
        paper_bgcolor="#FFFFFF",
        plot_bgcolor="#FFFFFF",
        margin=dict(MARGIN),
        font={"family": FONT, "size": 12},
        # No legend: it sat on the dose numbers; each title names its series in colour.
        showlegend=False,
        hovermode="closest",
        uirevision=f"{data.patient_id}|{part}",
        shapes=canvas.shapes,
        annotations=canvas.annotations,
    )
    return go.Figure(data=canvas.traces, layout=layout)


def _panel_title(panel: Panel, present: list[Series]) -> str:
    first = present[0] if present else None
    unit = f" ({display_unit(first.unit)})" if first is not None and first.unit else ""
    title = f"<b>{html.escape(panel.title)}{html.escape(unit)}</b>"
    if len(present) > 1 or (present and panel.series == VASOPRESSORS):
        names = [
            f'<span style="color:{SERIES_COLOURS.get(s.key, DEFAULT_COLOUR)}">'
            f"● {html.escape(SHORT_NAMES.get(s.key, s.label))}</span>"
            for s in present
        ]
        title += ": " + " ".join(names)
    return title


def minimal_figure(points: int = 50) -> go.Figure:
    """One line chart: the yardstick the browser benchmark compares the patient page to."""
    x = pd.date_range("2026-03-02", periods=points, freq="h").to_numpy()
    y = np.sin(np.arange(points) / 5.0)
    return go.Figure(go.Scatter(x=x, y=y, mode="lines+markers"))
