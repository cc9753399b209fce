"""Ward settings: the few choices a site makes, read from the environment.

``IL2_WARD_TIMEZONE`` (IANA name, default the machine's) is the zone in which times typed
without an offset are read and in which times are shown. ``IL2_DATA_SOURCE`` is the folder
or file the app opens (default the shipped demo ward).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dashboard import DEMO_DIR
from dashboard.errors import MonitorUserError
from dashboard.loading.times import machine_timezone


@dataclass(frozen=True)
class WardSettings:
    timezone: str
    data_source: str

    @classmethod
    def from_environment(cls) -> WardSettings:
        return cls(
            timezone=validate_timezone(os.environ.get("IL2_WARD_TIMEZONE") or machine_timezone()),
            data_source=os.environ.get("IL2_DATA_SOURCE") or str(DEMO_DIR),
        )


def validate_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone; a user error naming it otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise MonitorUserError(
            f"'{name}' is not a time zone name (use an IANA name such as America/New_York)"
        ) from None
    return name
