"""``python -m dashboard app``: start the Streamlit app (the lead wires it into cli.py).

It replaces the current process with ``python -m streamlit run <package>/app.py``, so that
Ctrl-C stops the server directly. The safe settings apply from any directory: they are
``dashboard/.streamlit/config.toml``, beside app.py, which Streamlit reads as the script's
own configuration (over a project's in the current directory).
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path

from dashboard.cli_options import add_timezone_option
from dashboard.errors import InputFileError, MonitorUserError
from dashboard.settings import child_environment, on_demo_data, setting

#: The app inside the package, wherever it is installed.
APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_PORT = 8501
#: Patient data is served to this machine only unless an address is given on purpose
#: (README, "Deployment": behind a TLS reverse proxy).
DEFAULT_ADDRESS = "127.0.0.1"


def add_app_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "app",
        help="start the web app (on the demo ward unless --data is given)",
        description="Start the Streamlit app. It opens the demo ward (synthetic patients, "
        "times moved to today) unless --data or IL2_DATA_SOURCE names a folder or file.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--address",
        metavar="HOST",
        default=DEFAULT_ADDRESS,
        help=f"address to listen on (default {DEFAULT_ADDRESS}: this machine "
        "only; another address only on purpose, behind a TLS reverse proxy)",
    )
    parser.add_argument(
        "--data",
        metavar="PATH",
        help=f"folder or file the app opens (sets {setting('data_source').environment})",
    )
    add_timezone_option(parser, also=f" (sets {setting('ward_timezone').environment})")
    parser.add_argument(
        "--no-login",
        action="store_true",
        help="open real data with no sign-in (only on purpose: anyone who reaches the "
        "page sees every patient); without it, real data needs [auth] in "
        ".streamlit/secrets.toml",
    )
    parser.set_defaults(handler=run_app)


def secrets_files() -> tuple[Path, ...]:
    """Where Streamlit looks for secrets.toml by default (its option secrets.files): the
    user's ~/.streamlit and .streamlit/ in the directory the app is started from
    (scripts/start.sh starts it from the repository's root)."""
    return (Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml")


def sign_in_configured(files: tuple[Path, ...] | None = None) -> bool:
    """Whether a secrets.toml Streamlit reads has an [auth] section (st.login's setup)."""
    for file in secrets_files() if files is None else files:
        try:
            if tomllib.loads(file.read_text(encoding="utf-8")).get("auth"):
                return True
        except FileNotFoundError:
            continue
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise InputFileError(f"{file} cannot be read as TOML: {error}") from None
    return False


def app_command(args: argparse.Namespace) -> list[str]:
    """The streamlit command line for these arguments."""
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--server.address",
        args.address or DEFAULT_ADDRESS,
    ]
    return command


def app_environment(args: argparse.Namespace) -> dict[str, str]:
    if args.data and not Path(args.data).exists():
        raise InputFileError(f"{args.data} does not exist.")
    env = child_environment(
        data_source=str(Path(args.data).resolve()) if args.data else None,
        ward_timezone=args.timezone or None,
    )
    env.pop(setting("no_login").environment, None)  # only --no-login says it, each time
    real_data = not on_demo_data(env)
    if real_data and not sign_in_configured():
        if not getattr(args, "no_login", False):
            raise MonitorUserError(
                "real patient data and no sign-in: add [auth] to .streamlit/secrets.toml "
                "(see .streamlit/secrets.example.toml), or start with --no-login on purpose."
            )
        print(
            "WARNING: --no-login: real patient data with no sign-in; anyone who can reach "
            "this page sees every patient. The app shows a 'DEMO: no sign-in' banner.",
            file=sys.stderr,
        )
        env[setting("no_login").environment] = "1"
    return env


def run_app(args: argparse.Namespace) -> int:
    command = app_command(args)
    env = app_environment(args)
    os.execve(sys.executable, command, env)
    return 0  # pragma: no cover - execve does not return
