"""Times as the ward reads them: local wall-clock time, and "in 2 h 05 min".

Inside the monitor every time is UTC (dashboard/tables.py). Screens show the ward's zone;
charts get *naive* local times because timezone-aware datetimes make plotly 15-50x slower
to build and serialise (design.md), with the zone written on the axis instead.
"""

from __future__ import annotations

import pandas as pd


def to_local(when: pd.Timestamp | None, timezone: str) -> pd.Timestamp | None:
    if when is None or pd.isna(when):
        return None
    when = pd.Timestamp(when)
    if when.tzinfo is None:
        when = when.tz_localize("UTC")
    return when.tz_convert(timezone)


def local_naive(times: pd.Series, timezone: str) -> pd.Series:
    """UTC (tz-aware) times as naive ward-local wall-clock times, for plotting."""
    if len(times) == 0:
        return pd.Series(pd.DatetimeIndex([]), index=times.index, dtype="datetime64[ns]")
    series = pd.to_datetime(times, utc=True)
    return series.dt.tz_convert(timezone).dt.tz_localize(None)


def local_naive_one(when: pd.Timestamp, timezone: str) -> pd.Timestamp:
    return to_local(when, timezone).tz_localize(None)


def format_clock(
    when: pd.Timestamp | None,
    timezone: str,
    *,
    with_day: bool = True,
    reference: pd.Timestamp | None = None,
) -> str:
    """'16:00' on the reference day, 'Wed 4 Mar 16:00' otherwise; 'no time' when missing."""
    local = to_local(when, timezone)
    if local is None:
        return "no time"
    if with_day and reference is not None:
        ref = to_local(reference, timezone)
        if ref is not None and ref.date() == local.date():
            return local.strftime("%H:%M")
    if not with_day:
        return local.strftime("%H:%M")
    return f"{local.strftime('%a')} {local.day} {local.strftime('%b %H:%M')}"


def format_duration(delta: pd.Timedelta) -> str:
    """'2 h 05 min', '45 min', '3 d 4 h' (absolute value)."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def format_until(when: pd.Timestamp | None, now: pd.Timestamp) -> str:
    """'in 2 h 05 min', or 'overdue by 20 min' (a late dose must read as late)."""
    if when is None or pd.isna(when):
        return "no time"
    delta = pd.Timestamp(when) - pd.Timestamp(now)
    if delta >= pd.Timedelta(0):
        return f"in {format_duration(delta)}"
    return f"overdue by {format_duration(delta)}"


def format_age(when: pd.Timestamp | None, now: pd.Timestamp) -> str:
    """'35 min ago'; 'no data' when there is no time at all."""
    if when is None or pd.isna(when):
        return "no data"
    delta = pd.Timestamp(now) - pd.Timestamp(when)
    if delta < pd.Timedelta(0):
        return f"in {format_duration(delta)} (future)"
    return f"{format_duration(delta)} ago"


def zone_label(timezone: str) -> str:
    return f"ward time ({timezone})"
