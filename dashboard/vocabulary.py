"""The parameter vocabulary: names, units, conversions, plausible ranges, codes.

Read from ``data/vocabulary/parameters.yaml`` (the one reviewed conversion table). A
parameter is either numeric (canonical unit, accepted units, plausible range) or
categorical (a closed set of codes).
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from dashboard import DATA_DIR
from dashboard.errors import UnitError
from dashboard.strict_yaml import load_yaml

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
    decimals: int | None = None  # display resolution (criteria.md 9.6); numeric only
    group: str | None = None  # e.g. "vasopressor": the infusions the support line lists
    words: dict[str, str] = field(default_factory=dict, compare=False)  # code -> words
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

    def __init__(
        self,
        parameters: dict[str, Parameter],
        source: Path,
        display_units: dict[str, str] | None = None,
        derived_decimals: dict[str, int] | None = None,
    ):
        self.parameters = parameters
        self.source = source
        self.display_units = dict(display_units or {})  # UCUM code -> as a ward writes it
        self.derived_decimals = dict(derived_decimals or {})  # derived unit -> decimals

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
CHARTED_UNTIL_CHANGED = "until_changed"  # a rate in force until the next entry (infusions)
CHARTED_VALUES = (CHARTED_WHEN_IT_HAPPENS, CHARTED_UNTIL_CHANGED)


def _charted(raw, where: str) -> str | None:
    if raw is None:
        return None
    if raw not in CHARTED_VALUES:
        raise ValueError(
            f"{where}: must be one of {', '.join(CHARTED_VALUES)} "
            f"(or absent: charted regularly), not {raw!r}"
        )
    return raw


class _UnitSpec(BaseModel):
    """One accepted spelling's conversion as the file writes it (a fraction may be text)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    scale: StrictFloat | StrictInt | StrictStr = 1
    zero: StrictFloat | StrictInt = 0


class _ParameterSpec(BaseModel):
    """The shape of one parameter in the vocabulary file, checked before it is used: a
    misspelt key, a LOINC code written as a bare scalar (which would become one code per
    character) or a range that is not two numbers is refused with the key named."""

    model_config = ConfigDict(extra="forbid", strict=True)
    label: StrictStr
    unit: StrictStr | None = None
    units: dict[StrictStr, _UnitSpec | None] | None = None
    loinc: list[StrictStr] = []
    plausible: (
        Annotated[list[StrictFloat | StrictInt], Field(min_length=2, max_length=2)] | None
    ) = None
    codes: list[StrictStr] = []
    multi_valued: StrictBool = False
    decimals: StrictInt | None = None
    group: StrictStr | None = None
    words: dict[StrictStr, StrictStr] | None = None
    charted: StrictStr | None = None


class _VocabularySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reviewed_by: StrictStr
    date_reviewed: dt.date
    display_units: dict[StrictStr, StrictStr] = {}
    derived_units: dict[StrictStr, dict[StrictStr, StrictInt]] = {}
    parameters: dict[StrictStr, _ParameterSpec]


def _check_shape(raw, source: Path) -> None:
    """Refuse a vocabulary file whose shape is wrong, naming the first key at fault."""
    try:
        _VocabularySpec.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{Path(source).name}: {where}: {first['msg']}") from None


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
            **_display_fields(name, spec, source),
            charted=_charted(spec.get("charted"), f"{source}: {name}.charted"),
        )
        parameter._by_key.update({unit_key(u.spelling): u for u in units})
        parameters[name] = parameter
    return parameters


GROUPS = ("vasopressor",)
MAX_DECIMALS = 4


def _decimals(raw, where: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_DECIMALS:
        raise ValueError(f"{where}: must be a whole number from 0 to {MAX_DECIMALS}, not {raw!r}")
    return raw


def _display_fields(name: str, spec: dict, source: Path) -> dict:
    """The display fields of one parameter, read strictly: a precision or a word that is
    wrong would show a wrong value on every screen."""
    fields: dict = {}
    if "decimals" in spec:
        if not spec.get("unit"):
            raise ValueError(f"{source}: {name}.decimals: a categorical parameter has no precision")
        fields["decimals"] = _decimals(spec["decimals"], f"{source}: {name}.decimals")
    elif spec.get("unit"):
        raise ValueError(
            f"{source}: {name}.decimals: missing (every numeric parameter "
            "has one display precision)"
        )
    if "group" in spec:
        if spec["group"] not in GROUPS:
            raise ValueError(
                f"{source}: {name}.group: '{spec['group']}' is not one of {', '.join(GROUPS)}"
            )
        fields["group"] = spec["group"]
    if "words" in spec:
        words = spec["words"]
        codes = list(spec.get("codes") or [])
        if not isinstance(words, dict):
            raise ValueError(f"{source}: {name}.words: must be a mapping code -> words")
        for code, text in words.items():
            if code not in codes:
                raise ValueError(f"{source}: {name}.words.{code}: not a code of {name}")
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{source}: {name}.words.{code}: must be non-empty text")
        missing = [code for code in codes if code not in words]
        if missing:
            raise ValueError(f"{source}: {name}.words: no words for {', '.join(missing)}")
        fields["words"] = {str(code): text.strip() for code, text in words.items()}
    return fields


def _display_units(raw: dict, source: Path) -> tuple[dict[str, str], dict[str, int]]:
    units = raw.get("display_units") or {}
    derived = raw.get("derived_units") or {}
    if not isinstance(units, dict) or not isinstance(derived, dict):
        raise ValueError(f"{source}: display_units and derived_units must be mappings")
    decimals = {}
    for unit, spec in derived.items():
        if not isinstance(spec, dict) or set(spec) != {"decimals"}:
            raise ValueError(f"{source}: derived_units.{unit}: must be {{decimals: N}}")
        decimals[str(unit)] = _decimals(spec["decimals"], f"{source}: derived_units.{unit}")
    return {str(k): str(v) for k, v in units.items()}, decimals


@lru_cache(maxsize=4)
def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    # Strict: a duplicated key (a conversion pasted twice) or .nan is refused with the line.
    raw = load_yaml(Path(path).read_text(encoding="utf-8"), Path(path).name)
    _check_shape(raw, path)
    return Vocabulary(_parse(raw, path), path, *_display_units(raw, path))


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
