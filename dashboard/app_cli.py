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
from pathlib import Path

from dashboard.errors import InputFileError
from dashboard.settings import validate_timezone

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
        "--data", metavar="PATH", help="folder or file the app opens (sets IL2_DATA_SOURCE)"
    )
    parser.add_argument(
        "--timezone", metavar="ZONE", help="the ward's IANA time zone (sets IL2_WARD_TIMEZONE)"
    )
    parser.set_defaults(handler=run_app)


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
    env = dict(os.environ)
    if args.data:
        if not Path(args.data).exists():
            raise InputFileError(f"{args.data} does not exist.")
        env["IL2_DATA_SOURCE"] = str(Path(args.data).resolve())
    if args.timezone:
        env["IL2_WARD_TIMEZONE"] = validate_timezone(args.timezone)
    return env


def run_app(args: argparse.Namespace) -> int:
    command = app_command(args)
    env = app_environment(args)
    os.execve(sys.executable, command, env)
    return 0  # pragma: no cover - execve does not return
