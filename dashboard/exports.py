"""What leaves the monitor as text for another program: spreadsheets and terminals.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a
formula to a spreadsheet (``=HYPERLINK(...)`` in a patient id would run when a nurse opens
the export). Such a cell is written with a leading apostrophe (the OWASP rule), unless it
is a plain number ("-0.5" stays a number). A terminal obeys escape codes: an id holding
``ESC[2K`` could erase the "HOLD" printed beside it, so control characters never reach it.
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# C0 and C1 control characters (and DEL), except the newline a table is made of.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def spreadsheet_safe(value):
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


def terminal_safe(text: str) -> str:
    """Text with every control character (escape codes included) shown as '?'."""
    return _CONTROL.sub("?", text)
