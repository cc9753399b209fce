"""Support in progress (criteria.md section 9.3): what keeps the patient going, whatever
the status.

A patient on phenylephrine 1.5 µg/kg/min must never look like a patient on nothing, even
when no criterion of their protocol reads the pressor. For every patient at T: each
vasopressor running (drug, rate, time, and the protocol's threshold for it where one
exists), the oxygen device and flow, urine output in mL/kg/h over the last hours of the
protocol's KDIGO window, weight gain over baseline, and the latest creatinine with its
KDIGO stage. Every item carries its value, unit (UCUM) and time.

Computed for the whole ward at once (one pass over the observations), so that a 300-bed
ward costs one groupby, not 300 filters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from dashboard.assessment.baselines import baseline_creatinine
from dashboard.assessment.results import Finding
from dashboard.protocols import Protocol
from dashboard.protocols.rules import (
    Extreme,
    Latest,
    RangeComparison,
    ThresholdComparison,
    Window,
)
from dashboard.quantities import plain_number
from dashboard.tables import WardData
from dashboard.vocabulary import Vocabulary, load_vocabulary

#: The watch criterion whose grade labels name the KDIGO stage (criteria.md section 7).
KDIGO_CRITERION = "creatinine_rising"
URINE = "urine_output"
#: criteria.md 9.3 says "over the last 6 h": used only when the protocol has no per-kg
#: urine watch window to take the hours from (every shipped protocol has one).
DEFAULT_URINE_HOURS = 6.0
RATE_PER_KG_UNIT = "mL/kg/h"


@dataclass(frozen=True)
class SupportItem:
    """One line of support: ``value`` in ``unit`` (UCUM, None for a code) at ``time``."""

    kind: str  # vasopressor | oxygen | urine | weight_gain | creatinine
    parameter: str
    value: float | str | None
    unit: str | None
    time: pd.Timestamp | None
    threshold: tuple[tuple[str, str, float], ...] = ()  # (outcome, op, canonical value)
    note: str | None = None  # e.g. "KDIGO stage 2", "record covers 3.5 h of 6 h"
    hours: float | None = None  # the window of a rate
    ratio: float | None = None  # creatinine / baseline


@dataclass(frozen=True)
class Support:
    patient_id: str
    protocol_id: str | None
    items: tuple[SupportItem, ...] = field(default_factory=tuple)

    def of_kind(self, kind: str) -> list[SupportItem]:
        return [item for item in self.items if item.kind == kind]


def vasopressors(vocabulary: Vocabulary | None = None) -> tuple[str, ...]:
    vocabulary = vocabulary or load_vocabulary()
    return tuple(p.name for p in vocabulary.parameters.values() if p.group == "vasopressor")


def rate_thresholds(protocol: Protocol, drug: str) -> tuple[tuple[str, str, float], ...]:
    """The protocol's thresholds on the latest rate of ``drug``: for each outcome, the
    lowest "latest drug > x" (or the low end of a band) of any criterion, most severe
    first. Read from the protocol's rules, never written here."""
    found: dict[str, tuple[str, float]] = {}
    for criterion in protocol.criteria:
        for grade in criterion.grades:
            for node in grade.trigger.walk():
                if not isinstance(node, Latest | Extreme) or node.parameter != drug:
                    continue
                if isinstance(node, Extreme) and node.kind != "max":
                    continue
                comparison = node.comparison
                if isinstance(comparison, RangeComparison):
                    op, value = ">=", comparison.low
                elif (
                    isinstance(comparison, ThresholdComparison)
                    and comparison.op in (">", ">=")
                    and comparison.threshold.value is not None
                ):
                    op, value = comparison.op, comparison.threshold.value
                else:
                    continue
                if isinstance(node, Extreme):
                    continue  # a maximum over the interval, not a rate limit now
                known = found.get(grade.outcome)
                if known is None or value < known[1]:
                    found[grade.outcome] = (op, value)
    order = ("discontinue", "stop_cycle", "hold", "watch")
    return tuple((outcome, *found[outcome]) for outcome in order if outcome in found)


def urine_hours(protocol: Protocol | None) -> float:
    """The hours of the protocol's per-kg urine *rate* window (KDIGO watch: 6 h); a per-kg
    total (TIL's 8-h hold) is another quantity and does not set it."""
    if protocol is not None:
        for criterion in protocol.criteria:
            for grade in criterion.grades:
                for node in grade.trigger.walk():
                    if (
                        isinstance(node, Window)
                        and node.parameter == URINE
                        and node.per_kg
                        and node.aggregate == "rate"
                    ):
                        return float(node.hours)
    return DEFAULT_URINE_HOURS


