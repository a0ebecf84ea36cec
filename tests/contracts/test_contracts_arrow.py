"""The generated Arrow schemas equal the column specs."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from serverless_sweep.contracts.generated.v1 import arrow_schemas as gen

ARROW_TYPES = {
    "boolean": pa.bool_(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "timestamp_ms": pa.timestamp("ms", tz="UTC"),
    "date": pa.date32(),
}


def assert_fields_match(fields: list[pa.Field], columns: list[dict[str, Any]]) -> None:
    assert [f.name for f in fields] == [c["name"] for c in columns]
    for field, column in zip(fields, columns, strict=True):
        assert field.type == ARROW_TYPES[column["type"]], field.name
        assert field.nullable is column["nullable"], field.name
        metadata = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
        expected = {"description": column["description"]}
        if column["unit"] is not None:
            expected["unit"] = column["unit"]
        assert metadata == expected, field.name


def test_column_specs_are_the_sources(column_specs: dict[str, dict[str, Any]]) -> None:
    assert column_specs == gen.COLUMN_SPECS
    assert list(gen.COLUMN_SPECS) == sorted(gen.COLUMN_SPECS)


def test_shard_errors_schema(column_specs: dict[str, dict[str, Any]]) -> None:
    assert_fields_match(
        list(gen.SHARD_ERRORS_SCHEMA), column_specs["datasets/shard_errors"]["columns"]
    )
    assert list(gen.SHARD_ERRORS_SCHEMA) == gen.SHARD_ERRORS_FIELDS


def test_common_and_model_fields(column_specs: dict[str, dict[str, Any]]) -> None:
    assert_fields_match(
        gen.SHARD_METRICS_COMMON_FIELDS, column_specs["datasets/shard_metrics"]["columns"]
    )
    models = sorted(n.split("/")[1] for n in column_specs if n.startswith("models/"))
    assert list(gen.MODEL_FIELDS) == models
    assert tuple(models) == gen.MODELS
    for model in models:
        assert_fields_match(
            gen.MODEL_FIELDS[model], column_specs[f"models/{model}/columns"]["columns"]
        )


@pytest.mark.parametrize("model", ["ride_hailing", "legacy_hash"])
def test_shard_metrics_schema_is_common_then_model(
    model: str, column_specs: dict[str, dict[str, Any]]
) -> None:
    schema = gen.shard_metrics_schema(model)
    columns = (
        column_specs["datasets/shard_metrics"]["columns"]
        + column_specs[f"models/{model}/columns"]["columns"]
    )
    assert_fields_match(list(schema), columns)


def test_unknown_model_raises_key_error() -> None:
    with pytest.raises(KeyError, match="no_such_model"):
        gen.shard_metrics_schema("no_such_model")


def test_union_schema(column_specs: dict[str, dict[str, Any]]) -> None:
    union = gen.SHARD_METRICS_UNION_SCHEMA
    common = column_specs["datasets/shard_metrics"]["columns"]
    expected: dict[str, dict[str, Any]] = {c["name"]: c for c in common}
    for model in gen.MODELS:
        for column in column_specs[f"models/{model}/columns"]["columns"]:
            if column["name"] in expected:
                assert expected[column["name"]]["type"] == column["type"]
            else:
                expected[column["name"]] = column
    assert union.names == list(expected)
    assert len(set(union.names)) == len(union.names)
    for field in union:
        assert field.type == ARROW_TYPES[expected[field.name]["type"]]
    for field, column in zip(union, common, strict=False):
        assert field.nullable is column["nullable"]
    # Model columns are null in other models' rows.
    model_fields = list(union)[len(common) :]
    assert all(f.nullable for f in model_fields)
    for model in gen.MODELS:
        model_schema = gen.shard_metrics_schema(model)
        for field in model_schema:
            assert union.field(field.name).type == field.type


def test_no_field_is_named_like_a_partition_key() -> None:
    assert gen.PARTITION_KEYS == ("dataset", "run_date", "run_id", "status")
    names = set(gen.SHARD_METRICS_UNION_SCHEMA.names) | set(gen.SHARD_ERRORS_SCHEMA.names)
    assert not names & set(gen.PARTITION_KEYS)


def test_parquet_round_trip_keeps_types_and_metadata() -> None:
    schema = gen.shard_metrics_schema("legacy_hash")
    row = {
        "shard_id": 0,
        "point_index": 1,
        "point_seed": 2,
        "model": "legacy_hash",
        "attempt": 1,
        "compute_ms": 0.5,
        "parameters_json": "{}",
        "completed_rides": 10,
        "abandoned_rides": 0,
        "platform_revenue_cents": 5000,
    }
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([row], schema=schema), buffer)
    buffer.seek(0)
    read = pq.read_table(buffer)
    assert read.schema.equals(schema, check_metadata=True)
    assert read.to_pylist() == [row]
