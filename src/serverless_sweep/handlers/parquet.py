"""Parquet encoding of shard rows, with the generated Arrow schemas as the only schema source.

Files are zstd-compressed, one row group, no wall-clock metadata: the same rows always give the
same bytes (the `compute_ms` column is the only value that differs between two runs of a shard).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

# pyarrow is imported where it is used: the slim parent artifact (no pyarrow) imports this module
# for the checksum checks of `handlers.verify`.


def encode_table(table: pa.Table) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        compression="zstd",
        row_group_size=max(table.num_rows, 1),
        write_statistics=True,
        use_dictionary=True,
    )
    return bytes(sink.getvalue().to_pybytes())


def metrics_parquet(model: str, rows: Sequence[Mapping[str, Any]]) -> bytes:
    """One shard's shard_metrics file; rows must carry every column of the model's schema."""
    import pyarrow as pa

    from serverless_sweep.models.columns import metrics_schema

    schema = metrics_schema(model)  # generated for built-in models, the spec of a plug-in
    columns = {name: [row[name] for row in rows] for name in schema.names}
    return encode_table(pa.Table.from_pydict(columns, schema=schema))


def errors_parquet(row: Mapping[str, Any]) -> bytes:
    """One failed attempt's shard_errors file (a single row)."""
    import pyarrow as pa

    from serverless_sweep.contracts.generated.v1.arrow_schemas import SHARD_ERRORS_SCHEMA

    columns = {name: [row[name]] for name in SHARD_ERRORS_SCHEMA.names}
    return encode_table(pa.Table.from_pydict(columns, schema=SHARD_ERRORS_SCHEMA))


PARQUET_MAGIC = b"PAR1"


def sha256_hex(data: bytes) -> str:
    """The checksum an envelope records for an object it commits (lowercase hex SHA-256)."""
    return hashlib.sha256(data).hexdigest()


def parquet_problem(data: bytes | None, *, expected_rows: int | None = None) -> str | None:
    """Why `data` is not a whole, readable Parquet file (of `expected_rows` rows), or None.

    Checks the magic bytes at both ends (a truncated upload or a cut write fails here, which is
    what DuckDB reports as "No magic bytes found"), then decodes every page, so a file that
    passes never breaks a query. Used for files no checksum vouches for: files of envelopes
    written before checksums, and an earlier delivery's file a retry wants to adopt.
    """
    if data is None:
        return "is missing"
    if len(data) < 2 * len(PARQUET_MAGIC) + 4:
        return f"is truncated ({len(data)} bytes, not a Parquet file)"
    if not data.startswith(PARQUET_MAGIC) or not data.endswith(PARQUET_MAGIC):
        return f"is truncated or not Parquet ({len(data)} bytes, no PAR1 magic bytes at both ends)"
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # the slim parent: no decoder here; the magic bytes were checked
        return None
    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as exc:  # pyarrow raises several types for damaged files
        return f"cannot be decoded as Parquet ({' '.join(str(exc).split())[:200]})"
    if expected_rows is not None and table.num_rows != expected_rows:
        return f"holds {table.num_rows} rows where {expected_rows} were committed"
    return None


def committed_object_problem(
    data: bytes | None, *, size: int | None, sha256: str | None, expected_rows: int | None = None
) -> str | None:
    """Why a committed object no longer matches what its envelope recorded, or None.

    With a recorded size and checksum the bytes must match them exactly (cheap, and catches a
    flipped bit that still decodes); without (older envelopes) the file must decode as Parquet.
    """
    if data is None:
        return "is missing"
    if size is not None and len(data) != size:
        return f"has {len(data)} bytes where its envelope committed {size} (truncated or replaced)"
    if sha256 is not None:
        if sha256_hex(data) != sha256:
            return "does not match the SHA-256 its envelope committed (corrupt or replaced)"
        return None
    return parquet_problem(data, expected_rows=expected_rows)