def urine_fresh_hours(protocol: Protocol | None) -> float | None:
    """How fresh the latest urine entry must be for a rate to mean anything: the
    protocol's tightest required freshness for urine output (None: not required)."""
    if protocol is None:
        return None
    hours = [
        req.fresh_hours
        for criterion in protocol.criteria
        for req in criterion.required
        if req.parameter == URINE
    ]
    return min(hours) if hours else None


def kdigo_stage(findings: Sequence[Finding], protocol: Protocol | None) -> str | None:
    """The KDIGO stage of the patient's creatinine_rising watch finding, in the words of
    the protocol's grade label ("KDIGO stage 2"), or None when it is not raised."""
    if protocol is None or KDIGO_CRITERION not in protocol.criterion_ids:
        return None
    labels = [g.label for g in protocol.criterion(KDIGO_CRITERION).grades if g.label]
    for finding in findings:
        if finding.criterion != KDIGO_CRITERION or finding.outcome != "watch":
            continue
        for label in labels:
            if (finding.detail or "").startswith(label):
                return label
        return labels[-1] if len(labels) == 1 else "KDIGO watch"
    return None


def _latest(
    observations: pd.DataFrame, at: pd.Timestamp, parameters: Sequence[str]
) -> pd.DataFrame:
    """The latest observation per (patient, parameter) at or before ``at``."""
    known = observations[
        (observations["time"] <= at) & observations["parameter"].isin(list(parameters))
    ]
    known = known.sort_values("time", kind="stable")
    latest = known.groupby(["patient_id", "parameter"], sort=False).tail(1)
    return latest.set_index(["patient_id", "parameter"])[["value", "code", "time"]]


def _get(latest: pd.DataFrame, pid: str, parameter: str):
    key = (pid, parameter)
    return latest.loc[key] if key in latest.index else None


def support_in_progress(
    ward: WardData,
    at: pd.Timestamp,
    protocols: Mapping[str, Protocol],
    findings: Mapping[str, Sequence[Finding]] | None = None,
    vocabulary: Vocabulary | None = None,
) -> dict[str, Support]:
    """Support in progress for every patient of the ward at ``at``.

    ``protocols``: each patient's protocol by patient id (for the pressor thresholds and the
    urine window); ``findings``: each patient's findings (for the KDIGO stage).
    """
    at = pd.Timestamp(at)
    vocabulary = vocabulary or load_vocabulary()
    findings = findings or {}
    drugs = vasopressors(vocabulary)
    observations = ward.observations
    observations = observations.assign(patient_id=observations["patient_id"].astype(str))
    latest = _latest(observations, at, [*drugs, "o2_device", "o2_flow", "weight", "creatinine"])
    patients = ward.patients.drop_duplicates("patient_id").copy()
    patients["patient_id"] = patients["patient_id"].astype(str)
    patients = patients.set_index("patient_id")
    weights = pd.to_numeric(patients["baseline_weight_kg"], errors="coerce")
    recorded_creatinine = (
        pd.to_numeric(patients["baseline_creatinine_mg_dl"], errors="coerce")
        if "baseline_creatinine_mg_dl" in patients
        else pd.Series(np.nan, index=patients.index)
    )
    first_creatinine = (
        observations[(observations["parameter"] == "creatinine") & (observations["time"] <= at)]
        .sort_values("time")
        .groupby("patient_id")["value"]
        .first()
    )
    urine = _urine_rates(
        observations,
        at,
        {pid: urine_hours(protocols.get(pid)) for pid in patients.index},
        weights,
        {pid: urine_fresh_hours(protocols.get(pid)) for pid in patients.index},
    )

    result: dict[str, Support] = {}
    for pid in patients.index:
        protocol = protocols.get(pid)
        items: list[SupportItem] = []
        for drug in drugs:
            row = _get(latest, pid, drug)
            if row is not None and float(row["value"]) > 0:
                items.append(
                    SupportItem(
                        "vasopressor",
                        drug,
                        float(row["value"]),
                        vocabulary[drug].unit,
                        row["time"],
                        threshold=rate_thresholds(protocol, drug) if protocol else (),
                    )
                )
        device = _get(latest, pid, "o2_device")
        flow = _get(latest, pid, "o2_flow")
        if device is None and flow is None:
            items.append(SupportItem("oxygen", "o2_device", None, None, None, note="not charted"))
        if device is not None:
            items.append(
                SupportItem("oxygen", "o2_device", str(device["code"]), None, device["time"])
            )
        if flow is not None:
            items.append(
                SupportItem(
                    "oxygen",
                    "o2_flow",
                    float(flow["value"]),
                    vocabulary["o2_flow"].unit,
                    flow["time"],
                )
            )
        items.append(
            urine[pid]
            if pid in urine
            else SupportItem(
                "urine",
                URINE,
                None,
                RATE_PER_KG_UNIT,
                None,
                note="no urine charted",
                hours=urine_hours(protocol),
            )
        )
        weight = _get(latest, pid, "weight")
        baseline = weights.get(pid, np.nan)
        if weight is None:
            items.append(
                SupportItem("weight_gain", "weight", None, "%", None, note="no weight charted")
            )
        elif pd.isna(baseline) or baseline <= 0:
            items.append(
                SupportItem(
                    "weight_gain", "weight", None, "%", weight["time"], note="no baseline weight"
                )
            )
        else:
            gain = (float(weight["value"]) - baseline) / baseline * 100
            items.append(SupportItem("weight_gain", "weight", gain, "%", weight["time"]))
        creatinine = _get(latest, pid, "creatinine")
        if creatinine is None:
            items.append(
                SupportItem(
                    "creatinine",
                    "creatinine",
                    None,
                    vocabulary["creatinine"].unit,
                    None,
                    note="no creatinine charted",
                )
            )
        else:
            base = baseline_creatinine(
                recorded_creatinine.get(pid, np.nan), first_creatinine.get(pid, np.nan)
            )
            ratio = float(creatinine["value"]) / base if base is not None and base > 0 else None
            items.append(
                SupportItem(
                    "creatinine",
                    "creatinine",
                    float(creatinine["value"]),
                    vocabulary["creatinine"].unit,
                    creatinine["time"],
                    note=kdigo_stage(findings.get(pid, ()), protocol),
                    ratio=ratio,
                )
            )
        result[pid] = Support(pid, protocol.id if protocol else None, tuple(items))
    return result


