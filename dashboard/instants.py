"""UTC moments as int64 nanoseconds: how the engine and the schedule compare times fast.

One constant for "no time" and one conversion each way, with the unit written out
(``datetime64[ns]``): never the integer storage of a pandas column, whose unit is not
always nanoseconds (pandas 3 keeps seconds or microseconds when it read them so).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: "No time" (NaT) as an int64 nanosecond count: how numpy writes NaT in int64.
NAT = np.iinfo(np.int64).min


def as_ns(values) -> np.ndarray:
    """UTC datetimes (Series, Index, array) as int64 nanoseconds; NaT as :data:`NAT`."""
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def from_ns(ns: np.ndarray) -> pd.Series:
    """int64 nanoseconds (NAT: no time) as a Series of UTC datetimes."""
    return pd.Series(pd.to_datetime(np.asarray(ns, dtype=np.int64), unit="ns", utc=True))
