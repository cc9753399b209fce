"""``python -m dashboard.protocols [--write-docs | --check PATH]``.

--write-docs  regenerate docs/thresholds.md from the shipped protocol files
--check PATH  load a protocol file strictly and say whether it can be used; list the
              resolved criteria (with what it extends and includes) and each one's origin
"""

from __future__ import annotations

import argparse
import sys

from dashboard.errors import ProtocolError
from dashboard.protocols.docs import write_thresholds
from dashboard.protocols.models import Protocol, load_protocol, shipped_protocol_ids


def resolved_listing(protocol: Protocol) -> list[str]:
    """The resolved protocol as the strict loader reads it: one line per criterion with its
    outcomes and origin, after what it extends and includes (and the interpretation)."""
    lines = [f"{protocol.id}: {len(protocol.criteria)} criteria, version {protocol.version}"]
    if protocol.extends is not None:
        lines.append(
            f"  extends {protocol.extends.base_origin}, replacing "
            f"{', '.join(protocol.extends.replaces) or 'nothing'}"
        )
        if protocol.extends.interpretation:
            lines.append(f"  INTERPRETATION: {protocol.extends.interpretation}")
    if protocol.includes:
        lines.append(f"  includes {', '.join(protocol.includes)}")
    width = max(len(c.id) for c in protocol.criteria)
    outcomes = {c.id: " / ".join(dict.fromkeys(c.outcomes)) for c in protocol.criteria}
    outcome_width = max(len(text) for text in outcomes.values())
    for criterion in protocol.criteria:
        flag = "  INTERPRETATION" if criterion.interpretation else ""
        lines.append(
            f"  {criterion.id:<{width}}  {outcomes[criterion.id]:<{outcome_width}}"
            f"  {criterion.origin}{flag}"
        )
    return lines


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
        print("\n".join(resolved_listing(protocol)))
    if not (args.write_docs or args.check):
        print("shipped protocols: " + ", ".join(shipped_protocol_ids()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
