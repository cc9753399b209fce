"""Ward settings: the few choices a site makes, read from the environment.

``IL2_WARD_TIMEZONE`` (IANA name, default the machine's) is the zone in which times typed
without an offset are read and in which times are shown. ``IL2_DATA_SOURCE`` is the folder
or file the app opens (default the shipped demo ward). ``IL2_DATA_ROOT`` is the one folder
under which a path typed in the app may be read (default the shipped demo's folder): a
browser user must not make the server read /etc or another ward's files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
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


def data_root() -> Path:
    """The folder under which paths typed in the app may be read (IL2_DATA_ROOT)."""
    return Path(os.environ.get("IL2_DATA_ROOT") or DEMO_DIR).resolve()


def path_in_data_root(text: str, root: Path | None = None) -> Path:
    """A path typed in the app, resolved (symlinks followed) and inside the data root; a
    user error otherwise. The message never says whether anything exists outside the
    root: a refusal must not let a browser probe the server's folders."""
    root = (root or data_root()).resolve()
    typed = Path(str(text).strip())
    resolved = (typed if typed.is_absolute() else root / typed).resolve()
    if resolved != root and not resolved.is_relative_to(root):
        raise MonitorUserError(
            f"'{text}' is not under the data folder this server may read ({root}): choose "
            "a folder or file under it, or upload the files."
        )
    return resolved


# --------------------------------------------------------------------------- the store
# Where the ward's record lives (dashboard/store). IL2_DATABASE_URL names a database
# (postgresql://... for a hospital); otherwise a SQLite file at IL2_DATABASE_PATH, by
# default under the user's data folder: never inside the repository, whose files are code.


def database_url() -> str:
    """The store's SQLAlchemy URL: IL2_DATABASE_URL, else the SQLite file of
    IL2_DATABASE_PATH (default: $XDG_DATA_HOME or ~/.local/share, il2-monitor/ward.sqlite3)."""
    url = os.environ.get("IL2_DATABASE_URL", "").strip()
    if url:
        return url
    path = os.environ.get("IL2_DATABASE_PATH", "").strip()
    if not path:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        path = str(Path(base) / "il2-monitor" / "ward.sqlite3")
    return f"sqlite:///{Path(path).expanduser().resolve()}"
