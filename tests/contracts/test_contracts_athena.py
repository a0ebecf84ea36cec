"""The Athena DDL templates: columns, partitions, projection, placeholders."""

from __future__ import annotations

import re
from string import Template
from typing import Any

import pytest

from codegen._common import REPO_ROOT
from codegen.athena import json_schema_to_athena
from serverless_sweep.contracts.generated.v1 import arrow_schemas as gen

DDL_DIR = REPO_ROOT / "infra/athena/ddl"
PLACEHOLDERS = {"database": "sweeps_db", "bucket": "results-bucket", "prefix": "serverless-sweeps"}
ATHENA_TYPES = {
    "boolean": "boolean",
    "int32": "int",
    "int64": "bigint",
    "float64": "double",
    "string": "string",
    "timestamp_ms": "timestamp",
    "date": "date",
}
COLUMN = re.compile(r"^  `(?P<name>[a-z_0-9]+)`\s+(?P<type>\S+) COMMENT '")
PROPERTY = re.compile(r"^  '(?P<key>[^']+)' = '(?P<value>[^']*)'")


def raw(dataset: str) -> str:
    return (DDL_DIR / f"{dataset}.sql").read_text(encoding="utf-8")


def rendered(dataset: str) -> str:
    """As Terraform's templatefile() (or string.Template) renders it."""
    return Template(raw(dataset)).substitute(PLACEHOLDERS)


def parse(dataset: str) -> dict[str, Any]:
    text = rendered(dataset)
    statement = text[text.index("CREATE EXTERNAL TABLE") :]
    columns_block = statement[: statement.index("\n)\n")]
    partitions_block = statement[
        statement.index("PARTITIONED BY (") : statement.index(
            "\n)\n", statement.index("PARTITIONED BY (")
        )
    ]
    properties_block = statement[statement.index("TBLPROPERTIES (") :]
    return {
        "statement": statement,
        "columns": [
            (m["name"], m["type"])
            for line in columns_block.splitlines()
            if (m := COLUMN.match(line))
        ],
        "partitions": [
            (m["name"], m["type"])
            for line in partitions_block.splitlines()
            if (m := COLUMN.match(line))
        ],
        "properties": dict(
            (m["key"], m["value"])
            for line in properties_block.splitlines()
            if (m := PROPERTY.match(line))
        ),
    }


@pytest.mark.parametrize("dataset", ["shard_metrics", "shard_errors", "shard_outcomes"])
def test_template_placeholders(dataset: str) -> None:
    text = raw(dataset)
    assert "%{" not in text
    for match in re.finditer(r"\$+\{(\w+)\}", text):
        dollars = match.group(0).index("{")
        if dollars == 1:
            assert match.group(1) in PLACEHOLDERS, match.group(0)
        else:
            assert dollars == 2 and match.group(1) in ("run_date", "run_id", "status")
    for name in PLACEHOLDERS:
        assert f"${{{name}}}" in text.split("CREATE EXTERNAL TABLE")[0], "documented in header"
    out = rendered(dataset)
    assert out.startswith("-- GENERATED FILE - DO NOT EDIT.")
    assert f"CREATE EXTERNAL TABLE IF NOT EXISTS `sweeps_db`.`{dataset}` (" in out


@pytest.mark.parametrize(
    ("dataset", "statuses"),
    [
        ("shard_metrics", "success"),
        ("shard_errors", "failure"),
        ("shard_outcomes", "success,failure"),
    ],
)
def test_partitions_and_projection(dataset: str, statuses: str) -> None:
    table = parse(dataset)
    assert table["partitions"] == [
        ("run_date", "string"),
        ("run_id", "string"),
        ("status", "string"),
    ]
    location = f"s3://results-bucket/serverless-sweeps/dataset={dataset}/"
    assert f"LOCATION '{location}'" in table["statement"]
    assert table["properties"] == {
        "projection.enabled": "true",
        "projection.run_date.type": "date",
        "projection.run_date.format": "yyyy-MM-dd",
        "projection.run_date.range": "2024-01-01,NOW",
        "projection.run_date.interval": "1",
        "projection.run_date.interval.unit": "DAYS",
        "projection.run_id.type": "injected",
        "projection.status.type": "enum",
        "projection.status.values": statuses,
        "storage.location.template": (
            location + "run_date=${run_date}/run_id=${run_id}/status=${status}/"
        ),
    }
    names = [name for name, _ in table["columns"]]
    assert len(names) == len(set(names))
    assert not set(names) & {"dataset", "run_date", "run_id", "status"}
    assert table["statement"].rstrip().endswith(");")


def test_metrics_table_is_the_union_schema() -> None:
    table = parse("shard_metrics")
    assert "STORED AS PARQUET" in table["statement"]
    expected = [(field.name, _athena_type(field.name)) for field in gen.SHARD_METRICS_UNION_SCHEMA]
    assert table["columns"] == expected


def test_errors_table_is_the_errors_schema() -> None:
    table = parse("shard_errors")
    assert "STORED AS PARQUET" in table["statement"]
    spec = gen.COLUMN_SPECS["datasets/shard_errors"]["columns"]
    assert table["columns"] == [(c["name"], ATHENA_TYPES[c["type"]]) for c in spec]


def _athena_type(name: str) -> str:
    for spec in gen.COLUMN_SPECS.values():
        for column in spec["columns"]:
            if column["name"] == name:
                return ATHENA_TYPES[column["type"]]
    raise KeyError(name)


def test_outcomes_table_covers_both_envelopes(json_schemas: dict[str, dict[str, Any]]) -> None:
    table = parse("shard_outcomes")
    statement = table["statement"]
    assert "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'" in statement
    outcome = json_schemas["shard_outcome"]
    keys = {
        key
        for branch in ("SuccessOutcome", "FailureOutcome")
        for key in outcome["$defs"][branch]["properties"]
    }
    renamed = {k: f"envelope_{k}" for k in keys & {"run_id", "status", "run_date", "dataset"}}
    columns = dict(table["columns"])
    assert set(columns) == {renamed.get(k, k) for k in keys}
    for key, column in renamed.items():
        assert f"'mapping.{column}' = '{key}'" in statement
    assert columns["shard_id"] == "bigint"
    assert columns["duration_ms"] == "double"
    assert columns["output_metadata"].startswith("struct<format:string,points_processed:bigint")
    assert "metrics:map<string,string>" in columns["output_metadata"]


def test_comments_are_escaped() -> None:
    text = raw("shard_metrics")
    assert "COMMENT 'Seed of the point\\'s random streams" in text
    assert "Unit: ms." in text


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"type": "string"}, "string"),
        ({"type": ["string", "null"]}, "string"),
        ({"type": "integer"}, "bigint"),
        ({"type": "number"}, "double"),
        ({"type": "boolean"}, "boolean"),
        ({"type": "array", "items": {"type": "integer"}}, "array<bigint>"),
        ({"type": "object"}, "map<string,string>"),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "integer"}},
                "additionalProperties": True,
            },
            "map<string,string>",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}},
            "struct<a:bigint,b:string>",
        ),
        ({"$ref": "#/$defs/X"}, "double"),
    ],
)
def test_json_schema_type_mapping(node: dict[str, Any], expected: str) -> None:
    assert json_schema_to_athena(node, {"$defs": {"X": {"type": "number"}}}) == expected


def test_ambiguous_types_are_refused() -> None:
    with pytest.raises(ValueError):
        json_schema_to_athena({"type": ["string", "integer"]}, {})
