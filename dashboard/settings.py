"""Ward settings: the few choices a site makes, read from the environment.

``IL2_WARD_TIMEZONE`` (IANA name, default the machine's) is the zone in which times typed
without an offset are read and in which times are shown. ``IL2_DATA_SOURCE`` is the folder
or file the app opens (default the shipped demo ward). ``IL2_DATA_ROOT`` is the one folder
under which a path typed in the app may be read (default the shipped demo's folder): a
browser user must not make the server read /etc or another ward's files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
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


# --------------------------------------------------------------------------- sign-in
# Sign-in, roles and the access log (issue 12, items 4-5). The identity provider itself
# is configured in .streamlit/secrets.toml ([auth], read by Streamlit); these are the
# monitor's own choices around it.

#: Minutes without a click before a signed-in session is signed out (shared ward PCs).
DEFAULT_IDLE_MINUTES = 15.0
#: The ID-token claim that carries the role (a string or a list of strings).
DEFAULT_ROLE_CLAIM = "roles"
DEFAULT_ACCESS_LOG = Path(__file__).resolve().parent.parent / "logs" / "access.jsonl"


def idle_minutes() -> float:
    """IL2_IDLE_MINUTES: a positive number of minutes (fractions allowed, for tests)."""
    text = os.environ.get("IL2_IDLE_MINUTES", "").strip()
    if not text:
        return DEFAULT_IDLE_MINUTES
    try:
        minutes = float(text)
    except ValueError:
        minutes = 0.0
    if not minutes > 0 or minutes == float("inf"):
        raise MonitorUserError(f"IL2_IDLE_MINUTES must be a positive number, not '{text}'")
    return minutes


def role_claim() -> str:
    """IL2_ROLE_CLAIM: the ID-token claim naming the user's role."""
    return os.environ.get("IL2_ROLE_CLAIM", "").strip() or DEFAULT_ROLE_CLAIM


def roles_file() -> Path | None:
    """IL2_ROLES_FILE: a CSV ``email,role`` consulted when the token carries no role."""
    text = os.environ.get("IL2_ROLES_FILE", "").strip()
    return Path(text) if text else None


def access_log_path() -> Path:
    """IL2_ACCESS_LOG: the JSON-lines file of who opened what (default logs/access.jsonl)."""
    text = os.environ.get("IL2_ACCESS_LOG", "").strip()
    return Path(text) if text else DEFAULT_ACCESS_LOG


def no_login() -> bool:
    """IL2_NO_LOGIN=1: started with ``--no-login`` on purpose (real data, no sign-in)."""
    return os.environ.get("IL2_NO_LOGIN", "").strip() == "1"


def on_demo_data(environment: Mapping[str, str] | None = None) -> bool:
    """Whether the app can reach only the shipped demo: no IL2_DATA_SOURCE elsewhere and no
    IL2_DATA_ROOT elsewhere. Anything else is real patient data and needs a sign-in.
    (``environment``: the one a started app will have; default this process's.)"""
    env = os.environ if environment is None else environment
    demo = DEMO_DIR.resolve()
    source = env.get("IL2_DATA_SOURCE", "").strip()
    root = env.get("IL2_DATA_ROOT", "").strip()
    return all(not text or Path(text).resolve() == demo for text in (source, root))
