"""Input files and the raw (all-text) tables a reader produces before validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard.errors import Problem


@dataclass(frozen=True)
class InputFile:
    """One input file's name and bytes, wherever it came from (disk or an upload)."""

    name: str
    data: bytes

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


@dataclass
class RawTables:
    """What a reader hands to validation: text tables with ``source_row`` on every row.

    ``files`` names the file (as shown in messages) each table came from. A reader that
    derives the patients table (a per-dose sheet's first rows) says so in ``notices``.
    """

    patients: pd.DataFrame
    doses: pd.DataFrame
    observations: pd.DataFrame
    files: dict[str, str]
    row_kind: str = "row"
    units_required: bool = True  # long format: a numeric value needs its unit
    problems: list[Problem] = field(default_factory=list)  # found while reading
    notices: list[str] = field(default_factory=list)
