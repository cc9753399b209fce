"""Support in progress in words (criteria.md section 9.3): one line on every card, ward row
and command-line patient, whatever the status.

"phenylephrine 1.50 µg/kg/min (protocol: no rate threshold) · O2 room air · urine
0.25 mL/kg/h over 6 h · weight +4.1% · creatinine 2.66 mg/dL (2.4 × baseline, KDIGO stage 2)"
"""

from __future__ import annotations

import pandas as pd

from dashboard.assessment.support import Support, SupportItem
from dashboard.quantities import format_number, format_quantity, plain_number
from dashboard.views.clock import format_clock

#: How an outcome is named in a threshold ("hold > 0.50").
THRESHOLD_WORDS = {
    "discontinue": "discontinue",
    "stop_cycle": "stop cycle",
    "hold": "hold",
    "watch": "watch",
}


def threshold_text(item: SupportItem, protocol_id: str | None) -> str:
    """The protocol's thresholds for a running pressor, or that it has none."""
    if not item.threshold:
        return f"{protocol_id or 'the protocol'} sets no rate threshold"
    parts = [
        f"{THRESHOLD_WORDS.get(outcome, outcome)} {op} {format_number(item.parameter, value)}"
        for outcome, op, value in item.threshold
    ]
    return f"{protocol_id}: " + ", ".join(parts)


def _when(item: SupportItem, timezone: str | None, at: pd.Timestamp | None) -> str:
    if timezone is None or item.time is None or pd.isna(item.time):
        return ""
    return f" at {format_clock(item.time, timezone, reference=at)}"


def item_text(
    item: SupportItem, support: Support, timezone: str | None = None, at: pd.Timestamp | None = None
) -> str:
    """One item in words (with its time when a time zone is given)."""
    when = _when(item, timezone, at)
    if item.kind == "vasopressor":
        return (
            f"{item.parameter} {format_quantity(item.parameter, item.value, item.unit)}"
            f"{when} ({threshold_text(item, support.protocol_id)})"
        )
    if item.kind == "oxygen":
        if item.value is None:
            return f"O2 {item.note or 'not charted'}"
        return f"O2 {format_quantity(item.parameter, item.value, item.unit)}{when}"
    if item.kind == "urine":
        hours = f" over {plain_number(item.hours)} h" if item.hours else ""
        if item.value is None:
            return f"urine: {item.note}"
        note = f" ({item.note})" if item.note else ""
        return f"urine {format_quantity(item.parameter, item.value, item.unit)}{hours}{note}{when}"
    if item.kind == "weight_gain":
        if item.value is None:
            return f"weight: {item.note}"
        sign = "+" if item.value > 0 else ""
        return f"weight {sign}{format_quantity(item.parameter, item.value, item.unit)}{when}"
    if item.kind == "creatinine":
        if item.value is None:
            return f"creatinine: {item.note}"
        extra = []
        if item.ratio is not None:
            extra.append(format_quantity("creatinine", item.ratio, "{times_baseline}"))
        if item.note:
            extra.append(item.note)
        more = f" ({', '.join(extra)})" if extra else ""
        return f"creatinine {format_quantity(item.parameter, item.value, item.unit)}{more}{when}"
    return f"{item.parameter} {format_quantity(item.parameter, item.value, item.unit)}"


def support_parts(
    support: Support | None, timezone: str | None = None, at: pd.Timestamp | None = None
) -> list[str]:
    """Each item in words; a patient on no pressor says so first."""
    if support is None:
        return ["support: not computed"]
    parts = [item_text(item, support, timezone, at) for item in support.items]
    if not support.of_kind("vasopressor"):
        parts.insert(0, "no vasopressor running")
    # Two oxygen items (device and flow) read as one: "O2 nasal cannula, 3.0 L/min".
    oxygen = [p for p in parts if p.startswith("O2 ")]
    if len(oxygen) == 2:
        index = parts.index(oxygen[0])
        parts = [p for p in parts if p not in oxygen]
        parts.insert(index, oxygen[0] + ", " + oxygen[1].removeprefix("O2 "))
    return parts


def support_line(
    support: Support | None, timezone: str | None = None, at: pd.Timestamp | None = None
) -> str:
    return " · ".join(support_parts(support, timezone, at))


#: Short names for the ward row, where width is scarce (the card and the CLI say it in full).
SHORT_NAMES = {"creatinine": "Cr", "weight_gain": "wt", "urine": "urine"}


def support_short(support: Support | None) -> str:
    """The support line for a ward row: pressors first, then what is charted, compactly
    ("phenylephrine 1.50 µg/kg/min · nasal cannula 2.0 L/min · urine 0.25 mL/kg/h ·
    wt +6.4% · Cr 2.66 mg/dL KDIGO stage 2")."""
    if support is None:
        return "support: not computed"
    parts = [
        f"{i.parameter} {format_quantity(i.parameter, i.value, i.unit)}"
        for i in support.of_kind("vasopressor")
    ] or ["no pressor"]
    oxygen = [
        format_quantity(i.parameter, i.value, i.unit)
        for i in support.of_kind("oxygen")
        if i.value is not None
    ]
    if oxygen:
        parts.append(" ".join(oxygen))
    for item in support.items:
        if item.kind not in SHORT_NAMES:
            continue
        if item.value is None:  # unknown is said, never left out (missing is not normal)
            parts.append(f"{SHORT_NAMES[item.kind]}: {item.note or 'not charted'}")
            continue
        text = format_quantity(item.parameter, item.value, item.unit)
        if item.kind == "weight_gain" and item.value > 0:
            text = "+" + text
        if item.kind == "creatinine" and item.note:
            text += f" {item.note}"
        parts.append(f"{SHORT_NAMES[item.kind]} {text}")
    return " · ".join(parts)
