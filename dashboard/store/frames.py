"""Canonical frames in and out of the store, exactly: what ``load_frames`` returns is what
``dashboard.loading.load_ward`` returned for the same files (same columns, dtypes, values
to the nanosecond and the last bit of every float, same order), so the engine cannot tell
them apart.

Patients and doses are rows; readings are batches (dashboard/store/batches.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.errors import Problem
from dashboard.instants import as_ns
from dashboard.store import batches, schema
from dashboard.tables import (
    DOSE_COLUMNS,
    OBSERVATION_COLUMNS,
    PATIENT_COLUMNS,
    ImportReport,
    WardData,
)

PATIENT_CONTENT = [c for c in PATIENT_COLUMNS if c not in ("patient_id", "source", "source_row")]
DOSE_KEY = ["patient_id", "cycle", "dose_number"]
DOSE_CONTENT = ["scheduled_time", "status", "administered_time", "dose_iu_per_kg", "reason"]
#: An observation's identity: the same reading of the same patient at the same time is the
#: same fact, whichever file (or bedside entry) brought it.
OBSERVATION_KEY = ["patient_id", "time_ns", "parameter", "value", "code"]
CATEGORICAL_OBSERVATION_COLUMNS = ("unit", "recorded_value", "recorded_unit", "source")


# --------------------------------------------------------------------------- values


def to_ns(times: pd.Series) -> list[int | None]:
    """UTC nanoseconds since the epoch; None for a missing time (NaT)."""
    values = as_ns(times)
    missing = times.isna().to_numpy()
    return [None if gone else int(v) for v, gone in zip(values.tolist(), missing, strict=True)]


def from_ns(values) -> pd.Series:
    return pd.Series(
        pd.to_datetime(pd.array(values, dtype="Int64"), unit="ns", utc=True),
        dtype="datetime64[ns, UTC]",
    )


def _floats(series: pd.Series) -> list[float | None]:
    return [None if np.isnan(v) else v for v in series.astype(float).tolist()]


def _texts(series: pd.Series) -> list[str | None]:
    return [None if v is None or v is pd.NA or v != v else str(v) for v in series.tolist()]


# --------------------------------------------------------------------------- writing


def _records(import_id: int, columns: dict[str, list]) -> list[dict]:
    return [
        {"import_id": import_id, **dict(zip(columns, values, strict=True))}
        for values in zip(*columns.values(), strict=True)
    ]


def patient_rows(frame: pd.DataFrame, import_id: int) -> list[dict]:
    texts = ("name", "bed", "indication", "protocol")
    numbers = ("baseline_weight_kg", "baseline_creatinine_mg_dl", "target_sbp_mmhg")
    return _records(
        import_id,
        {
            "patient_id": frame["patient_id"].astype(str).tolist(),
            **{c: _texts(frame[c]) for c in texts},
            **{c: _floats(frame[c]) for c in numbers},
            "source": frame["source"].astype(str).tolist(),
            "source_row": [int(v) for v in frame["source_row"].tolist()],
        },
    )


def dose_rows(frame: pd.DataFrame, import_id: int) -> list[dict]:
    columns = {
        "patient_id": frame["patient_id"].astype(str).tolist(),
        "cycle": [int(v) for v in frame["cycle"].tolist()],
        "dose_number": [int(v) for v in frame["dose_number"].tolist()],
        "scheduled_time_ns": to_ns(frame["scheduled_time"]),
        "status": frame["status"].astype(str).tolist(),
        "administered_time_ns": to_ns(frame["administered_time"]),
        "dose_iu_per_kg": _floats(frame["dose_iu_per_kg"]),
        "reason": _texts(frame["reason"]),
        "source": frame["source"].astype(str).tolist(),
        "source_row": [int(v) for v in frame["source_row"].tolist()],
    }
    return _records(import_id, columns)


def insert_rows(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Append ``rows`` (dicts of the same columns) to ``table`` by the driver's bulk path:
    COPY on PostgreSQL, the driver's executemany on SQLite. 33,000 doses through
    SQLAlchemy's executemany took a second, half of it compiling parameters."""
    if not rows:
        return
    columns = list(rows[0])
    for column in columns:  # names from this code's own tables, never from the data
        assert column in table.c, column
    values = [tuple(row[c] for c in columns) for row in rows]
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({placeholders})", values
    )


# --------------------------------------------------------------------------- reading


def _latest(table: sa.Table, key: list[str]) -> sa.Select:
    """The newest version of each key, in the order the keys first appeared."""
    columns = [table.c[k] for k in key]
    versions = (
        sa.select(
            *columns,
            sa.func.max(table.c.id).label("latest"),
            sa.func.min(table.c.id).label("first"),
        )
        .group_by(*columns)
        .subquery()
    )
    return (
        sa.select(table).join(versions, table.c.id == versions.c.latest).order_by(versions.c.first)
    )


