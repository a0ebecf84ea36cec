"""Athena DDL (infra/athena/ddl/*.sql) for the queryable datasets.

Each file is a template for Terraform's `templatefile()` (and Python's `string.Template`): the
placeholders `${database}`, `${bucket}` and `${prefix}` are substituted by the deployer, and the
`${run_date}`, `${run_id}` and `${status}` that Athena's `storage.location.template` needs are
written escaped as `$${...}` so that the rendering leaves them to Athena.
"""

from __future__ import annotations

from typing import Any

from codegen._common import ATHENA_DDL_DIR, PARTITION_KEYS, SchemaFile, by_name, sql_header
from codegen.columns import COMMON_SPEC, DATASETS_FOLDER, ERRORS_SPEC, Column, ColumnSets

ATHENA_TYPES: dict[str, str] = {
    "boolean": "boolean",
    "int32": "int",
    "int64": "bigint",
    "float64": "double",
    "string": "string",
    "timestamp_ms": "timestamp",
    "date": "date",
}

PROJECTION_START = "2024-01-01"

# Partition values each dataset can hold (its `status=` path segment).
STATUS_VALUES: dict[str, tuple[str, ...]] = {
    "shard_metrics": ("success",),
    "shard_errors": ("failure",),
    "shard_outcomes": ("success", "failure"),
    "run_metrics": ("success",),
}
# The other datasets (trip_data, snapshot_counts...) hold files committed by success envelopes.
DEFAULT_STATUS_VALUES: tuple[str, ...] = ("success",)

# Outcome-envelope fields whose names are partition keys become these columns (OpenX JSON SerDe
# `mapping.<column>` properties read them from the original keys).
ENVELOPE_PREFIX = "envelope_"

PARTITION_COMMENTS: dict[str, str] = {
    "run_date": "UTC acceptance date of the run, yyyy-MM-dd (projected: date).",
    "run_id": (
        "Percent-encoded run id as in the storage key (projected: injected; every query must "
        "pin it with = or IN)."
    ),
    "status": "success or failure (projected: enum).",
}

PLACEHOLDER_DOC = """\
--
-- Template: render with Terraform templatefile(path, {database, bucket, prefix}) or Python
-- string.Template(text).substitute(database=..., bucket=..., prefix=...):
--   ${database}  Glue database that holds the tables
--   ${bucket}    results bucket name (no s3:// and no slash)
--   ${prefix}    SWEEP_RESULTS_PREFIX stripped of '/'; must be non-empty (cloud default
--                serverless-sweeps), keys are <prefix>/dataset=<dataset>/...
-- $${run_date}, $${run_id} and $${status} in storage.location.template are the template's escape
-- of Athena's own placeholders; rendering turns them into dollar-brace placeholders for Athena.
--
-- Partitions (partition projection, nothing to register): run_date string (date projection,
-- yyyy-MM-dd, {start} to NOW), run_id string (injected: a query must pin run_id with = or IN, using
-- the percent-encoded run id of the storage key, see core/keys.py), status string (enum).
-- dataset is not a partition column: it is fixed in LOCATION, because every dataset has its own
-- table with its own columns and file format.
"""


def _quote(text: str) -> str:
    """A single-quoted DDL string literal that survives template rendering."""
    if "%{" in text:
        raise ValueError(f"'%{{' cannot appear in DDL text (template directive): {text!r}")
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("$", "$$") + "'"


def _column_comment(column: Column) -> str:
    if column.unit is None:
        return column.description
    return f"{column.description} Unit: {column.unit}."


def _location(dataset: str) -> str:
    return f"s3://${{bucket}}/${{prefix}}/dataset={dataset}/"


