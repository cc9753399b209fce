"""Figure builders: what the trend plots draw, checked against the protocol objects."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from dashboard.figures import minimal_figure, trend_figure
from dashboard.protocols import load_protocol
from dashboard.views.thresholds import URINE_RATE, protocol_thresholds
from dashboard.views.trends import patient_trends
from tests.scenarios import course, obs, patient, series, ward

ZONE = "America/New_York"
AT = pd.Timestamp("2026-03-03 10:00", tz="UTC")


def _ward():
    doses = course("P1", "2026-03-02 08:00", given=3, held=(3,), doses=14)
    observations = [
        *series(
            "P1",
            "sbp",
            [
                ("2026-03-02 07:30", 120),
                ("2026-03-02 12:00", 95),
                ("2026-03-02 15:30", 84),
                ("2026-03-03 09:00", 92),
            ],
        ),
        *series(
            "P1",
            "urine_output",
            [("2026-03-02 08:00", 400), ("2026-03-02 16:00", 240), ("2026-03-03 00:00", 80)],
        ),
        obs("P1", "2026-03-02 07:40", "mental_status", "normal"),
        obs("P1", "2026-03-03 08:40", "mental_status", "moderate"),
        obs("P1", "2026-03-02 06:00", "creatinine", 1.0),
        obs("P1", "2026-03-03 06:00", "creatinine", 2.7),
        obs("P1", "2026-03-03 06:00", "weight", 88.0),
        obs("P1", "2026-03-03 11:00", "sbp", 70),  # after "as of": must not be drawn
    ]
    return ward([patient("P1", weight=80.0)], doses, observations)


def _figure(protocol_id: str = "proleukin-label"):
    protocol = load_protocol(protocol_id)
    data = patient_trends(_ward(), "P1", protocol, AT, ZONE)
    return protocol, data, trend_figure(data)


def _shape_names(figure, prefix: str) -> list[str]:
    return [s.name for s in figure.layout.shapes if s.name and s.name.startswith(prefix)]


@pytest.mark.parametrize(
    "protocol_id", ["proleukin-label", "cwg-consensus-2014", "til-2024", "community-2015"]
)
def test_threshold_lines_are_the_protocols_numbers(protocol_id):
    protocol, data, figure = _figure(protocol_id)
    drawn = {
        (s.name.split("|")[1], s.name.split("|")[2], round(s.y0, 6))
        for s in figure.layout.shapes
        if s.name and s.name.startswith("threshold|")
    }
    assert drawn, "no threshold drawn"
    for name in _shape_names(figure, "threshold|"):
        _, series_key, criterion_id, outcome, edge = name.split("|")
        criterion = protocol.criterion(criterion_id)
        assert outcome in criterion.outcomes
        # Every line is an edge of a threshold computed from that criterion's trigger.
        edges = {
            round(e, 6)
            for t in data.thresholds
            if t.criterion == criterion_id and t.series == series_key
            for e in t.edges
        }
        assert round(float(edge), 6) in edges


def test_label_hypotension_line_is_the_label_value():
    protocol, _, figure = _figure("proleukin-label")
    trigger = protocol.criterion("hypotension").grades[0].trigger
    expected = trigger.items[0].comparison.threshold.value  # latest sbp < 90 mm[Hg]
    lines = [
        s for s in figure.layout.shapes if s.name == f"threshold|sbp|hypotension|hold|{expected:g}"
    ]
    assert len(lines) == 1 and lines[0].y0 == lines[0].y1 == expected
    # SBP shares its panel with MAP: a line only, so that MAP readings never sit in a band
    # that is about SBP. A one-series panel gets the band.
    assert not [s for s in figure.layout.shapes if s.name.startswith("band|sbp|")]
    spo2 = protocol.criterion("hypoxia").grades[0].trigger.comparison.threshold.value
    band = next(s for s in figure.layout.shapes if s.name == "band|spo2|hypoxia|hold")
    assert band.y1 == spo2 and band.y0 < spo2


def test_consensus_bands_have_both_ends_from_the_protocol():
    protocol, _, figure = _figure("cwg-consensus-2014")
    grade = next(g for g in protocol.criterion("sinus_tachycardia").grades if g.outcome == "hold")
    low, high = grade.trigger.comparison.low, grade.trigger.comparison.high
    names = set(_shape_names(figure, "threshold|heart_rate|sinus_tachycardia|hold|"))
    assert names == {
        f"threshold|heart_rate|sinus_tachycardia|hold|{low:g}",
        f"threshold|heart_rate|sinus_tachycardia|hold|{high:g}",
    }


def test_urine_sum_over_a_window_is_drawn_as_a_rate():
    protocol = load_protocol("cwg-consensus-2014")
    window = next(
        g for g in protocol.criterion("urine_output").grades if g.outcome == "stop_cycle"
    ).trigger
    thresholds = [
        t
        for t in protocol_thresholds(protocol, {"baseline_weight_kg": 80})
        if t.criterion == "urine_output" and t.outcome == "stop_cycle"
    ]
    assert thresholds[0].series == URINE_RATE
    assert thresholds[0].high == pytest.approx(window.comparison.threshold.value / window.hours)


def test_one_marker_per_dose_and_held_ones_are_distinct():
    _, data, figure = _figure()
    doses = _shape_names(figure, "dose|")
    assert len(doses) == len(data.doses) == 14
    held = [s for s in figure.layout.shapes if s.name == "dose|C1D3|held"]
    given = [s for s in figure.layout.shapes if s.name == "dose|C1D1|given"]
    assert held[0].line.dash == "dash" and given[0].line.dash == "solid"
    labels = [
        a.text for a in figure.layout.annotations if a.name and a.name.startswith("dose-label|")
    ]
    assert labels[:4] == ["1", "2", "3 held", "4 due"] and len(labels) == 14


def test_x_values_are_naive_local_times():
    _, data, figure = _figure()
    assert data.now == pd.Timestamp("2026-03-03 05:00")  # 10:00 UTC in New York
    for trace in figure.data:
        values = np.asarray(trace.x)
        if values.dtype.kind == "M":
            continue  # numpy datetime64: naive by construction
        for value in values:
            text = str(value)
            assert "+" not in text[10:] and not text.endswith("Z"), text
    for shape in figure.layout.shapes:
        if shape.xref == "x":
            assert pd.Timestamp(shape.x0).tzinfo is None
    last = f"xaxis{len([k for k in figure.layout.to_plotly_json() if k.startswith('xaxis')])}"
    assert "America/New_York" in figure.layout[last].title.text


def test_only_svg_scatter_traces():
    _, _, figure = _figure()
    assert figure.data and {trace.type for trace in figure.data} == {"scatter"}
    assert {trace["type"] for trace in json.loads(figure.to_json())["data"]} == {"scatter"}
    assert {trace.type for trace in minimal_figure().data} == {"scatter"}


def test_readings_after_the_as_of_time_are_not_drawn():
    _, data, _ = _figure()
    assert data.series["sbp"].y.tolist() == [120, 95, 84, 92]


def test_out_of_range_points_are_marked():
    _, _, figure = _figure()
    marks = [t for t in figure.data if t.name == "meets a criterion"]
    marked = sorted(float(y) for trace in marks for y in trace.y)
    assert 84.0 in marked  # sbp < 90
    assert 2.0 in marked  # mental_status moderate (ordinal 2)


def test_gaps_break_the_line():
    _, data, figure = _figure()
    sbp = next(t for t in figure.data if t.name == data.series["sbp"].label)
    values = np.asarray(sbp.y, dtype=float)
    # 15:30 -> 09:00 next day is longer than 1.5 x the 4 h freshness of sbp: one break.
    assert np.isnan(values).sum() == 1
    assert sbp.connectgaps is False


def test_patient_target_replaces_the_til_default():
    protocol = load_protocol("til-2024")
    own = protocol_thresholds(protocol, {"target_sbp_mmhg": 100.0, "baseline_weight_kg": 70})
    default = protocol_thresholds(protocol, {"target_sbp_mmhg": math.nan, "baseline_weight_kg": 70})
    hypotension = next(t for t in own if t.criterion == "hypotension")
    assert hypotension.high == 100.0
    assert "default" in next(t for t in default if t.criterion == "hypotension").derived


def test_urine_after_readmission_is_not_drawn_as_a_rate_over_the_weeks_at_home():
    # Cycle 1 urine ends on 19 Feb; the patient is readmitted on 2 Mar. The first entry of
    # the new admission covers "since 19 Feb": 40 mL over 11 days would draw as ~0.15 mL/h.
    doses = [
        *course("P1", "2026-02-16 08:00", given=10, doses=10, cycle=1),
        *course("P1", "2026-03-02 08:00", given=0, doses=14, cycle=2),
    ]
    urine = series(
        "P1",
        "urine_output",
        [
            ("2026-02-19 10:00", 100),
            ("2026-02-19 11:00", 90),
            ("2026-03-02 04:00", 40),
            ("2026-03-02 05:00", 35),
            ("2026-03-02 06:00", 30),
        ],
    )
    data = patient_trends(
        ward([patient("P1")], doses, urine),
        "P1",
        load_protocol("proleukin-label"),
        pd.Timestamp("2026-03-02 07:00", tz="UTC"),
        ZONE,
    )
    rates = data.series[URINE_RATE].y
    assert list(rates) == [90.0, 35.0, 30.0]  # per hour; the 04:00 entry closes no period
    (urine_trace,) = [t for t in trend_figure(data).data if t.name == "Urine output"]
    drawn = [v for v in urine_trace.y]
    assert sum(1 for v in drawn if v is None or v != v) == 1  # one break: the weeks at home


def test_a_held_doses_reason_from_the_file_is_hover_text_never_a_live_link():
    data = _ward()
    held = data.doses["status"] == "held"
    data.doses.loc[held, "reason"] = '<a href="http://evil.example">SBP 84</a> <b>held</b>'
    figure = trend_figure(patient_trends(data, "P1", load_protocol("proleukin-label"), AT, ZONE))
    hovers = [a.hovertext for a in figure.layout.annotations if a.hovertext]
    assert hovers == [
        "&lt;a href=&quot;http://evil.example&quot;&gt;SBP 84&lt;/a&gt; &lt;b&gt;held&lt;/b&gt;"
    ]


# --------------------------------------------------------------------------- rounds layout


def _annotation_boxes(figure, plot_width: float) -> list[tuple[str, tuple[float, ...]]]:
    """Each visible annotation's box in px (x0, y0, x1, y1) for a plot area ``plot_width``
    wide, computed from the layout the way plotly places it: the anchor point from its
    references and axis ranges, then xanchor/yanchor and the shifts. Text width is
    estimated generously (0.62 em a character, 1.3 em a line)."""
    layout = figure.layout
    margin = layout.margin
    plot_height = layout.height - margin.t - margin.b
    boxes = []
    for a in layout.annotations:
        if a.xref == "x":
            low, high = (pd.Timestamp(v) for v in layout.xaxis.range)
            where = pd.Timestamp(a.x)
            if not low <= where <= high:
                continue  # plotly does not draw an annotation off its axis
            fx = (where - low) / (high - low)
        else:  # "paper" or "xN domain": every x axis spans the whole width
            fx = float(a.x)
        x = margin.l + fx * plot_width
        if a.yref == "paper":
            fy = float(a.y)
        else:
            name = "yaxis" + a.yref.split()[0].removeprefix("y")
            axis = layout[name]
            d0, d1 = axis.domain
            if a.yref.endswith("domain"):
                fy = d0 + float(a.y) * (d1 - d0)
            else:
                r0, r1 = axis.range
                fy = d0 + (float(a.y) - r0) / (r1 - r0) * (d1 - d0)
        y = margin.t + (1 - fy) * plot_height - (a.yshift or 0)
        x += a.xshift or 0
        size = (a.font.size if a.font and a.font.size else 12) or 12
        text = __import__("re").sub(r"<[^>]+>", "", a.text)
        width = max(len(line) for line in text.split("<br>")) * size * 0.62
        height = size * 1.3 * (a.text.count("<br>") + 1)
        x0 = {"left": x, "right": x - width}.get(a.xanchor, x - width / 2)
        y0 = {"top": y, "bottom": y - height}.get(a.yanchor, y - height / 2)
        boxes.append((a.text, (x0, y0, x0 + width, y0 + height)))
    return boxes


def _overlaps(boxes) -> list[tuple[str, str]]:
    found = []
    for i, (text_a, a) in enumerate(boxes):
        for text_b, b in boxes[i + 1 :]:
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                found.append((text_a, text_b))
    return found


def _demo_figures():
    from dashboard import DEMO_DIR
    from dashboard.demo.clock import read_ward_info
    from dashboard.figures import split_panels
    from dashboard.loading import load_ward

    info = read_ward_info()
    ward = load_ward(str(DEMO_DIR), info.timezone)
    for protocol_id in ("proleukin-label", "cwg-consensus-2014", "til-2024", "community-2015"):
        protocol = load_protocol(protocol_id)
        for pid in ward.patients["patient_id"].astype(str):
            data = patient_trends(ward, pid, protocol, info.anchor, info.timezone)
            decision, rest = split_panels(data, {"sbp", "spo2", "heart_rate"})
            yield (
                f"{protocol_id}/{pid}",
                trend_figure(data, decision, compact=True),
                trend_figure(data, rest),
            )


def test_no_two_labels_overlap_at_the_shipped_sizes():
    from dashboard.figures import SHIPPED_PLOT_WIDTHS

    checked = 0
    for name, *figures in _demo_figures():
        for figure in figures:
            for width in SHIPPED_PLOT_WIDTHS:
                boxes = _annotation_boxes(figure, width)
                assert not _overlaps(boxes), (name, width, _overlaps(boxes))
                checked += len(boxes)
    assert checked > 500  # titles, dose labels, now, threshold labels of 36 figures


@pytest.mark.parametrize(
    ("low", "high", "most", "ticks"),
    [
        # a small creatinine panel: plotly's own choice (dtick 5) put no tick inside
        (0.8, 4.9, 2, [2.0, 4.0]),
        (0.8, 4.9, 4, [1.0, 2.0, 3.0, 4.0]),
        (40, 180, 3, [50.0, 100.0, 150.0]),
        (0, 120, 2, [0.0, 100.0]),
        (88, 100, 2, [90.0, 100.0]),
        (30.5, 31.2, 2, [30.5, 31.0]),
        (-0.1, 0.1, 3, [-0.1, 0.0, 0.1]),
        (0, 1.5, 3, [0.0, 1.0]),
    ],
)
def test_a_numeric_axis_gets_round_ticks_at_least_two_inside(low, high, most, ticks):
    from dashboard.figures import y_ticks

    assert y_ticks(low, high, most) == ticks


def test_every_numeric_panel_has_two_labelled_ticks_in_its_range():
    checked = 0
    for name, *figures in _demo_figures():
        for figure in figures:
            layout = figure.layout
            for key in [k for k in layout.to_plotly_json() if k.startswith("yaxis")]:
                axis = layout[key]
                if axis.ticktext:  # an ordinal panel: one label per code
                    continue
                low, high = axis.range
                inside = [v for v in axis.tickvals if low <= v <= high]
                assert len(inside) >= 2, (name, key, axis.range, axis.tickvals)
                checked += 1
    assert checked > 200


def test_the_overlap_check_can_fail():
    # The check itself: two labels at one point overlap.
    _, _, figure = _figure()
    figure.add_annotation(x=0, y=1, xref="paper", yref="paper", text="hold", showarrow=False)
    figure.add_annotation(x=0, y=1, xref="paper", yref="paper", text="stop", showarrow=False)
    assert _overlaps(_annotation_boxes(figure, 760))


def test_close_thresholds_get_labels_that_do_not_overlap():
    # community-2015 urine: hold 10-20 mL/h and stop cycle < 10 mL/h share the edge 10.
    _, data, _ = _figure("community-2015")
    figure = trend_figure(data)
    labels = [a for a in figure.layout.annotations if (a.name or "").startswith("threshold-")]
    assert len({(a.name) for a in labels}) == len(labels)
    urine = [a.text for a in labels]
    assert any(t.startswith("hold 10") for t in urine)
    assert any(t.startswith("stop cycle < 10") for t in urine)
    assert not _overlaps(_annotation_boxes(figure, 760))


def test_abcde_order_and_a_panel_per_protocol_parameter_with_data():
    from dashboard.figures import visible_panels

    data = _ward()
    extra = pd.DataFrame(
        [
            {**data.observations.iloc[0].to_dict(), "parameter": p, "value": v, "code": None}
            for p, v in (("platelets", 40.0), ("bilirubin", 2.0), ("resp_rate", 22.0))
        ]
    )
    data.observations = pd.concat([data.observations, extra], ignore_index=True)
    trends = patient_trends(data, "P1", load_protocol("cwg-consensus-2014"), AT, ZONE)
    panels = visible_panels(trends)
    order = [p.system for p in panels]
    assert order == sorted(order, key="BCDEL".index)  # breathing ... exposure, labs last
    keys = {key for p in panels for key in p.series}
    # Every series the protocol decides with has a panel, and so has every lab with data.
    assert trends.protocol_series <= keys
    assert {"platelets", "bilirubin", "resp_rate", "o2_flow"} <= keys
    # A lab neither charted nor in the protocol is not drawn (potassium here).
    assert "potassium" not in keys
    figure = trend_figure(trends, panels)
    titles = [a.text for a in figure.layout.annotations if (a.name or "").startswith("panel-")]
    assert len(titles) == len(panels)
    assert any("Platelet" in t for t in titles) and any("Respiratory" in t for t in titles)


def test_decision_panels_come_first_and_fit_one_screen():
    from dashboard.figures import split_panels

    _, data, _ = _figure()
    decision, rest = split_panels(data, {"spo2"})
    keys = [p.series for p in decision]
    assert keys[0] == ("spo2",)  # the card's deciding parameter first
    assert keys[1:] == [
        ("sbp", "map"),
        ("phenylephrine", "dopamine", "norepinephrine"),
        (URINE_RATE,),
        ("mental_status",),
        ("creatinine",),
    ]
    assert not set(decision) & set(rest)
    # The card takes most of a 768 px screen: the decision figure must fit the next one.
    assert trend_figure(data, decision, compact=True).layout.height <= 480
    plain, _ = split_panels(data)
    assert trend_figure(data, plain, compact=True).layout.height <= 480


def test_zoom_survives_a_refresh():
    # A refresh builds a new figure a minute later; plotly keeps the user's zoom and pan
    # when uirevision is unchanged.
    protocol = load_protocol("proleukin-label")
    one = trend_figure(patient_trends(_ward(), "P1", protocol, AT, ZONE), part="decision")
    later = AT + pd.Timedelta(minutes=1)
    two = trend_figure(patient_trends(_ward(), "P1", protocol, later, ZONE), part="decision")
    assert one.layout.uirevision == two.layout.uirevision
    other = trend_figure(patient_trends(_ward(), "P1", protocol, AT, ZONE), part="rest")
    assert other.layout.uirevision != one.layout.uirevision


def test_the_table_view_holds_every_plotted_reading():
    from dashboard.views.trends import trend_table

    _, data, _ = _figure()
    table = trend_table(data)
    plotted = sum(len(s.y) for s in data.series.values())
    assert len(table) == plotted
    sbp = table[table["Parameter"] == data.series["sbp"].label]
    assert sorted(sbp["Value"].astype(float)) == [84, 92, 95, 120]
    assert "hypotension (hold)" in sbp[sbp["Value"] == "84"]["Meets"].iloc[0]
    assert table["Time"].is_monotonic_decreasing
