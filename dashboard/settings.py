"""Ward settings: the few choices a site makes, in one table, read from the environment here
and nowhere else.

Each :class:`Setting` names its environment variable, its default, its help text and how a
value is checked. ``docs/settings.md`` is the table written for people; a test keeps the two
identical (``python -m dashboard.settings`` prints the documented table).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dashboard import DEMO_DIR
from dashboard.errors import MonitorUserError


def validate_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone; a user error naming it otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise MonitorUserError(
            f"'{name}' is not a time zone name (use an IANA name such as America/New_York)"
        ) from None
    return name


def _resolved_path(text: str) -> str:
    return str(Path(text).expanduser().resolve())


def _positive_minutes(text: str) -> str:
    try:
        minutes = float(text)
    except ValueError:
        minutes = 0.0
    if not minutes > 0 or minutes == float("inf"):
        raise MonitorUserError(f"IL2_IDLE_MINUTES must be a positive number, not '{text}'")
    return text


def _data_home() -> Path:
    # XDG_DATA_HOME is the desktop standard's variable, not one of the monitor's settings;
    # read here so that the environment is read in one module.
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "il2-monitor"


def _default_database_path() -> str:
    return str(_data_home() / "ward.sqlite3")


@dataclass(frozen=True)
class Setting:
    """One setting: where it comes from, what it defaults to and how it is checked."""

    name: str
    environment: str
    #: The default in words, for the documentation and ``--help``.
    default_text: str
    help: str
    #: The default value (a function: the machine's zone and the demo folder are looked up
    #: when asked, not at import).
    default: Callable[[], str]
    #: Returns the value to use or raises MonitorUserError naming what is wrong.
    validate: Callable[[str], str]


def machine_timezone() -> str:
    """The machine's IANA time-zone name, the default ward zone; UTC when it cannot be told.

    ``TZ`` is the operating system's variable, not one of the monitor's settings; it is
    read here so that the environment is read in one module."""
    if os.environ.get("TZ"):
        return os.environ["TZ"].lstrip(":")
    try:
        return Path("/etc/timezone").read_text(encoding="utf-8").strip() or "UTC"
    except OSError:
        pass
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        name="ward_timezone",
        environment="IL2_WARD_TIMEZONE",
        default_text="the machine's time zone; the shipped demo ward's own for it",
        help="The ward's IANA time zone: times written without an offset are read in it, "
        "and screens and the command-line table show times in it.",
        default=machine_timezone,
        validate=validate_timezone,
    ),
    Setting(
        name="data_source",
        environment="IL2_DATA_SOURCE",
        default_text="none: the ward's record as it is (the demo while it holds no patient)",
        help="Files the app imports into the ward's record on its first page run and again "
        "when they change (the same content adds nothing; refused rows are listed, the "
        "rest imported): a folder of the three CSVs, a per-dose sheet, a FHIR bundle or "
        "an Excel workbook.",
        default=lambda: str(DEMO_DIR),
        validate=lambda text: text,
    ),
    Setting(
        name="data_root",
        environment="IL2_DATA_ROOT",
        default_text="the shipped demo ward's folder",
        help="The one folder under which a path typed on the Import page may be read: "
        "a path outside it, or a link leaving it, is refused without saying what is "
        "there (a browser user must not make the server read /etc or another ward's files).",
        default=lambda: str(DEMO_DIR),
        validate=_resolved_path,
    ),
    Setting(
        name="idle_minutes",
        environment="IL2_IDLE_MINUTES",
        default_text="15",
        help="Minutes without a click after which a signed-in session is signed out "
        "(shared ward PCs); fractions allowed.",
        default=lambda: "15",
        validate=_positive_minutes,
    ),
    Setting(
        name="role_claim",
        environment="IL2_ROLE_CLAIM",
        default_text="`roles`",
        help="The ID-token claim that carries the user's role (a string or a list; with a "
        "list the widest role wins): nurse, physician, lead or viewer.",
        default=lambda: "roles",
        validate=lambda text: text,
    ),
    Setting(
        name="roles_file",
        environment="IL2_ROLES_FILE",
        default_text="none",
        help="A CSV file `email,role` consulted when the token carries no role claim.",
        default=lambda: "",
        validate=lambda text: text,
    ),
    Setting(
        name="no_login",
        environment="IL2_NO_LOGIN",
        default_text="unset",
        help="Set to 1 by `python -m dashboard app --no-login`: real data opened with no "
        "sign-in, on purpose; the app shows the 'DEMO: no sign-in' banner. Not set by hand.",
        default=lambda: "",
        validate=lambda text: text,
    ),
    Setting(
        name="database_url",
        environment="IL2_DATABASE_URL",
        default_text="unset: the SQLite file of `IL2_DATABASE_PATH`",
        help="The ward's record as a SQLAlchemy URL, e.g. `postgresql+psycopg://host/il2` "
        "for a hospital's PostgreSQL (run `il2-monitor db upgrade` first). Always real data: "
        "sign-in is needed even while it is empty.",
        default=lambda: "",
        validate=lambda text: text,
    ),
    Setting(
        name="database_path",
        environment="IL2_DATABASE_PATH",
        default_text="`$XDG_DATA_HOME/il2-monitor/ward.sqlite3` (else `~/.local/share/...`)",
        help="The SQLite file of the ward's record when no `IL2_DATABASE_URL` is set; made "
        "on first start, never inside the repository.",
        default=_default_database_path,
        validate=_resolved_path,
    ),
    Setting(
        name="demo_database_dir",
        environment="IL2_DEMO_DATABASE_DIR",
        default_text="`$XDG_DATA_HOME/il2-monitor/demo` (else `~/.local/share/...`)",
        help="The folder of the demo ward's record: while the ward's record holds no patient "
        "and no IL2_DATA_SOURCE is set, the app shows the demo ward from a SQLite file here, "
        "seeded with the story moved to the clock and replaced every few hours (older files "
        "are removed).",
        default=lambda: str(_data_home() / "demo"),
        validate=_resolved_path,
    ),
)
_BY_NAME = {setting.name: setting for setting in SETTINGS}


def setting(name: str) -> Setting:
    return _BY_NAME[name]


def configured(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The value set for ``name`` in the environment (stripped), None when unset or empty.
    The one place the monitor's settings are read from the environment."""
    source = os.environ if environ is None else environ
    text = (source.get(_BY_NAME[name].environment) or "").strip()
    return text or None


