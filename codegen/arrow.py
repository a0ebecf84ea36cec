"""`arrow_schemas.py`: pyarrow schemas of the Parquet datasets, from the column specs."""

from __future__ import annotations

from typing import Any

from codegen._common import GENERATED_DIR, PARTITION_KEYS, python_header
from codegen.columns import Column, ColumnSets
from codegen.pyformat import py_literal, ruff_format

ARROW_TYPES: dict[str, str] = {
    "boolean": "pa.bool_()",
    "int32": "pa.int32()",
    "int64": "pa.int64()",
    "float64": "pa.float64()",
    "string": "pa.string()",
    "timestamp_ms": 'pa.timestamp("ms", tz="UTC")',
    "date": "pa.date32()",
}


def field_metadata(column: Column) -> dict[str, str]:
    metadata = {"description": column.description}
    if column.unit is not None:
        metadata["unit"] = column.unit
    return metadata


def _field(column: Column) -> str:
    return (
        f"pa.field({column.name!r}, {ARROW_TYPES[column.type]}, "
        f"nullable={column.nullable!r}, metadata={py_literal(field_metadata(column))})"
    )


def _fields(columns: list[Column]) -> str:
    return "[\n" + "".join(f"    {_field(c)},\n" for c in columns) + "]"


def render(sets: ColumnSets, version: str) -> str:
    sources = sorted(f"schemas/{version}/{name}.json" for name in sets.specs)
    specs: dict[str, Any] = {name: sets.specs[name] for name in sorted(sets.specs)}
    model_fields = (
        "{\n" + "".join(f"    {m!r}: {_fields(cols)},\n" for m, cols in sets.models.items()) + "}"
    )
    detail_schemas = "".join(
        f"\n{name.upper()}_SCHEMA: Final[pa.Schema] = pa.schema({_fields(cols)})\n"
        for name, cols in sets.details.items()
    )
    detail_map = "{\n" + "".join(f"    {n!r}: {n.upper()}_SCHEMA,\n" for n in sets.details) + "}"
    code = f'''{python_header(", ".join(sources))}
"""Arrow schemas of the Parquet datasets, generated from the column specs of schemas/{version}.

Field metadata carries each column's `description` and, when it has one, its `unit`. Partition
keys ({", ".join(PARTITION_KEYS)}) are path segments, never columns.
shard_metrics files of a model hold `shard_metrics_schema(model)`: the common leading columns,
then the model's own columns. The Athena table reads `SHARD_METRICS_UNION_SCHEMA` (the common
columns, then every model's columns in model-name order, deduplicated by name) by column name.
"""

from __future__ import annotations

from typing import Any, Final

import pyarrow as pa

from serverless_sweep.contracts.generated.{version}.constants import MODELS as MODELS

PARTITION_KEYS: Final[tuple[str, ...]] = {py_literal(PARTITION_KEYS)}

# The column specs as plain data: schema name -> spec (dataset, description, columns).
COLUMN_SPECS: Final[dict[str, dict[str, Any]]] = {py_literal(specs)}

SHARD_ERRORS_FIELDS: Final[list[pa.Field]] = {_fields(sets.errors)}

SHARD_ERRORS_SCHEMA: Final[pa.Schema] = pa.schema(SHARD_ERRORS_FIELDS)

SHARD_METRICS_COMMON_FIELDS: Final[list[pa.Field]] = {_fields(sets.common)}

# Model name -> the columns the model appends to shard_metrics rows, in file order.
MODEL_FIELDS: Final[dict[str, list[pa.Field]]] = {model_fields}

SHARD_METRICS_UNION_SCHEMA: Final[pa.Schema] = pa.schema({_fields(sets.union)})
{detail_schemas}
# The other datasets (schemas/{version}/datasets/<name>.json): dataset name -> schema.
DATASET_SCHEMAS: Final[dict[str, pa.Schema]] = {detail_map}

_SHARD_METRICS_SCHEMAS: Final[dict[str, pa.Schema]] = {{
    model: pa.schema([*SHARD_METRICS_COMMON_FIELDS, *fields])
    for model, fields in MODEL_FIELDS.items()
}}


def shard_metrics_schema(model: str) -> pa.Schema:
    """Schema of one model's shard_metrics files: the common columns, then the model's."""
    try:
        return _SHARD_METRICS_SCHEMAS[model]
    except KeyError:
        known = ", ".join(MODELS)
        message = f"no shard_metrics columns for model {{model!r}} (known: {{known}})"
        raise KeyError(message) from None
'''
    return ruff_format(code)


def generate(sets: ColumnSets, version: str) -> dict[str, str]:
    return {f"{GENERATED_DIR}/{version}/arrow_schemas.py": render(sets, version)}