def read_patients(connection: sa.Connection, ids: list[str] | None = None) -> pd.DataFrame:
    query = _latest(schema.patients, ["patient_id"])
    if ids is not None:
        query = query.where(schema.patients.c.patient_id.in_(ids))
    rows = connection.execute(query).mappings().all()
    frame = pd.DataFrame(
        {
            "patient_id": pd.Series([r["patient_id"] for r in rows], dtype=object),
            **{
                c: pd.Series([r[c] for r in rows], dtype=object)
                for c in ("name", "bed", "indication", "protocol")
            },
            **{
                c: pd.Series([r[c] for r in rows], dtype=float)
                for c in ("baseline_weight_kg", "baseline_creatinine_mg_dl", "target_sbp_mmhg")
            },
            "source": pd.Series([r["source"] for r in rows], dtype=object),
            "source_row": pd.Series([r["source_row"] for r in rows], dtype="int64"),
        }
    )
    return frame[PATIENT_COLUMNS]


def read_doses(connection: sa.Connection, ids: list[str] | None = None) -> pd.DataFrame:
    query = _latest(schema.doses, DOSE_KEY)
    if ids is not None:
        query = query.where(schema.doses.c.patient_id.in_(ids))
    rows = connection.execute(query).mappings().all()
    frame = pd.DataFrame(
        {
            "patient_id": pd.Series([r["patient_id"] for r in rows], dtype=object),
            "cycle": pd.Series([r["cycle"] for r in rows], dtype="int64"),
            "dose_number": pd.Series([r["dose_number"] for r in rows], dtype="int64"),
            "scheduled_time": from_ns([r["scheduled_time_ns"] for r in rows]),
            "status": pd.Series([r["status"] for r in rows], dtype=object),
            "administered_time": from_ns([r["administered_time_ns"] for r in rows]),
            "dose_iu_per_kg": pd.Series([r["dose_iu_per_kg"] for r in rows], dtype=float),
            "reason": pd.Series([r["reason"] for r in rows], dtype=object),
            "source": pd.Series([r["source"] for r in rows], dtype=object),
            "source_row": pd.Series([r["source_row"] for r in rows], dtype="int64"),
        }
    )
    return frame[DOSE_COLUMNS]


def read_observations(connection: sa.Connection) -> pd.DataFrame:
    """Every stored reading, in the order written, as the loader's frame: the same dtypes,
    and categories as the loader makes them (canonical units sorted, the typed texts in the
    order first read)."""
    table = batches.read_batches(connection)
    frame = pd.DataFrame(
        {
            "patient_id": pd.Series(batches.texts(table["patient_id"]), dtype=object),
            "time": from_ns(table["time_ns"].to_numpy()),
            "parameter": pd.Series(batches.texts(table["parameter"]), dtype=object),
            "value": pd.Series(table["value"].to_numpy(), dtype=float),
            "code": pd.Series(batches.texts(table["code"]), dtype=object),
            "unit": _categorical(table["unit"], order="sorted"),
            **{
                c: _categorical(table[c], order="first read")
                for c in CATEGORICAL_OBSERVATION_COLUMNS[1:]
            },
            "source_row": table["source_row"].to_numpy().astype("int64"),
        }
    )
    return frame[OBSERVATION_COLUMNS]


def _categorical(column, *, order: str) -> pd.Categorical:
    """A dictionary column as a Categorical of the texts present, in ``order``."""
    codes, categories = batches.text_codes(column)
    present = codes >= 0
    used = pd.unique(codes[present])  # in the order first read
    if order == "sorted":
        used = used[np.argsort(categories[used].astype(str), kind="stable")]
    mapping = np.full(len(categories), -1, dtype=np.int64)
    mapping[used] = np.arange(len(used))
    return pd.Categorical.from_codes(
        np.where(present, mapping[np.where(present, codes, 0)], -1),
        categories=np.asarray(categories[used], dtype=object),
    )