def value(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The setting's value: the environment's, checked, else its default."""
    entry = _BY_NAME[name]
    text = configured(name, environ)
    return entry.validate(text) if text is not None else entry.default()


def child_environment(**values: str | None) -> dict[str, str]:
    """This process's environment with some settings set (for a process started with
    them, such as the app): ``child_environment(data_source="/ward")``."""
    env = dict(os.environ)
    for name, text in values.items():
        if text is not None:
            env[_BY_NAME[name].environment] = _BY_NAME[name].validate(text)
    return env


def data_root() -> Path:
    """The folder under which paths typed in the app may be read (IL2_DATA_ROOT)."""
    return Path(value("data_root")).resolve()


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


def database_url(environment: Mapping[str, str] | None = None) -> str:
    """The store's SQLAlchemy URL: IL2_DATABASE_URL, else the SQLite file of
    IL2_DATABASE_PATH."""
    url = configured("database_url", environment)
    if url:
        return url
    return f"sqlite:///{Path(value('database_path', environment)).expanduser().resolve()}"


def demo_database_dir() -> Path:
    """IL2_DEMO_DATABASE_DIR: where the demo ward's record files are kept."""
    return Path(value("demo_database_dir"))


def data_source() -> Path | None:
    """IL2_DATA_SOURCE, resolved; None when unset or the shipped demo (which the app shows
    from its own demo record)."""
    text = configured("data_source")
    if text is None or Path(text).resolve() == DEMO_DIR.resolve():
        return None
    return Path(text).resolve()


# --------------------------------------------------------------------------- sign-in
# Sign-in, roles and the access log (issue 12, items 4-5). The identity provider itself is
# configured in .streamlit/secrets.toml ([auth], read by Streamlit); these are the monitor's
# own choices around it, read through the settings table above.


def idle_minutes() -> float:
    """IL2_IDLE_MINUTES: a positive number of minutes (fractions allowed, for tests)."""
    return float(value("idle_minutes"))


def role_claim() -> str:
    """IL2_ROLE_CLAIM: the ID-token claim naming the user's role."""
    return value("role_claim")


def roles_file() -> Path | None:
    """IL2_ROLES_FILE: a CSV ``email,role`` consulted when the token carries no role."""
    text = value("roles_file")
    return Path(text) if text else None


def no_login() -> bool:
    """IL2_NO_LOGIN=1: started with ``--no-login`` on purpose (real data, no sign-in)."""
    return value("no_login") == "1"


def on_demo_data(environment: Mapping[str, str] | None = None) -> bool:
    """Whether the app can reach only the shipped demo: no IL2_DATA_SOURCE elsewhere, no
    IL2_DATA_ROOT elsewhere, no IL2_DATABASE_URL, and a ward's record (the SQLite file) that
    holds no patient. Anything else is real patient data and needs a sign-in.
    (``environment``: the one a started app will have; default this process's.)"""
    if reaches_real_data(environment):
        return False
    from dashboard.store.database import url_holds_ward  # the store is loaded only here

    return not url_holds_ward(database_url(environment))


def reaches_real_data(environment: Mapping[str, str] | None = None) -> bool:
    """Whether the settings alone open real data, whatever the ward's record holds: files
    (IL2_DATA_SOURCE) or a data folder (IL2_DATA_ROOT) other than the demo's, or a
    database named by URL (a hospital's: an empty one is still not the demo's)."""
    demo = DEMO_DIR.resolve()
    texts = (configured("data_source", environment), configured("data_root", environment))
    files = not all(text is None or Path(text).resolve() == demo for text in texts)
    return files or configured("database_url", environment) is not None


def settings_table() -> str:
    """The settings as the Markdown table of docs/settings.md."""
    lines = [
        "| Setting | Environment variable | Default | What it does |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{s.name}` | `{s.environment}` | {s.default_text} | {s.help} |" for s in SETTINGS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_table(), end="")
