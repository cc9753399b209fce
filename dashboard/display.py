"""Showing the core's results to a person: ward-local time.

Inside, every time is UTC, and the engine's findings say their times as
"YYYY-MM-DD HH:MM UTC" (dashboard/assessment/words.py). A nurse reads ward time, so the
shells (command-line table, app) pass texts through :func:`local_text` and times through
:func:`local_time`. Nothing here changes a value; it only changes how a moment is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

_UTC_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC")


def local_time(moment, timezone: str, with_zone: bool = True) -> str:
    """A UTC moment as ward-local 'YYYY-MM-DD HH:MM' (with the zone's abbreviation)."""
    if moment is None or pd.isna(moment):
        return "-"
    local = pd.Timestamp(moment).tz_convert(timezone)
    return local.strftime("%Y-%m-%d %H:%M %Z" if with_zone else "%Y-%m-%d %H:%M")


def rewrite_utc_stamps(
    text: str | None, format_moment: Callable[[pd.Timestamp], str]
) -> str | None:
    """Rewrite every 'YYYY-MM-DD HH:MM UTC' in an engine text with ``format_moment``."""
    if not text:
        return text
    return _UTC_STAMP.sub(lambda match: format_moment(pd.Timestamp(match.group(1), tz="UTC")), text)


def local_text(text: str | None, timezone: str) -> str | None:
    """Every 'YYYY-MM-DD HH:MM UTC' in an engine text as ward-local time with its zone."""
    return rewrite_utc_stamps(text, lambda moment: local_time(moment, timezone))