def _urine_rates(
    observations: pd.DataFrame,
    at: pd.Timestamp,
    hours: Mapping[str, float],
    weights: pd.Series,
    fresh: Mapping[str, float | None],
) -> dict[str, SupportItem]:
    """Urine output over (at - W, at] per kg of baseline weight per hour, per patient.

    A record whose latest entry is older than the protocol's freshness for urine gives no
    rate: each entry is the volume since the one before, so the hours since the last entry
    hold an unknown volume, and "0.00 mL/kg/h" would read as anuria (missing is never
    normal)."""
    urine = observations[(observations["parameter"] == URINE) & (observations["time"] <= at)]
    if urine.empty:
        return {}
    window = urine["patient_id"].map(hours).astype(float)
    inside = urine[urine["time"] > at - pd.to_timedelta(window, unit="h")]
    sums = inside.groupby("patient_id")["value"].sum()
    first = urine.groupby("patient_id")["time"].min()
    last = urine.groupby("patient_id")["time"].max()
    items = {}
    for key, started in first.items():
        pid = cast(str, key)  # patient ids are text in the canonical tables
        width = float(hours.get(pid, DEFAULT_URINE_HOURS))
        weight = weights.get(pid, np.nan)
        total = float(sums.get(pid, 0.0))
        note = None
        covered = (at - started) / pd.Timedelta(hours=1)
        if covered < width:
            # Each entry is the volume since the one before: a record that starts inside
            # the window holds an unknown volume before it, so the rate is a lower bound.
            note = f"record covers {covered:.1f} h of the {plain_number(width)} h"
        if pd.isna(weight) or weight <= 0:
            items[pid] = SupportItem(
                "urine",
                URINE,
                None,
                RATE_PER_KG_UNIT,
                last[pid],
                note="no baseline weight",
                hours=width,
            )
            continue
        limit = fresh.get(pid) or width
        if at - last[pid] > pd.Timedelta(hours=limit):
            items[pid] = SupportItem(
                "urine",
                URINE,
                None,
                RATE_PER_KG_UNIT,
                last[pid],
                note=f"none charted in the last {plain_number(limit)} h",
                hours=width,
            )
            continue
        items[pid] = SupportItem(
            "urine",
            URINE,
            total / width / float(weight),
            RATE_PER_KG_UNIT,
            last[pid],
            note=note,
            hours=width,
        )
    return items
