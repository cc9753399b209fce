"""Findings in words, built for many rows at once.

A course review of a large ward has tens of thousands of findings; each must say what it
rests on ("sbp 84 mm[Hg] at 2026-03-02 12:05 UTC"). These helpers build such texts for an
array of rows in one pass (numpy string operations) instead of one f-string per finding.
"""

from __future__ import annotations

import numpy as np

from dashboard import quantities as formatter
from dashboard.instants import NAT


def as_text(part, n: int) -> np.ndarray:
    """A scalar or an array as an array of n strings."""
    if isinstance(part, np.ndarray):
        return part.astype(str) if part.dtype.kind != "U" else part
    return np.full(n, str(part))


def join(*parts) -> np.ndarray:
    """Concatenate scalars and arrays row by row."""
    n = next((len(p) for p in parts if isinstance(p, np.ndarray)), 1)
    result = as_text(parts[0], n)
    for part in parts[1:]:
        result = np.char.add(result, as_text(part, n))
    return result


def numbers(values: np.ndarray, significant: int = 4) -> np.ndarray:
    """Numbers without a parameter (counts, hours) as a person reads them, through the one
    formatter; NaN as 'none'."""
    values = np.asarray(values, dtype=float)
    plain = formatter.plain_number
    return (
        np.array(["none" if v != v else plain(v, significant) for v in values.tolist()], dtype=str)
        if len(values)
        else np.zeros(0, dtype=str)
    )


def quantities(parameter: str | None, values, unit: str | None = None) -> np.ndarray:
    """Values of one parameter as the screens write them ("84 mmHg", "0.25 mL/kg/h"): the
    one formatter of dashboard/quantities.py, applied once per distinct value (a course
    review repeats the same readings across many doses)."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return np.zeros(0, dtype=str)
    distinct, inverse = np.unique(values, return_inverse=True)
    texts = np.array(formatter.format_quantities(parameter, distinct.tolist(), unit), dtype=object)
    return texts[inverse.reshape(-1)].astype(str)


def codes(parameter: str | None, values: np.ndarray) -> np.ndarray:
    """Codes in words ("sustained VT", not vt_sustained)."""
    return (
        np.array(
            [formatter.code_words(parameter, str(code)) for code in values.tolist()], dtype=str
        )
        if len(values)
        else np.zeros(0, dtype=str)
    )


def name(parameter: str) -> str:
    """A parameter as a sentence names it: urine_output -> "urine output"."""
    return formatter.parameter_words(str(parameter))


def values_or_codes(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    has_code = (
        np.array([c is not None and c == c for c in codes.tolist()], dtype=bool)
        if len(codes)
        else np.zeros(0, bool)
    )
    return np.where(has_code, codes.astype(str), numbers(values))


def times(ns: np.ndarray) -> np.ndarray:
    """UTC times to the minute, 'YYYY-MM-DD HH:MM UTC'; 'no time' for NaT."""
    ns = np.asarray(ns, dtype=np.int64)
    if not len(ns):
        return np.zeros(0, dtype=str)
    minutes = ns.astype("datetime64[ns]").astype("datetime64[m]")
    texts = np.char.add(np.char.replace(np.datetime_as_string(minutes, unit="m"), "T", " "), " UTC")
    return np.where(ns == NAT, "no time", texts)


def ages(ns: np.ndarray) -> np.ndarray:
    """Durations as '5 h 10 min', '25 min' or '3 d 2 h'."""
    minutes = np.maximum(np.asarray(ns, dtype=np.int64) // 60_000_000_000, 0)
    hours, rest = np.divmod(minutes, 60)
    days, day_hours = np.divmod(hours, 24)
    short = np.where(
        hours > 0,
        join(hours.astype(str), " h ", rest.astype(str), " min"),
        join(rest.astype(str), " min"),
    )
    return np.where(hours >= 48, join(days.astype(str), " d ", day_hours.astype(str), " h"), short)


def join_distinct(columns: list[np.ndarray], separator: str = "; ") -> np.ndarray:
    """Join several text columns row by row, leaving out a text already said in that row."""
    result = columns[0]
    seen = [columns[0]]
    for column in columns[1:]:
        repeated = np.zeros(len(column), bool)
        for earlier in seen:
            repeated |= column == earlier
        result = np.where(repeated, result, join(result, separator, column))
        seen.append(column)
    return result


def join_names(flags: list[tuple[str, np.ndarray]], n: int) -> np.ndarray:
    """Per row, the names whose flag is set, comma separated."""
    result = np.full(n, "")
    for name, flag in flags:
        result = np.where(flag, np.where(result == "", name, join(result, ", " + name)), result)
    return result


# --------------------------------------------------------------------------- the engine's
# sentences: what a finding's detail and rule say, apart from deciding them (engine.py)


def graded(label: str | None, details: np.ndarray) -> np.ndarray:
    """A grade's label before its details ("KDIGO stage 2: ...")."""
    return join(f"{label}: " if label else "", details)


def hold_detail(basis: np.ndarray, restart_words: str, now: np.ndarray) -> np.ndarray:
    """A hold: what met the trigger, the restart still to be met, and the restart's
    reading now when it says something the basis does not."""
    details = join(basis, f". Restart when {restart_words}")
    return np.where((now != "") & (now != basis), join(details, "; now: ", now), details)


def resolved_detail(basis: np.ndarray, now: np.ndarray) -> np.ndarray:
    """A hold whose trigger was met in the interval and whose restart is now met."""
    details = join("met in the interval (", basis, "); restart condition now met")
    return np.where(now != "", join(details, ": ", now), details)


def standing_detail(
    details: np.ndarray,
    earlier: np.ndarray,
    cycles: np.ndarray,
    dose_numbers: np.ndarray,
    met_at: np.ndarray,
    scope: str,
) -> np.ndarray:
    """A stop_cycle / discontinue met at an earlier assessment: where, and that it stays
    for the rest of the cycle / course."""
    if not earlier.any():
        return details
    return np.where(
        earlier,
        join(
            details,
            ". Met at the assessment of cycle ",
            cycles.astype(str),
            " dose ",
            dose_numbers.astype(str),
            " (",
            times(met_at),
            f"); stays for the rest of the {scope}",
        ),
        details,
    )


def freshness_rule(parameter: str, fresh_hours: float) -> str:
    """The rule of an incomplete finding: the freshness a required parameter must meet."""
    return f"latest {parameter} within {formatter.plain_number(fresh_hours)} h"


def stale_detail(
    parameter: str, fresh_hours: float, has: np.ndarray, ages_ns: np.ndarray, at: np.ndarray
) -> np.ndarray:
    """Why a required parameter is not fresh: how old its latest value is, or none."""
    hours = f"{formatter.plain_number(fresh_hours)} h"
    return np.where(
        has,
        join(
            f"no {parameter} in the last {hours}; last was ",
            ages(ages_ns),
            " ago (",
            times(at),
            ")",
        ),
        f"no {parameter} recorded; needed within {hours}",
    )


def insufficient_history_rule(trigger_words: str) -> str:
    """The rule of an informational finding: a window without enough history."""
    return "insufficient history: " + trigger_words
