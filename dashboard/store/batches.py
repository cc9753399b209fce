"""Observation batches: how the store keeps readings.

Every write of readings (one import, one bedside entry) is one or more append-only batch
rows: the canonical columns of those readings as an Apache Arrow IPC stream, compressed
with zstd, with its row count and SHA-256 digest. Why not one database row per reading:
a million readings cost 5-6 s to insert row by row (SQLite's executemany, PostgreSQL's
COPY, either with the patient/time index) and 6 s to read back on SQLite, against 0.1-0.4 s
for a batch each way (benchmarks/bench_store.py). An import is already an immutable
document (its files' digests are kept); a batch is the validated form of that document.
Arrow IPC is an open, versioned format read by pyarrow, DuckDB, polars and R, so the record
stays readable without this code; ``il2-monitor db export-observations`` writes it as CSV.

Exactness: times are int64 nanoseconds and values float64, so a batch gives back every
reading to the nanosecond and the last bit. A batch whose digest does not match, or whose
columns are not the ones this code writes, is refused (StoreError), never skipped.

Records written before batches (revisions 0001-0002) kept one row per reading in the
``observations`` table. Those rows are read first (they are older than every batch), so a
record written by either version reads back whole.
"""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import sqlalchemy as sa

from dashboard.instants import as_ns
from dashboard.store import schema
from dashboard.store.database import StoreError

#: The payload's format: what a reader checks before it decodes a batch.
BATCH_FORMAT = "arrow-ipc-stream+zstd/1"
#: Readings per batch row: a large import is split, so no single value nears the 1 GB
#: limit of a SQLite blob or a PostgreSQL bytea (a million readings are about 12 MB).
BATCH_ROWS = 1_000_000

_TEXT = pa.dictionary(pa.int32(), pa.string())
#: The columns of a batch: the canonical observation columns, times as nanoseconds.
BATCH_SCHEMA = pa.schema(
    [
        ("patient_id", _TEXT),
        ("time_ns", pa.int64()),
        ("parameter", _TEXT),
        ("value", pa.float64()),
        ("code", _TEXT),
        ("unit", _TEXT),
        ("recorded_value", _TEXT),
        ("recorded_unit", _TEXT),
        ("source", _TEXT),
        ("source_row", pa.int64()),
    ]
)
#: Who wrote a reading: its import, or the person who entered it at the bedside.
ORIGIN_COLUMNS = ["import_id", "entered_by"]
#: No reading at all, with the columns read_batches gives.
EMPTY = (
    BATCH_SCHEMA.append(pa.field("import_id", pa.int64()))
    .append(pa.field("entered_by", pa.string()))
    .empty_table()
)


# --------------------------------------------------------------------------- writing


