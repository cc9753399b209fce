"""The one way a quantity is written for a person (criteria.md section 9.6).

"84 mmHg", "3.24 mg/dL", "sustained VT": the precision (decimal places), the unit as a ward
writes it and the words for a code are data in ``data/vocabulary/parameters.yaml``, so the
same value reads the same on the card, the ward list, the trends and the command-line table
(never "3.24" in one place and "3.235" in another). UCUM codes stay in JSON, CSV and FHIR.

Rounding is half-up on the decimal the value was written as (3.235 -> 3.24), not on its
binary float (which would give 3.23).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from dashboard.vocabulary import Vocabulary, load_vocabulary

NO_VALUE = "no value"
#: Precision of a number with no known parameter or unit (should not happen on screen;
#: kept readable rather than raising at the bedside).
FALLBACK_DECIMALS = 2


def _vocabulary(vocabulary: Vocabulary | None) -> Vocabulary:
    return vocabulary or load_vocabulary()


def display_unit(unit: str | None, vocabulary: Vocabulary | None = None) -> str:
    """A UCUM code as clinicians write it: mm[Hg] -> mmHg, Cel -> °C, ug/kg/min -> µg/kg/min."""
    if not unit:
        return ""
    return _vocabulary(vocabulary).display_units.get(unit, unit)


def decimals(
    parameter: str | None, unit: str | None = None, vocabulary: Vocabulary | None = None
) -> int | None:
    """The display resolution of ``parameter`` in ``unit`` (its canonical unit when None);
    a derived quantity (mL/kg/h, % gain) has the precision of its unit."""
    vocab = _vocabulary(vocabulary)
    known = vocab.parameters.get(parameter) if parameter else None
    if known is None and unit is None:
        return None  # a count or a bare number: see round_text's callers
    if known is not None and known.decimals is not None and unit in (None, known.unit):
        return known.decimals
    if unit in vocab.derived_decimals:
        return vocab.derived_decimals[unit]
    if known is not None and known.decimals is not None:
        conversion = known.conversion(unit) if unit else None
        if conversion is not None:  # an accepted spelling of the same unit
            return known.decimals
    return None  # unknown: whole numbers as such (a count), else FALLBACK_DECIMALS


def round_text(value: float, places: int | None) -> str:
    """``value`` with exactly ``places`` decimals, half-up on its shortest decimal form;
    ``places`` None (a count, no parameter): a whole number as such, else 2 decimals."""
    if places is None:
        places = 0 if float(value).is_integer() else FALLBACK_DECIMALS
    exact = Decimal(repr(float(value)))
    quantum = Decimal(1).scaleb(-places)
    rounded = exact.quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0.0"
    return f"{rounded:f}"


def plain_number(value: float, significant: int = 6) -> str:
    """A number without a parameter, as a protocol or a message writes it: "90", "4.5",
    "0.8", "16" (hours, limits, counts); at most ``significant`` significant digits and
    no trailing zeros. A measured value is written by :func:`format_quantity` instead."""
    return f"{float(value):.{significant}g}"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def parameter_words(parameter: str | None) -> str:
    """A parameter as a sentence names it: urine_output -> "urine output"."""
    return (parameter or "").replace("_", " ")


def code_words(parameter: str | None, code: str, vocabulary: Vocabulary | None = None) -> str:
    """A code in words: rhythm vt_sustained -> "sustained VT"; an unknown code as it is."""
    known = _vocabulary(vocabulary).parameters.get(parameter) if parameter else None
    if known is not None and code in known.words:
        return known.words[code]
    return str(code).replace("_", " ")


def format_number(
    parameter: str | None, value, unit: str | None = None, vocabulary: Vocabulary | None = None
) -> str:
    """The number alone, at the parameter's precision ("3.24"); "no value" when missing."""
    if _missing(value):
        return NO_VALUE
    return round_text(float(value), decimals(parameter, unit, vocabulary))


def format_quantity(
    parameter: str | None, value, unit: str | None = None, vocabulary: Vocabulary | None = None
) -> str:
    """ "84 mmHg", "3.24 mg/dL", "sustained VT" or "no value" (never blank).

    ``unit`` is the UCUM code of ``value`` (default: the parameter's canonical unit); a code
    (a str value) is written in words."""
    if _missing(value):
        return NO_VALUE
    if isinstance(value, str):
        return code_words(parameter, value, vocabulary)
    vocab = _vocabulary(vocabulary)
    known = vocab.parameters.get(parameter) if parameter else None
    if unit is None and known is not None:
        unit = known.unit
    number = round_text(float(value), decimals(parameter, unit, vocab))
    shown = display_unit(unit, vocab)
    if not shown:
        return number
    return f"{number}{shown}" if shown == "%" else f"{number} {shown}"


def format_quantities(
    parameter: str | None,
    values: Iterable,
    unit: str | None = None,
    vocabulary: Vocabulary | None = None,
) -> list[str]:
    """:func:`format_quantity` over many values of one parameter (one vocabulary look-up;
    for the engine's sentences and the ward's columns)."""
    vocab = _vocabulary(vocabulary)
    return [format_quantity(parameter, value, unit, vocab) for value in values]


_CODE = re.compile(r"`([a-z0-9_]+)`")
_SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


def display_rule(rule: str, vocabulary: Vocabulary | None = None) -> str:
    """A rule in words for a screen: UCUM units as clinicians write them ("< 90 mmHg") and
    quoted codes in words ("sustained VT"). The rule itself (JSON, CSV, protocol files)
    keeps its codes; only what a person reads changes."""
    vocab = _vocabulary(vocabulary)
    words_of: dict[str, str] = {}
    for parameter in vocab.parameters.values():
        for code, words in parameter.words.items():
            words_of.setdefault(code, words)
    text = _CODE.sub(
        lambda match: words_of.get(match.group(1), match.group(1).replace("_", " ")), rule
    )
    text = _SNAKE.sub(lambda match: match.group(0).replace("_", " "), text)  # urine output
    for unit in sorted(vocab.display_units, key=len, reverse=True):
        # Whole units only: "Cel" never inside a word, "10*3/uL" never inside another unit.
        text = re.sub(
            rf"(?<![\w\[*/]){re.escape(unit)}(?![\w\]/])", vocab.display_units[unit], text
        )
    return text
