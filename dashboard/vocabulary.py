"""The parameter vocabulary: names, units, conversions, plausible ranges, codes.

Read from ``data/vocabulary/parameters.yaml`` (the one reviewed conversion table). A
parameter is either numeric (canonical unit, accepted units, plausible range) or
categorical (a closed set of codes).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from dashboard import DATA_DIR
from dashboard.errors import UnitError

VOCABULARY_FILE = DATA_DIR / "vocabulary" / "parameters.yaml"


@dataclass(frozen=True)
class UnitConversion:
    """``canonical = (value - zero) * scale`` for one accepted spelling of a unit."""

    spelling: str
    scale: float = 1.0
    zero: float = 0.0

    def to_canonical(self, value):
        return (value - self.zero) * self.scale

    def from_canonical(self, value):
        return value / self.scale + self.zero


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    unit: str | None = None  # canonical unit; None for categorical parameters
    units: tuple[UnitConversion, ...] = ()
    loinc: tuple[str, ...] = ()
    plausible: tuple[float, float] | None = None
    codes: tuple[str, ...] = ()
    multi_valued: bool = False
    # How the parameter is charted. None: regularly (a gap is unknown, records establish a
    # window from the start of the admission); "when_it_happens": only when it occurs, like
    # an event (diarrhoea): a window is established from the patient's first observation of
    # any parameter and a window without an entry sums to 0 (criteria.md section 2).
    charted: str | None = None
    _by_key: dict[str, UnitConversion] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_numeric(self) -> bool:
        return self.unit is not None

    @property
    def accepted_units(self) -> list[str]:
        return [u.spelling for u in self.units]

    def conversion(self, unit: str) -> UnitConversion | None:
        """The conversion for a unit as typed, or None when it is not a unit of this."""
        return self._by_key.get(unit_key(unit))

    def to_canonical(self, value: float, unit: str) -> float:
        return self.require_conversion(unit).to_canonical(value)

    def from_canonical(self, value: float, unit: str) -> float:
        return self.require_conversion(unit).from_canonical(value)

    def require_conversion(self, unit: str) -> UnitConversion:
        """The conversion for ``unit``; a UnitError naming the accepted units otherwise."""
        conversion = self.conversion(unit)
        if conversion is None:
            accepted = ", ".join(self.accepted_units) or "none: it is categorical"
            raise UnitError(f"'{unit}' is not a unit of {self.name} (accepted: {accepted})")
        return conversion


def unit_key(unit: str) -> str:
    """How unit spellings are compared: case-insensitive, micro sign and Greek mu as 'u'."""
    return str(unit).strip().replace("\u00b5", "u").replace("\u03bc", "u").lower()


def unit_keys(units: pd.Series) -> pd.Series:
    """Vectorised :func:`unit_key`."""
    return (
        units.astype(str)
        .str.strip()
        .str.replace("\u00b5", "u", regex=False)
        .str.replace("\u03bc", "u", regex=False)
        .str.lower()
    )


class Vocabulary:
    """All parameters, looked up by name."""

    def __init__(self, parameters: dict[str, Parameter], source: Path):
        self.parameters = parameters
        self.source = source

    def __contains__(self, name: str) -> bool:
        return name in self.parameters

    def __getitem__(self, name: str) -> Parameter:
        return self.parameters[name]

    @property
    def names(self) -> list[str]:
        return list(self.parameters)

    def suggest(self, name: str) -> str | None:
        """The closest known parameter name, for 'did you mean' messages."""
        typed = str(name).strip().lower()
        matches = difflib.get_close_matches(typed, self.names, n=1, cutoff=0.6)
        if matches:
            return matches[0]
        # A shortened name ("urine", "temp") is a prefix of the intended one.
        prefixed = [known for known in self.names if typed and known.startswith(typed)]
        return prefixed[0] if len(prefixed) == 1 else None

    def unknown_name_reason(self, name: str) -> str:
        hint = self.suggest(name)
        suffix = f"; did you mean '{hint}'?" if hint else f" (known: {', '.join(self.names)})"
        return f"'{name}' is not a known parameter{suffix}"

    def conversion_table(self) -> pd.DataFrame:
        """One row per (parameter, accepted unit key): scale and zero, for vectorised joins."""
        rows = [
            (p.name, unit_key(u.spelling), u.scale, u.zero)
            for p in self.parameters.values()
            for u in p.units
        ]
        return pd.DataFrame(rows, columns=["parameter", "unit_key", "scale", "zero"])

    def range_table(self) -> pd.DataFrame:
        rows = [(p.name, *p.plausible) for p in self.parameters.values() if p.plausible]
        return pd.DataFrame(rows, columns=["parameter", "low", "high"])

    def loinc_map(self) -> dict[str, str]:
        return {code: p.name for p in self.parameters.values() for code in p.loinc}


def _number(raw, where: str) -> float:
    """A number, or a fraction of two decimals ("5/9", "1/88.4") as the sources write them."""
    try:
        numerator, _, denominator = str(raw).partition("/")
        value = Fraction(numerator.strip())
        return float(value / Fraction(denominator.strip()) if denominator else value)
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"{where}: '{raw}' is not a number or a fraction") from exc


#: The values of a parameter's ``charted`` key (absent: charted regularly).
CHARTED_WHEN_IT_HAPPENS = "when_it_happens"
CHARTED_VALUES = (CHARTED_WHEN_IT_HAPPENS,)


def _charted(raw, where: str) -> str | None:
    if raw is None:
        return None
    if raw not in CHARTED_VALUES:
        raise ValueError(f"{where}: must be one of {', '.join(CHARTED_VALUES)} "
                         f"(or absent: charted regularly), not {raw!r}")
    return raw


def _parse(raw: dict, source: Path) -> dict[str, Parameter]:
    parameters: dict[str, Parameter] = {}
    for name, spec in raw["parameters"].items():
        units = tuple(
            UnitConversion(
                spelling=str(spelling),
                scale=_number((conv or {}).get("scale", 1), f"{source}: {name}.{spelling}.scale"),
                zero=_number((conv or {}).get("zero", 0), f"{source}: {name}.{spelling}.zero"),
            )
            for spelling, conv in (spec.get("units") or {}).items()
        )
        plausible = spec.get("plausible")
        parameter = Parameter(
            name=name,
            label=spec.get("label", name),
            unit=spec.get("unit"),
            units=units,
            loinc=tuple(str(c) for c in spec.get("loinc", [])),
            plausible=(float(plausible[0]), float(plausible[1])) if plausible else None,
            codes=tuple(spec.get("codes", [])),
            multi_valued=bool(spec.get("multi_valued", False)),
            charted=_charted(spec.get("charted"), f"{source}: {name}.charted"),
        )
        parameter._by_key.update({unit_key(u.spelling): u for u in units})
        parameters[name] = parameter
    return parameters


@lru_cache(maxsize=4)
def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return Vocabulary(_parse(raw, path), path)


def convert_to_canonical(
    values: pd.Series, parameters: pd.Series, units: pd.Series, vocabulary: Vocabulary | None = None
) -> tuple[pd.Series, pd.Series]:
    """Vectorised conversion of numeric values to canonical units.

    Returns ``(canonical_values, known_unit)``; where ``known_unit`` is False the value is NaN
    and the caller reports the row (a unit is never guessed).
    """
    vocabulary = vocabulary or load_vocabulary()
    table = vocabulary.conversion_table()
    keys = pd.DataFrame(
        {"parameter": parameters.to_numpy(), "unit_key": unit_keys(units).to_numpy()}
    )
    joined = keys.merge(table, on=["parameter", "unit_key"], how="left")
    known = joined["scale"].notna().to_numpy()
    canonical = (values.to_numpy(dtype=float) - joined["zero"].to_numpy()) * joined[
        "scale"
    ].to_numpy()
    return (
        pd.Series(np.where(known, canonical, np.nan), index=values.index),
        pd.Series(known, index=values.index),
    )