def _text(series: pd.Series) -> pa.DictionaryArray:
    """A text column as a dictionary array; a missing value (None, NaN) is null."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int32)
        categories = [str(c) for c in series.cat.categories]
    else:
        codes_, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
        codes = codes_.astype(np.int32)
        categories = [str(v) for v in uniques]
    missing = codes < 0
    indices = pa.array(codes, type=pa.int32(), mask=missing if missing.any() else None)
    return pa.DictionaryArray.from_arrays(indices, pa.array(categories, type=pa.string()))


def batch_table(frame: pd.DataFrame) -> pa.Table:
    """Canonical observation rows (dashboard.tables.OBSERVATION_COLUMNS) as a batch."""
    return pa.Table.from_arrays(
        [
            _text(frame["patient_id"]),
            pa.array(as_ns(frame["time"]), type=pa.int64()),
            _text(frame["parameter"]),
            # from numpy as it is: a categorical row's NaN stays NaN, bit for bit
            pa.array(frame["value"].astype(float).to_numpy(), type=pa.float64()),
            _text(frame["code"]),
            _text(frame["unit"]),
            _text(frame["recorded_value"]),
            _text(frame["recorded_unit"]),
            _text(frame["source"]),
            pa.array(frame["source_row"].astype("int64").to_numpy(), type=pa.int64()),
        ],
        schema=BATCH_SCHEMA,
    )


def _encode(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    options = ipc.IpcWriteOptions(compression="zstd")
    with ipc.new_stream(sink, BATCH_SCHEMA, options=options) as writer:
        writer.write_table(table, max_chunksize=1 << 17)
    return sink.getvalue()


def write_batches(
    connection: sa.Connection,
    table: pa.Table,
    *,
    import_id: int | None,
    entered_by: str | None,
) -> int:
    """Write ``table`` (a batch_table) as batch rows of one import or one bedside entry;
    returns how many readings were written."""
    if (import_id is None) == (entered_by is None):
        raise ValueError("a batch comes from one import or one person's entry")
    for start in range(0, table.num_rows, BATCH_ROWS):
        part = table.slice(start, BATCH_ROWS)
        payload = _encode(part)
        connection.execute(
            sa.insert(schema.observation_batches).values(
                import_id=import_id,
                entered_by=entered_by,
                rows=part.num_rows,
                format=BATCH_FORMAT,
                sha256=hashlib.sha256(payload).hexdigest(),
                payload=payload,
            )
        )
    return table.num_rows


# --------------------------------------------------------------------------- reading


def _decode(row) -> pa.Table:
    where = f"observation batch {row.id}"
    if row.format != BATCH_FORMAT:
        raise StoreError(
            f"{where} is in the format '{row.format}', which this version of the monitor "
            f"does not read (it reads {BATCH_FORMAT}): it was written by a newer monitor"
        )
    payload = bytes(row.payload)
    if hashlib.sha256(payload).hexdigest() != row.sha256:
        raise StoreError(
            f"{where} is damaged: its SHA-256 digest does not match the one recorded with "
            "it. The ward's record cannot be read whole; restore the database from a backup."
        )
    try:
        table = ipc.open_stream(payload).read_all()
    except (pa.ArrowInvalid, OSError) as error:
        raise StoreError(f"{where} cannot be decoded: {error}") from None
    if not table.schema.equals(BATCH_SCHEMA) or table.num_rows != row.rows:
        raise StoreError(
            f"{where} does not hold the columns and row count recorded with it: the ward's "
            "record cannot be read whole"
        )
    return table


def _with_origin(table: pa.Table, import_ids: pa.Array, entered_by: pa.Array) -> pa.Table:
    return table.append_column("import_id", import_ids).append_column("entered_by", entered_by)


def _legacy_rows(connection: sa.Connection) -> pa.Table:
    """Readings of a record written before batches: one database row each, in id order."""
    table = schema.observations
    columns = [*BATCH_SCHEMA.names, *ORIGIN_COLUMNS]
    rows = connection.execute(
        sa.select(*(table.c[c] for c in columns)).order_by(table.c.id)
    ).fetchall()
    values = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
    arrays = []
    for field in BATCH_SCHEMA:
        column = values[field.name]
        if field.type == _TEXT:
            arrays.append(_text(pd.Series(column, dtype=object)))
        elif field.name == "value":  # SQLite kept a categorical row's NaN as NULL
            arrays.append(pa.array([np.nan if v is None else v for v in column], pa.float64()))
        else:
            arrays.append(pa.array(column, field.type))
    return _with_origin(
        pa.Table.from_arrays(arrays, schema=BATCH_SCHEMA),
        pa.array(values["import_id"], pa.int64()),
        pa.array(values["entered_by"], pa.string()),
    )


def read_batches(connection: sa.Connection) -> pa.Table:
    """Every stored reading in the order written, with its origin (import_id, entered_by)."""
    parts = [_legacy_rows(connection)]
    batches = schema.observation_batches
    for row in connection.execute(sa.select(batches).order_by(batches.c.id)):
        table = _decode(row)
        parts.append(
            _with_origin(
                table,
                pa.array([row.import_id] * table.num_rows, pa.int64()),
                pa.array([row.entered_by] * table.num_rows, pa.string()),
            )
        )
    return pa.concat_tables(parts).unify_dictionaries().combine_chunks()


def text_codes(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, categories as a numpy object array) of a combined dictionary column;
    code -1 for a missing value."""
    array = column.combine_chunks()
    codes = array.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    categories = np.array(array.dictionary.to_pylist(), dtype=object)
    return codes, categories


def texts(column: pa.ChunkedArray) -> np.ndarray:
    """A dictionary column as Python strings (None where missing), fast: each distinct
    text is made once, then picked by code."""
    codes, categories = text_codes(column)
    out = np.empty(len(codes), dtype=object)
    present = codes >= 0
    out[present] = categories[codes[present]]
    out[~present] = None
    return out


def readings(connection: sa.Connection) -> pd.DataFrame:
    """Every stored reading as plain columns, in the order written, with where it came
    from: what ``db export-observations`` writes, for anyone auditing the record without
    this code. Times are UTC; ``value`` is the canonical number or the code."""
    table = read_batches(connection)
    times = pd.to_datetime(table["time_ns"].to_numpy(), unit="ns", utc=True)
    numbers = table["value"].to_numpy()
    codes = texts(table["code"])
    return pd.DataFrame(
        {
            "patient_id": texts(table["patient_id"]),
            "time": times.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
            "parameter": texts(table["parameter"]),
            "value": np.where(pd.isna(codes), pd.Series(numbers).map(repr), codes),
            "unit": texts(table["unit"]),
            "recorded_value": texts(table["recorded_value"]),
            "recorded_unit": texts(table["recorded_unit"]),
            "source": texts(table["source"]),
            "source_row": table["source_row"].to_numpy(),
            "import_id": pd.array(table["import_id"].to_pylist(), dtype="Int64"),
            "entered_by": table["entered_by"].to_pylist(),
        }
    )
