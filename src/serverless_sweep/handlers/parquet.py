"""Parquet encoding of shard rows, with the generated Arrow schemas as the only schema source.

Files are zstd-compressed, one row group, no wall-clock metadata: the same rows always give the
same bytes (the `compute_ms` column is the only value that differs between two runs of a shard).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from serverless_sweep.contracts.generated.v1.arrow_schemas import (
    SHARD_ERRORS_SCHEMA,
    shard_metrics_schema,
)


def encode_table(table: pa.Table) -> bytes:
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
    schema = shard_metrics_schema(model)
    columns = {name: [row[name] for row in rows] for name in schema.names}
    return encode_table(pa.Table.from_pydict(columns, schema=schema))


def errors_parquet(row: Mapping[str, Any]) -> bytes:
    """One failed attempt's shard_errors file (a single row)."""
    columns = {name: [row[name]] for name in SHARD_ERRORS_SCHEMA.names}
    return encode_table(pa.Table.from_pydict(columns, schema=SHARD_ERRORS_SCHEMA))
