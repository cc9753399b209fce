"""Observations indexed for fast "as of T" questions, vectorised over many moments.

A :class:`SeriesIndex` holds the observations of one parameter (optionally one set of
codes) sorted by (patient, time). Every question the engine asks (the latest value at T,
the values in (a, b], a window sum, a maximum) becomes a pair of positions found with one
``np.searchsorted`` over integer keys ``patient_code * M + time_rank``: no loop over
observations or patients, and exact comparisons of times (criteria.md section 2: "with the
observations timed at or before T only").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.instants import NAT, as_ns

__all__ = ["NAT", "NEG_INF", "NONE", "ObservationStore", "SeriesIndex", "as_ns"]

NEG_INF = NAT + 1  # "since the beginning of the record" (course scope)
# None as a 0-d object array: "no code" in np.where, whose type stubs refuse a bare None
# (the result is the same object array either way).
NONE = np.array(None, dtype=object)


class SeriesIndex:
    """Sorted observations of one parameter with positional search by (patient, time)."""

    def __init__(
        self,
        patient_codes: np.ndarray,
        times: np.ndarray,
        values: np.ndarray,
        codes: np.ndarray,
        n_patients: int,
        extra: dict[str, np.ndarray] | None = None,
        presorted: bool = False,
    ):
        if presorted:
            self.patient = np.asarray(patient_codes, dtype=np.int64)
            self.times = np.asarray(times, dtype=np.int64)
            self.values = np.asarray(values, dtype=float)
            self.codes = codes
            self.extra = dict(extra or {})
        else:
            order = np.lexsort((times, patient_codes))
            self.patient = patient_codes[order].astype(np.int64)
            self.times = times[order].astype(np.int64)
            self.values = values[order].astype(float)
            self.codes = codes[order]
            self.extra = {name: array[order] for name, array in (extra or {}).items()}
        self.n = len(self.times)
        self._unique = np.unique(self.times)
        self._m = np.int64(len(self._unique) + 2)
        rank = np.searchsorted(self._unique, self.times, side="left") + 1
        self._keys = self.patient * self._m + rank
        bounds = np.searchsorted(self.patient, np.arange(n_patients + 1), side="left")
        self._patient_start = bounds[:-1]
        self._patient_end = bounds[1:]
        self._cumsum: np.ndarray | None = None
        self._memo: dict = {}

    # -- positions (vectorised over query arrays)
    def patient_start(self, pc: np.ndarray) -> np.ndarray:
        return self._patient_start[pc]

    def patient_end(self, pc: np.ndarray) -> np.ndarray:
        return self._patient_end[pc]

    def end_le(self, pc: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Position after the last observation with time <= t (exclusive end)."""
        rank = np.searchsorted(self._unique, t, side="right")
        return np.searchsorted(self._keys, pc * self._m + rank, side="right")

    def end_lt(self, pc: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Position after the last observation with time < t."""
        rank = np.searchsorted(self._unique, t, side="left")
        return np.searchsorted(self._keys, pc * self._m + rank, side="right")

    def start_ge(self, pc: np.ndarray, a: np.ndarray) -> np.ndarray:
        """First observation with time >= a."""
        return self.end_lt(pc, a)

    def start_gt(self, pc: np.ndarray, a: np.ndarray) -> np.ndarray:
        """First observation with time > a."""
        return self.end_le(pc, a)

    # -- values
    def latest(self, pc: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position of the latest observation at or before t, whether there is one)."""
        position = self.end_le(pc, t) - 1
        has = position >= self.patient_start(pc)
        return np.where(has, position, 0), has

    def take(self, array: np.ndarray, position: np.ndarray, has: np.ndarray, fill):
        if self.n == 0:
            return np.full(
                len(position),
                fill,
                dtype=np.asarray(array).dtype if not isinstance(fill, float) else float,
            )
        taken = array[np.clip(position, 0, self.n - 1)]
        if isinstance(fill, float):
            return np.where(has, taken.astype(float), fill)
        return np.where(has, taken, fill)

    def cumsum(self) -> np.ndarray:
        if self._cumsum is None:
            self._cumsum = np.concatenate([[0.0], np.cumsum(np.nan_to_num(self.values))])
        return self._cumsum

    def range_sum(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        cumsum = self.cumsum()
        return np.where(end > start, cumsum[end] - cumsum[np.minimum(start, end)], 0.0)

    def range_extreme(self, start: np.ndarray, end: np.ndarray, kind: str) -> np.ndarray:
        """Maximum (or minimum) of values[start:end] per row; NaN for an empty range."""
        result = np.full(len(start), np.nan)
        nonempty = end > start
        if self.n == 0 or not nonempty.any():
            return result
        ufunc = np.maximum if kind == "max" else np.minimum
        values = np.append(self.values, np.nan)  # reduceat needs index < len
        s, e = start[nonempty], end[nonempty]
        # reduceat over interleaved [s0, e0, s1, e1, ...] reduces values[s_i:e_i] at even
        # positions (ranges may overlap: each pair is reduced independently).
        indices = np.empty(2 * len(s), dtype=np.int64)
        indices[0::2] = s
        indices[1::2] = e
        reduced = ufunc.reduceat(values, indices)[0::2]
        result[nonempty] = reduced
        return result

    def code_mask(self, codes: tuple[str, ...]) -> np.ndarray:
        """Which observations have one of the codes (cached: rules ask the same often)."""
        key = ("codes", codes)
        if key not in self._memo:
            self._memo[key] = (
                np.isin(self.codes.astype(str), np.array(codes, dtype=str))
                if self.n
                else np.zeros(0, bool)
            )
        return self._memo[key]

    def last_matching(
        self, mask: np.ndarray, start: np.ndarray, end: np.ndarray, key=None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Among positions [start, end) where ``mask`` holds: (count, last position, any).

        ``key`` names the mask so that its running counts are computed once."""
        if self.n == 0:
            zeros = np.zeros(len(start), dtype=np.int64)
            return zeros, zeros, zeros.astype(bool)
        memo_key = ("matching", key)
        if key is not None and memo_key in self._memo:
            cumulative, last_at = self._memo[memo_key]
        else:
            cumulative = np.concatenate([[0], np.cumsum(mask)])
            last_at = np.maximum.accumulate(np.where(mask, np.arange(self.n), -1))
            if key is not None:
                self._memo[memo_key] = (cumulative, last_at)
        count = np.where(end > start, cumulative[end] - cumulative[np.minimum(start, end)], 0)
        last = last_at[np.clip(end - 1, 0, self.n - 1)]
        found = (count > 0) & (last >= start)
        return count, np.where(found, last, 0), found


class ObservationStore:
    """The canonical observations, sorted once by (parameter, patient, time) and indexed per
    parameter when a rule first asks for it."""

    def __init__(self, observations: pd.DataFrame, patient_ids: pd.Index):
        self.patient_ids = patient_ids
        self.n_patients = len(patient_ids)
        ids = observations["patient_id"]
        patient = patient_ids.get_indexer(ids if ids.dtype == object else ids.astype(str))
        parameter, names = pd.factorize(observations["parameter"])
        times = as_ns(observations["time"])
        known = (patient >= 0) & (parameter >= 0)
        # by time, then (stable) by parameter and patient: two integer argsorts are about
        # twice as fast as a three-key lexsort, and charts arrive mostly in time order
        by_time = np.argsort(times, kind="stable")
        group = (parameter.astype(np.int64) * (self.n_patients + 1) + patient)[by_time]
        order = by_time[np.argsort(group, kind="stable")]
        order = order[known[order]]
        self._patient = patient[order].astype(np.int64)
        self._times = times[order]
        self._values = observations["value"].to_numpy(float)[order]
        self._codes = observations["code"].to_numpy(object)[order]
        sorted_parameters = parameter[order]
        bounds = np.searchsorted(sorted_parameters, np.arange(len(names) + 1))
        self._slices = {
            str(name): (int(bounds[i]), int(bounds[i + 1])) for i, name in enumerate(names)
        }
        self._cache: dict[tuple, SeriesIndex] = {}
        self._first_times: np.ndarray | None = None  # first_times(), computed once

    def first_times(self) -> np.ndarray:
        """Per patient code, the time of the first observation of any parameter (NAT when
        none): where the record of a parameter charted only when it happens starts."""
        if self._first_times is None:
            first = np.full(self.n_patients, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(first, self._patient, self._times)
            self._first_times = np.where(first == np.iinfo(np.int64).max, NAT, first)
        return self._first_times

    def series(self, parameter: str, codes: tuple[str, ...] | None = None) -> SeriesIndex:
        key = (parameter, codes)
        if key not in self._cache:
            start, end = self._slices.get(parameter, (0, 0))
            chosen = slice(start, end)
            patient, times = self._patient[chosen], self._times[chosen]
            values, labels = self._values[chosen], self._codes[chosen]
            if codes is not None:
                keep = np.isin(labels.astype(str), np.array(codes, dtype=str))
                patient, times, values, labels = (
                    patient[keep],
                    times[keep],
                    values[keep],
                    labels[keep],
                )
            self._cache[key] = SeriesIndex(
                patient, times, values, labels, self.n_patients, presorted=True
            )
        return self._cache[key]

    def event_states(self, code: str) -> SeriesIndex:
        """Events of one code and their resolutions: value 1 = event, 0 = resolved.

        At the same moment a resolution sorts after the event (charted after it)."""
        key = ("__event_state__", code)
        if key not in self._cache:
            events = self.series("event", (code,))
            resolved = self.series("event_resolved", (code,))
            times = np.concatenate([events.times, resolved.times])
            patients = np.concatenate([events.patient, resolved.patient])
            values = np.concatenate([np.ones(events.n), np.zeros(resolved.n)])
            # A stable order where, at equal times, the resolution comes last.
            tiebreak = np.concatenate([np.zeros(events.n), np.ones(resolved.n)])
            order = np.lexsort((tiebreak, times, patients))
            self._cache[key] = SeriesIndex(
                patients[order],
                times[order],
                values[order],
                np.full(len(order), code, dtype=object),
                self.n_patients,
                presorted=True,
            )
        return self._cache[key]

    def episodes(self, parameter: str, codes: tuple[str, ...]) -> SeriesIndex:
        """Episodes of a state (an event until its event_resolved; a categorical code until
        a reading with another code), indexed by start time, with ``extra['end']``."""
        key = ("__episodes__", parameter, codes)
        if key in self._cache:
            return self._cache[key]
        starts, ends, patients, labels = [], [], [], []
        if parameter == "event":
            for code in codes:
                states = self.event_states(code)
                previous = np.concatenate([[0.0], states.values[:-1]])
                same_patient = np.concatenate([[False], states.patient[1:] == states.patient[:-1]])
                previous = np.where(same_patient, previous, 0.0)
                is_start = (states.values == 1) & (previous == 0)
                end = _next_time_where(states.times, states.patient, states.values == 0)
                starts.append(states.times[is_start])
                ends.append(end[is_start])
                patients.append(states.patient[is_start])
                labels.append(np.full(int(is_start.sum()), code, dtype=object))
        else:
            readings = self.series(parameter)
            inside = np.isin(readings.codes, codes)
            previous = np.concatenate([[False], inside[:-1]])
            same_patient = np.concatenate([[False], readings.patient[1:] == readings.patient[:-1]])
            is_start = inside & ~(previous & same_patient)
            end = _next_time_where(readings.times, readings.patient, ~inside)
            starts.append(readings.times[is_start])
            ends.append(end[is_start])
            patients.append(readings.patient[is_start])
            labels.append(readings.codes[is_start])
        index = SeriesIndex(
            np.concatenate(patients) if patients else np.zeros(0, np.int64),
            np.concatenate(starts) if starts else np.zeros(0, np.int64),
            np.zeros(sum(len(s) for s in starts)),
            np.concatenate(labels) if labels else np.zeros(0, object),
            self.n_patients,
            extra={"end": np.concatenate(ends) if ends else np.zeros(0, np.int64)},
        )
        self._cache[key] = index
        return index


def _next_time_where(times: np.ndarray, patients: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """For each row, the time of the next row (same patient, strictly after it in order)
    where ``mask`` holds; NAT when none."""
    n = len(times)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    position = np.where(mask, np.arange(n), n)
    # next mask position strictly after i: reverse running minimum, shifted by one
    following = np.minimum.accumulate(position[::-1])[::-1]
    following = np.concatenate([following[1:], [n]])
    valid = following < n
    safe = np.where(valid, following, 0)
    valid &= patients[safe] == patients
    return np.where(valid, times[safe], NAT)
