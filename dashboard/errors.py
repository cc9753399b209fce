"""The one user-error hierarchy.

Everything a user can cause (a bad file, an unknown unit, a malformed protocol) is a
``MonitorUserError``. Pages and the command line catch only this base class and show its
message; any other exception is a bug and is allowed to propagate.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in an input, located as a person would look for it.

    ``row`` counts as a person does: in a CSV or a spreadsheet the header is row 1, so the
    first data row is row 2. ``row_kind`` names what ``row`` counts ("row" for tables,
    "entry" for a FHIR bundle).
    """

    file: str
    row: int | None
    column: str | None
    reason: str
    row_kind: str = "row"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"{self.row_kind} {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.reason}"


class MonitorUserError(Exception):
    """Base of every error a user can cause and fix. Its message is for a person."""


class InputFileError(MonitorUserError):
    """An input could not be read at all (empty, binary, wrong delimiter, no header...).

    The message is one clear sentence naming the file.
    """


class DataValidationError(MonitorUserError):
    """An input was read, and some of its rows are wrong. Lists every problem at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = order_problems(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the input; nothing was loaded:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class UnitError(MonitorUserError):
    """A unit that does not belong to a parameter (in a protocol or a conversion request)."""


class ProtocolError(MonitorUserError):
    """A protocol file that cannot be used: names the file and the key."""


def order_problems(problems: list[Problem]) -> list[Problem]:
    """Files in the order they were read (patients before the rows that name them), then by
    row; whole-table problems (no row) first within their file."""
    file_rank: dict[str, int] = {}
    for problem in problems:
        file_rank.setdefault(problem.file, len(file_rank))
    return sorted(
        problems,
        key=lambda p: (
            file_rank[p.file],
            p.row if p.row is not None else -1,
            p.column or "",
            p.reason,
        ),
    )
