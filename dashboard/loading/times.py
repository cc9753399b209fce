"""Reading times: offsets honoured, naive times read in the ward's time zone, UTC inside.

A time typed without an offset means ward-local time (data-contract section 4). A local
time that does not exist (the spring-forward gap) or exists twice (the autumn fall-back
hour) cannot be placed without guessing, so it is refused with a request for an offset.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dashboard.instants import as_ns

# The offset must follow a time of day, so that a date's "-02" is never read as one.
_HAS_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")
# A date and a time of day are both required: a lab charted with a date alone cannot be
# placed before or after a dose.
_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")
# A time without an offset, whole: anything else after the time of day (a stray quote, a
# zone abbreviation) is not read loosely, and can never be taken for an offset.
_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$")
# Times are compared as int64 nanoseconds (dashboard.instants), which reach from 1677 to
# 2262. pandas 2 refused a time outside that range as it parsed it; pandas 3 parses it at
# a coarser unit. Such a time stays refused ("not a valid date-time"), never wrapped round.
_FIRST_NS = pd.Timestamp.min.tz_localize("UTC")
_LAST_NS = pd.Timestamp.max.tz_localize("UTC")


def parse_times(texts: pd.Series, timezone: str) -> tuple[pd.Series, pd.Series]:
    """Parse ISO 8601 time strings; returns ``(utc_times, reasons)``.

    ``reasons`` holds, for each unparseable or ambiguous entry, why (else None); the time is
    then NaT. Distinct strings are parsed once (a ward charts many values per timestamp).
    """
    if isinstance(texts.dtype, pd.CategoricalDtype):  # already one entry per distinct text
        codes = texts.cat.codes.to_numpy()
        uniques = pd.Series(texts.cat.categories.astype(object), dtype=object).str.strip()
    else:
        codes, uniques = pd.factorize(texts.astype(str).str.strip(), sort=False)
        uniques = pd.Series(uniques, dtype=object)
    parsed = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns, UTC]")
    reasons = pd.Series(None, index=uniques.index, dtype=object)

    empty = uniques == ""
    reasons[empty] = "time is empty"
    iso_like = uniques.str.match(_ISO_LIKE) & ~empty
    reasons[~iso_like & ~empty] = uniques[~iso_like & ~empty].map(
        lambda t: (
            f"'{t}' is not a date and time of day (expected ISO 8601, e.g. "
            "2026-03-02T14:05 or 2026-03-02T14:05:00-05:00)"
        )
    )
    with_offset = iso_like & uniques.str.contains(_HAS_OFFSET)
    naive = iso_like & ~with_offset & uniques.str.match(_NAIVE)

    if with_offset.any():
        parsed[with_offset] = _in_ns_range(
            pd.to_datetime(uniques[with_offset], format="ISO8601", utc=True, errors="coerce")
        )
    if naive.any():
        local = pd.to_datetime(uniques[naive], format="ISO8601", errors="coerce")
        bad_text = local.isna()
        localised = pd.Series(
            pd.DatetimeIndex(local).tz_localize(timezone, ambiguous="NaT", nonexistent="NaT"),
            index=local.index,
        )
        not_placeable = localised.isna() & ~bad_text
        reasons[not_placeable.index[not_placeable]] = uniques[
            not_placeable.index[not_placeable]
        ].map(
            lambda t: (
                f"'{t}' does not exist or is ambiguous in {timezone} (a daylight-saving "
                "change): write it with its UTC offset"
            )
        )
        parsed[naive] = _in_ns_range(localised.dt.tz_convert("UTC"))
    unparsed = iso_like & parsed.isna() & reasons.isna()
    reasons[unparsed] = uniques[unparsed].map(lambda t: f"'{t}' is not a valid date-time")

    # Spread back as integers: going through Timestamp objects costs seconds on a big ward.
    nanoseconds = as_ns(parsed)[codes]
    times = pd.Series(
        pd.DatetimeIndex(nanoseconds.view("M8[ns]")).tz_localize("UTC"), index=texts.index
    )
    why = pd.Series(np.asarray(reasons.to_numpy(), dtype=object)[codes], index=texts.index)
    return times, why


def _in_ns_range(times: pd.Series) -> pd.Series:
    """UTC times as ``datetime64[ns, UTC]``; a time outside the nanosecond range is NaT."""
    inside = (times >= _FIRST_NS) & (times <= _LAST_NS)
    return times.where(inside).dt.as_unit("ns")


def parse_time(text: str, timezone: str) -> tuple[pd.Timestamp | None, str | None]:
    """One time typed by a person (``--at``, a form): ``(utc_time, None)`` or
    ``(None, why not)``, by exactly the rules of the files' times (no second parser)."""
    times, reasons = parse_times(pd.Series([text], dtype=object), timezone)
    reason = reasons.iloc[0]
    if isinstance(reason, str):
        return None, reason
    return times.iloc[0], None
