"""Work once per distinct value, not once per row.

A ward's long table repeats the same patient ids, parameter names, units, times and many
values thousands of times. String work (strip, lower, parse) is done on the distinct
values of a categorical column and spread back by its codes: the same answer as per row,
in a fraction of the time on a million rows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def as_categorical(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series
    return series.astype("category")


def per_distinct(series: pd.Series, func: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``func`` applied to each distinct value of ``series``, aligned with ``series``.

    Text results come back categorical (cheap to compare and to map again); numbers,
    booleans and times come back as plain arrays.
    """
    categorical = as_categorical(series)
    categories = pd.Series(categorical.cat.categories.astype(object), dtype=object)
    mapped = func(categories)
    codes = categorical.cat.codes.to_numpy()
    if _is_text(mapped):
        new_codes, uniques = pd.factorize(mapped, use_na_sentinel=True)
        taken = np.where(codes >= 0, new_codes[codes], -1)
        return pd.Series(pd.Categorical.from_codes(taken, categories=uniques), index=series.index)
    values = mapped.to_numpy()
    if (codes < 0).any():  # no row is missing its text here, but never index with -1
        raise ValueError("per_distinct needs a column without missing values")
    return pd.Series(values[codes], index=series.index, dtype=mapped.dtype)


def plain(series: pd.Series) -> pd.Series:
    """A categorical column as plain Python objects, for the canonical frames.

    ``dtype=object`` is written out: pandas 3 would otherwise infer its ``str`` dtype, whose
    missing value is NaN, where the frames promise None (dashboard/tables.py).
    """
    return pd.Series(np.asarray(series, dtype=object), index=series.index, dtype=object)


def _is_text(values: pd.Series) -> bool:
    """Text as pandas 2 (object) or pandas 3 (its ``str`` dtype) holds it."""
    return values.dtype == object or isinstance(values.dtype, pd.StringDtype)


def per_distinct_pair(
    first: pd.Series, second: pd.Series, func: Callable[[str, str], tuple]
) -> list[np.ndarray]:
    """``func(a, b)`` once per distinct pair of two categorical columns, spread to the rows.

    ``func`` returns a tuple; the result is one array per tuple position, aligned with the
    rows (used for (parameter, unit) conversions and (parameter, code) checks).
    """
    first, second = as_categorical(first), as_categorical(second)
    width = len(second.cat.categories) + 1
    keys = first.cat.codes.to_numpy().astype(np.int64) * width + (
        second.cat.codes.to_numpy().astype(np.int64) + 1
    )
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    firsts, seconds = first.cat.categories, second.cat.categories
    if not len(unique_keys):  # no rows: ask once, only to learn how many answers there are
        return [np.asarray([column])[:0] for column in func(None, None)]
    answers = [
        func(
            firsts[key // width] if key // width >= 0 else None,
            seconds[key % width - 1] if key % width else None,
        )
        for key in unique_keys
    ]
    return [np.asarray(column)[inverse] for column in zip(*answers, strict=True)]