def _table(
    *,
    sources: list[str],
    dataset: str,
    comment: str,
    columns: list[tuple[str, str, str]],
    storage: list[str],
) -> str:
    """One CREATE EXTERNAL TABLE statement; columns are (name, athena type, comment)."""
    width = max(len(name) for name, _, _ in columns) + 2
    column_lines = ",\n".join(
        f"  {('`' + name + '`').ljust(width)} {type_} COMMENT {_quote(text)}"
        for name, type_, text in columns
    )
    partition_lines = ",\n".join(
        f"  `{key}` string COMMENT {_quote(PARTITION_COMMENTS[key])}"
        for key in PARTITION_KEYS
        if key != "dataset"
    )
    template = _location(dataset) + "run_date=$${run_date}/run_id=$${run_id}/status=$${status}/"
    properties = [
        ("projection.enabled", "true"),
        ("projection.run_date.type", "date"),
        ("projection.run_date.format", "yyyy-MM-dd"),
        ("projection.run_date.range", f"{PROJECTION_START},NOW"),
        ("projection.run_date.interval", "1"),
        ("projection.run_date.interval.unit", "DAYS"),
        ("projection.run_id.type", "injected"),
        ("projection.status.type", "enum"),
        ("projection.status.values", ",".join(STATUS_VALUES.get(dataset, DEFAULT_STATUS_VALUES))),
    ]
    property_lines = ",\n".join(
        [f"  {_quote(key)} = {_quote(value)}" for key, value in properties]
        + [f"  'storage.location.template' = '{template}'"]
    )
    header = sql_header(", ".join(sources)) + PLACEHOLDER_DOC.replace("{start}", PROJECTION_START)
    return (
        f"{header}\n"
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `${{database}}`.`{dataset}` (\n"
        f"{column_lines}\n"
        ")\n"
        f"COMMENT {_quote(comment)}\n"
        "PARTITIONED BY (\n"
        f"{partition_lines}\n"
        ")\n" + "\n".join(storage) + "\n"
        f"LOCATION '{_location(dataset)}'\n"
        "TBLPROPERTIES (\n"
        f"{property_lines}\n"
        ");\n"
    )


def _parquet_table(dataset: str, columns: list[Column], comment: str, sources: list[str]) -> str:
    return _table(
        sources=sources,
        dataset=dataset,
        comment=comment,
        columns=[(c.name, ATHENA_TYPES[c.type], _column_comment(c)) for c in columns],
        storage=["STORED AS PARQUET"],
    )


# --- shard_outcomes: JSON envelopes -------------------------------------------------------------


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        raise ValueError(f"unsupported $ref {ref!r}")
    target: dict[str, Any] = root["$defs"][ref.removeprefix("#/$defs/")]
    return _resolve(target, root)


def json_schema_to_athena(node: dict[str, Any], root: dict[str, Any]) -> str:
    """Athena (Hive) type of a JSON Schema node, as read by the OpenX JSON SerDe."""
    node = _resolve(node, root)
    types = node.get("type")
    names = [types] if isinstance(types, str) else [t for t in (types or []) if t != "null"]
    if len(names) != 1:
        raise ValueError(f"cannot map a JSON Schema node of type {types!r} to one Athena type")
    kind = names[0]
    if kind == "string":
        return "string"
    if kind == "integer":
        return "bigint"
    if kind == "number":
        return "double"
    if kind == "boolean":
        return "boolean"
    if kind == "array":
        items = node.get("items")
        return f"array<{json_schema_to_athena(items, root) if items else 'string'}>"
    if kind == "object":
        properties: dict[str, Any] = node.get("properties", {})
        open_ended = node.get("additionalProperties") not in (None, False)
        if not properties or open_ended:
            # Model-specific keys: a map keeps them all (values read as text).
            return "map<string,string>"
        fields = ",".join(f"{k}:{json_schema_to_athena(v, root)}" for k, v in properties.items())
        return f"struct<{fields}>"
    raise ValueError(f"unsupported JSON Schema type {kind!r}")


def outcome_columns(outcome_schema: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(column, JSON key, Athena type, comment) for the union of success and failure fields."""
    columns: dict[str, tuple[str, str, str, str]] = {}
    for branch in outcome_schema["oneOf"]:
        resolved = _resolve(branch, outcome_schema)
        for key, prop in resolved["properties"].items():
            type_ = json_schema_to_athena(prop, outcome_schema)
            name = f"{ENVELOPE_PREFIX}{key}" if key in PARTITION_KEYS else key
            if name in columns:
                if columns[name][2] != type_:
                    raise ValueError(f"outcome field {key!r}: {columns[name][2]} vs {type_}")
                continue
            title = resolved.get("title", "")
            only = "" if _in_every_branch(key, outcome_schema) else f" ({title} only)"
            columns[name] = (name, key, type_, f"{prop.get('description', '')}{only}")
    return list(columns.values())


def _in_every_branch(key: str, outcome_schema: dict[str, Any]) -> bool:
    return all(
        key in _resolve(branch, outcome_schema)["properties"] for branch in outcome_schema["oneOf"]
    )


def _outcomes_table(outcome: SchemaFile) -> str:
    columns = outcome_columns(outcome.document)
    mappings = [(name, key) for name, key, _, _ in columns if name != key]
    serde_properties = ",\n".join(
        f"  {_quote('mapping.' + name)} = {_quote(key)}" for name, key in mappings
    )
    comment = (
        "One JSON envelope per file (success: one per shard; failure: one per failed attempt). "
        "The SerDe needs each envelope on a single line. Fields named like a partition key are "
        f"read into {ENVELOPE_PREFIX}* columns."
    )
    return _table(
        sources=[outcome.source],
        dataset="shard_outcomes",
        comment=comment,
        columns=[(name, type_, text) for name, _, type_, text in columns],
        storage=[
            "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'",
            "WITH SERDEPROPERTIES (",
            serde_properties,
            ")",
            "STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'",
            "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'",
        ],
    )


def generate(files: list[SchemaFile], sets: ColumnSets, version: str) -> dict[str, str]:
    schemas = by_name(files)
    metrics_sources = [f"schemas/{version}/{COMMON_SPEC}.json"] + [
        f"schemas/{version}/models/{model}/columns.json" for model in sets.models
    ]
    metrics_comment = sets.specs[COMMON_SPEC]["description"]
    errors_comment = sets.specs[ERRORS_SPEC]["description"]
    details = {
        f"{ATHENA_DDL_DIR}/{name}.sql": _parquet_table(
            name,
            columns,
            sets.specs[f"{DATASETS_FOLDER}{name}"]["description"],
            [f"schemas/{version}/{DATASETS_FOLDER}{name}.json"],
        )
        for name, columns in sets.details.items()
    }
    return details | {
        f"{ATHENA_DDL_DIR}/shard_metrics.sql": _parquet_table(
            "shard_metrics", sets.union, metrics_comment, metrics_sources
        ),
        f"{ATHENA_DDL_DIR}/shard_errors.sql": _parquet_table(
            "shard_errors", sets.errors, errors_comment, [f"schemas/{version}/{ERRORS_SPEC}.json"]
        ),
        f"{ATHENA_DDL_DIR}/shard_outcomes.sql": _outcomes_table(schemas["shard_outcome"]),
        # A finished run compacted (handlers/compaction.py): the shard_metrics columns, a few
        # files per run, so Athena reads (and bills) a few objects instead of one per shard.
        f"{ATHENA_DDL_DIR}/run_metrics.sql": _parquet_table(
            "run_metrics",
            sets.union,
            "A finished run's shard_metrics rows once more, compacted into a few files ordered by "
            "point_index (written once when the run's last shard commits). A run's files are "
            "complete once its compaction record (dataset=runs/.../compaction/committed.json) "
            "exists; until then (a compaction cut short) query shard_metrics, or check that "
            "count(*) equals the run's total_points.",
            metrics_sources,
        ),
    }
