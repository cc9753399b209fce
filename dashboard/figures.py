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
from dataclasses import dataclass

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


PANELS = (
    Panel("Blood pressure: SBP, MAP", ("sbp", "map")),
    Panel("Heart rate", ("heart_rate",)),
    Panel("Temperature", ("temperature",)),
    Panel("SpO2", ("spo2",)),
    Panel("Urine output per collection period", (URINE_RATE,)),
    Panel("Creatinine", ("creatinine",)),
    Panel("Weight over baseline", (WEIGHT_GAIN,)),
    Panel("Vasopressor rate", VASOPRESSORS),
    Panel("Mental status", ("mental_status",)),
)


def _with_gaps(series: Series) -> tuple[np.ndarray, np.ndarray]:
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
    plotly's ``add_*`` helpers validate on every call and cost ~0.5 s for a patient."""

    def __init__(self, rows: int):
        self.rows = rows
        self.traces: list[dict] = []
        self.shapes: list[dict] = []
        self.annotations: list[dict] = []
        gap = 0.028
        height = (1.0 - gap * (rows - 1)) / rows
        # Row 1 on top; each row's y domain from the top down.
        self.domains = [
            (
                max(0.0, round(1.0 - (i + 1) * height - i * gap, 6)),
                min(1.0, round(1.0 - i * (height + gap), 6)),
            )
            for i in range(rows)
        ]
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
            canvas.annotations.append(
                {
                    "x": 1.0,
                    "xref": xref,
                    "xanchor": "left",
                    "y": inside[0],
                    "yref": yref,
                    "text": f"{look.word.lower()} {t.series + ' ' if name_series else ''}"
                    f"{_operator_words(t)}",
                    "showarrow": False,
                    "font": {"size": 10, "color": "#333333"},
                }
            )


def _add_series(canvas: _Canvas, row: int, series: Series, thresholds: list[Threshold]) -> None:
    colour = SERIES_COLOURS.get(series.key, DEFAULT_COLOUR)
    x, y = _with_gaps(series)
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
            "showlegend": series.key in SERIES_COLOURS,
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


def _add_doses(canvas: _Canvas, data: TrendData) -> None:
    for mark in data.doses:
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
        # with array ticks (doses 8-11 of a demo patient went unlabelled).
        canvas.annotations.append(
            {
                "x": mark.x,
                "xref": "x",
                "y": 1.0,
                "yref": "paper",
                "yanchor": "bottom",
                "yshift": 14,
                "text": f"{mark.number}{suffix}",
                "showarrow": False,
                "font": {"size": 10, "color": colour},
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
    canvas.annotations.append(
        {
            "x": data.now,
            "xref": "x",
            "y": 0,
            "yref": "paper",
            "yanchor": "top",
            "text": "now",
            "showarrow": False,
            "font": {"size": 10},
        }
    )


def trend_figure(data: TrendData, panels: tuple[Panel, ...] = PANELS) -> go.Figure:
    """Small multiples of a patient's course, one shared time axis."""
    canvas = _Canvas(len(panels))
    layout = canvas.layout
    bottom = len(panels)
    for row, panel in enumerate(panels, start=1):
        present = [data.series[key] for key in panel.series if key in data.series]
        thresholds = [t for t in data.thresholds if t.series in panel.series]
        codes = next((s.codes for s in present if s.codes), ())
        low, high = canvas.domains[row - 1]
        yaxis: dict = {"domain": [low, high], "anchor": canvas.x(row), "zeroline": False}
        if codes:
            y_range = (-0.5, len(codes) - 0.5)
            yaxis.update(tickvals=list(range(len(codes))), ticktext=list(codes))
        else:
            y_range = _axis_range([s.y for s in present], thresholds)
        yaxis["range"] = list(y_range)
        layout[f"yaxis{canvas.axis(row)}"] = yaxis
        layout[f"xaxis{canvas.axis(row)}"] = {
            "anchor": canvas.y(row),
            **({"matches": "x"} if row > 1 else {}),
            "showticklabels": row == bottom,
            "showgrid": True,
            "gridcolor": "#EEEEEE",
            "type": "date",
            "range": list(data.window),
            "tickformat": "%H:%M\n%a %d %b",
            **({"title": {"text": f"ward time, {data.timezone}"}} if row == bottom else {}),
        }
        canvas.annotations.append(
            {
                "x": 0,
                "xref": "paper",
                "xanchor": "left",
                "y": high,
                "yref": "paper",
                "yanchor": "bottom",
                "text": f"<b>{_panel_title(panel, data)}</b>",
                "showarrow": False,
                "font": {"size": 12},
            }
        )
        _add_thresholds(canvas, row, thresholds, y_range, codes, len(present) > 1)
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
                }
            )
    _add_doses(canvas, data)
    layout.update(
        # No template: plotly_white alone costs ~40 % of the drawing time in Chromium.
        height=PANEL_HEIGHT * len(panels) + 80,
        template="none",
        paper_bgcolor="#FFFFFF",
        plot_bgcolor="#FFFFFF",
        margin={"l": 60, "r": 120, "t": 60, "b": 50},
        font={"family": FONT, "size": 12},
        legend={
            "orientation": "h",
            "y": 1.0,
            "yanchor": "bottom",
            "x": 1.0,
            "xanchor": "right",
            "font": {"size": 10},
        },
        hovermode="closest",
        uirevision=data.patient_id,
        shapes=canvas.shapes,
        annotations=canvas.annotations,
    )
    return go.Figure(data=canvas.traces, layout=layout)


def _panel_title(panel: Panel, data: TrendData) -> str:
    first = next((data.series[k] for k in panel.series if k in data.series), None)
    unit = f" ({display_unit(first.unit)})" if first is not None and first.unit else ""
    return f"{panel.title}{unit}"


def minimal_figure(points: int = 50) -> go.Figure:
    """One line chart: the yardstick the browser benchmark compares the patient page to."""
    x = pd.date_range("2026-03-02", periods=points, freq="h").to_numpy()
    y = np.sin(np.arange(points) / 5.0)
    return go.Figure(go.Scatter(x=x, y=y, mode="lines+markers"))
