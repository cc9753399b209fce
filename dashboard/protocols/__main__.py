"""``python -m dashboard.protocols [--write-docs | --check PATH]``.

--write-docs  regenerate docs/thresholds.md from the shipped protocol files
--check PATH  load a protocol file strictly and say whether it can be used
"""

from __future__ import annotations

import argparse
import sys

from dashboard.errors import ProtocolError
from dashboard.protocols.docs import write_thresholds
from dashboard.protocols.models import load_protocol, shipped_protocol_ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.protocols")
    parser.add_argument("--write-docs", action="store_true", help="regenerate docs/thresholds.md")
    parser.add_argument("--check", metavar="ID_OR_FILE", help="load a protocol strictly")
    args = parser.parse_args(argv)
    if args.write_docs:
        print(f"wrote {write_thresholds()}")
    if args.check:
        try:
            protocol = load_protocol(args.check)
        except ProtocolError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"{protocol.id}: {len(protocol.criteria)} criteria, version {protocol.version}")
    if not (args.write_docs or args.check):
        print("shipped protocols: " + ", ".join(shipped_protocol_ids()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
