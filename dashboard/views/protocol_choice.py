"""Which protocol assesses which patient: the file's column, the ward's choice, or a
per-patient override (kept in the session as ids only)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from dashboard.protocols import DEFAULT_PROTOCOL_ID

#: The ward choice that means "each patient's own protocol column".
AS_RECORDED = ""


def recorded_protocols(patients: pd.DataFrame) -> dict[str, str]:
    """patient_id -> the protocol named in the patients table (empty: the default)."""
    ids = patients["patient_id"].astype(str)
    named = patients["protocol"] if "protocol" in patients else pd.Series("", index=ids.index)
    named = named.where(named.notna(), "").astype(str).str.strip()
    return {pid: (name or DEFAULT_PROTOCOL_ID) for pid, name in zip(ids, named, strict=True)}


def effective_protocols(
    patients: pd.DataFrame,
    ward_choice: str = AS_RECORDED,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """patient_id -> protocol id: override, else the ward's choice, else as recorded."""
    chosen = recorded_protocols(patients)
    if ward_choice:
        chosen = dict.fromkeys(chosen, ward_choice)
    for pid, protocol_id in (overrides or {}).items():
        if pid in chosen and protocol_id:
            chosen[pid] = protocol_id
    return chosen


def groups(assignment: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """protocol id -> the patients it assesses (sorted, so that it can key a cache)."""
    found: dict[str, list[str]] = {}
    for pid, protocol_id in assignment.items():
        found.setdefault(protocol_id, []).append(pid)
    return {protocol_id: tuple(sorted(pids)) for protocol_id, pids in sorted(found.items())}
