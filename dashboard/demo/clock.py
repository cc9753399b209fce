"""The demo story's clock: its zone, its "now" (the anchor of ward.yaml) and how the
story is moved so that the real clock falls at the same point of it.

This is the only part of the demo the running app imports: it reads ward.yaml and shifts
frames; it never generates a ward.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from dashboard import DEMO_DIR

WARD_TIMEZONE = "America/New_York"
#: "Now" in the demo's story: mid-cycle for most patients, 90 min before the 16:00 doses.
DEMO_ANCHOR = pd.Timestamp("2026-03-04T14:30:00", tz=WARD_TIMEZONE)

# --- time helpers ---------------------------------------------------------------------------


_EPOCH = pd.Timestamp(0, tz="UTC")
_MINUTE = pd.Timedelta(minutes=1)


def epoch_minutes(moment: pd.Timestamp) -> int:
    """Minutes since 1970 UTC of a timezone-aware moment. Explicit arithmetic, never the
    integer storage of a Timestamp, whose unit is not always nanoseconds (pandas 3)."""
    return int((pd.Timestamp(moment) - _EPOCH) // _MINUTE)


def _epoch_minutes(local_time: str) -> int:
    """Epoch minutes of a ward-local time written like '2026-03-02 08:00'."""
    return epoch_minutes(pd.Timestamp(local_time, tz=WARD_TIMEZONE))


def _local_clock_times(start: int, end: int, hour: int, minute: int = 0) -> np.ndarray:
    """Epoch minutes of every ward-local hh:mm in (start, end].

    Midnights come from the time-zone database (daylight saving included); hh:mm is then
    counted from midnight, which is an hour off only on the two changeover days.
    """
    midnights = _local_midnights(start // 1440 - 1, end // 1440 + 1)
    times = midnights + (hour * 60 + minute)
    return times[(times > start) & (times <= end)]


@lru_cache(maxsize=1024)
def _local_midnights(first_day: int, last_day: int) -> np.ndarray:
    """Ward-local midnights (epoch minutes) of the calendar days first_day..last_day (days
    since 1970-01-01)."""
    first = pd.Timestamp(first_day * 86_400, unit="s").date()
    days = pd.date_range(first, periods=last_day - first_day + 1, freq="D", tz=WARD_TIMEZONE)
    return ((days - _EPOCH) // _MINUTE).to_numpy(np.int64)


def _clock(minutes: int) -> str:
    """'21:40 on 3 Mar' for a reason text."""
    local = pd.Timestamp(minutes * 60, unit="s", tz="UTC").tz_convert(WARD_TIMEZONE)
    return f"{local:%H:%M} on {local.day} {local:%b}"


@dataclass(frozen=True)
class DemoWardInfo:
    """What ward.yaml says about a generated ward."""

    description: str
    timezone: str
    anchor: pd.Timestamp
    seed: int
    patients: int


def read_ward_info(folder: Path = DEMO_DIR) -> DemoWardInfo:
    """Read ward.yaml of a generated ward (by default the shipped demo)."""
    with open(Path(folder) / "ward.yaml", encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return DemoWardInfo(
        description=str(raw["description"]),
        timezone=str(raw["timezone"]),
        anchor=pd.Timestamp(raw["anchor"]).tz_convert(raw["timezone"]),
        seed=int(raw["seed"]),
        patients=int(raw["patients"]),
    )


# --- moving the story to the real clock -----------------------------------------------------


def is_shipped_demo(path: str | Path) -> bool:
    """Whether ``path`` is the shipped demo ward (whose story is moved to the real clock)."""
    return Path(path).resolve() == Path(DEMO_DIR).resolve()


def story_shift(anchor: pd.Timestamp, now: pd.Timestamp) -> pd.Timedelta:
    """How far the story moves so that ``now`` falls at its anchor: whole hours, which keep
    the story's minutes (doses on the hour, checks at :20-:50)."""
    return (pd.Timestamp(now) - pd.Timestamp(anchor)).round("h")


def shift_ward(
    patients: pd.DataFrame,
    doses: pd.DataFrame,
    observations: pd.DataFrame,
    anchor: pd.Timestamp,
    now: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Move every time by (now - anchor) rounded to whole hours; returns new frames.

    Whole hours keep the story's minutes (doses on the hour, checks at :20-:50). Works on the
    input frames of :func:`build_demo_ward` and on the loaders' canonical frames alike.
    ``anchor`` and ``now`` must be timezone-aware.
    """
    anchor, now = pd.Timestamp(anchor), pd.Timestamp(now)
    if anchor.tzinfo is None or now.tzinfo is None:
        raise ValueError("shift_ward needs timezone-aware anchor and now")
    delta = story_shift(anchor, now)
    doses = doses.copy()
    for column in ("scheduled_time", "administered_time"):
        if column in doses:
            doses[column] = doses[column] + delta
    observations = observations.copy()
    observations["time"] = observations["time"] + delta
    return patients.copy(), doses, observations