def read_report(connection: sa.Connection) -> ImportReport:
    """The report of the newest import that wrote (or found nothing new): its refused rows
    keep their patients INCOMPLETE, as they would when the same files are evaluated."""
    latest = (
        connection.execute(
            sa.select(schema.imports)
            .where(schema.imports.c.outcome.in_(("imported", "nothing_new")))
            .order_by(schema.imports.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    files = connection.execute(
        sa.select(schema.import_files.c.name).distinct().order_by(schema.import_files.c.name)
    ).scalars()
    report = ImportReport(files=list(files))
    if latest is None:
        return report
    report.notices = list(latest["notices"])
    problems = connection.execute(
        sa.select(schema.import_problems)
        .where(schema.import_problems.c.import_id == latest["id"])
        .order_by(schema.import_problems.c.id)
    ).mappings()
    report.problems = [
        Problem(
            file=p["file"],
            row=p["row"],
            column=p["column_name"],
            reason=p["reason"],
            row_kind=p["row_kind"],
        )
        for p in problems
    ]
    refused = connection.execute(
        sa.select(
            schema.import_refused_rows.c.table_name,
            schema.import_refused_rows.c.patient_id,
            schema.import_refused_rows.c.source_row,
        )
        .where(schema.import_refused_rows.c.import_id == latest["id"])
        .order_by(schema.import_refused_rows.c.id)
    ).all()
    if refused:
        report.refused_rows = pd.DataFrame(
            {
                "patient_id": pd.Series([r[1] for r in refused], dtype=object),
                "source_row": pd.Series([r[2] for r in refused], dtype="Int64"),
                "table": [r[0] for r in refused],
            }
        )
    return report


# --------------------------------------------------------------------------- dose record


def read_dose_events(connection: sa.Connection, ids: list[str] | None = None) -> list[dict]:
    """Every recorded dose event (of ``ids``), in the order recorded."""
    query = sa.select(schema.dose_events).order_by(schema.dose_events.c.id)
    if ids is not None:
        query = query.where(schema.dose_events.c.patient_id.in_(ids))
    return [dict(row) for row in connection.execute(query).mappings()]


def apply_dose_events(doses: pd.DataFrame, events: list) -> pd.DataFrame:
    """The doses table as the ward's record says now: each dose's latest event that no
    later event corrects replaces what the files said about it (the schedule's rules in
    dashboard/schedule.py then decide the next dose exactly as for a charted dose).

    given: status given at its time; held: status held with its reason (decided from its
    scheduled time, as a charted hold is); delayed: still scheduled, at the time it is
    delayed until. A dose the files never listed is added, so an event is never dropped.
    ``events``: rows or DoseEvent objects (anything with the dose_events columns).
    """
    rows = [e if isinstance(e, dict) else vars(e) for e in events]
    if not rows:
        return doses
    corrected = {r["corrects"] for r in rows if r["corrects"] is not None}
    latest: dict[tuple[str, int, int], dict] = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        if row["id"] not in corrected:
            latest[(str(row["patient_id"]), int(row["cycle"]), int(row["dose_number"]))] = row
    frame = doses.copy()
    keys = list(
        zip(
            frame["patient_id"].astype(str),
            frame["cycle"].astype(int),
            frame["dose_number"].astype(int),
            strict=True,
        )
    )
    position = {key: i for i, key in enumerate(keys)}
    added = []
    for key, event in latest.items():
        at = pd.Timestamp(event["at"]).tz_convert("UTC") if event["at"] is not None else pd.NaT
        if key in position:
            i = frame.index[position[key]]
        else:
            added.append(
                {
                    "patient_id": key[0],
                    "cycle": key[1],
                    "dose_number": key[2],
                    "scheduled_time": at
                    if at is not pd.NaT
                    else pd.Timestamp(event["recorded_at"]).tz_convert("UTC"),
                    "dose_iu_per_kg": np.nan,
                    **_event_columns(event, at),
                }
            )
            continue
        for column, value in _event_columns(event, at).items():
            frame.at[i, column] = value
        if event["kind"] == "delayed":
            frame.at[i, "scheduled_time"] = at
    if added:
        extra = pd.DataFrame(added)
        extra = extra.astype({c: frame[c].dtype for c in extra.columns if c in frame})
        frame = pd.concat([frame, extra[frame.columns]], ignore_index=True)
    return frame


def _event_columns(event: dict, at) -> dict:
    kind = event["kind"]
    reason: str | None
    if kind == "given" and event.get("override_by"):
        reason = f"given on override by {event['override_by']}: {event['override_reason']}"
    elif kind == "held":
        reason = event["reason"]
    elif kind == "delayed":
        reason = f"delayed: {event['reason']}" if event["reason"] else None
    else:
        reason = None
    return {
        "status": "given" if kind == "given" else "held" if kind == "held" else "scheduled",
        "administered_time": at if kind == "given" else pd.NaT,
        "reason": reason,
        "source": f"dose record #{event['id']} by {event['who']}",
        "source_row": int(event["id"]),
    }


def read_ward(connection: sa.Connection) -> WardData:
    return WardData(
        patients=read_patients(connection),
        doses=apply_dose_events(read_doses(connection), read_dose_events(connection)),
        observations=read_observations(connection),
        report=read_report(connection),
    )
