"""The column-spec vocabulary (schemas/<version>/column_spec.json): loading and checking.

Shared by the Arrow and the Athena generators, so both see the same, validated column lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from codegen._common import PARTITION_KEYS, SchemaFile, by_name

COMMON_SPEC = "datasets/shard_metrics"
ERRORS_SPEC = "datasets/shard_errors"
# Every other spec under datasets/ is a dataset of its own (issue 11's per-point detail datasets
# trip_data and snapshot_counts): its own Arrow schema and Athena table.
DATASETS_FOLDER = "datasets/"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    description: str
    unit: str | None

    @classmethod
    def from_spec(cls, raw: dict[str, Any]) -> Column:
        return cls(
            name=raw["name"],
            type=raw["type"],
            nullable=raw["nullable"],
            description=raw["description"],
            unit=raw["unit"],
        )


@dataclass(frozen=True)
class ColumnSets:
    """Validated column specs of one schema version."""

    specs: dict[str, dict[str, Any]]  # schema name -> raw spec, sorted by name
    common: list[Column]  # shard_metrics leading columns
    errors: list[Column]  # shard_errors columns
    models: dict[str, list[Column]]  # model -> its appended columns, sorted by model
    union: list[Column]  # common + every model's columns, deduplicated by name
    # Other datasets (datasets/<name>.json besides shard_metrics and shard_errors) -> columns.
    details: dict[str, list[Column]]


def spec_problems(spec: dict[str, Any], meta_schema: dict[str, Any]) -> list[str]:
    """Everything wrong with one column spec (empty when it is fine)."""
    problems = [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in Draft202012Validator(meta_schema).iter_errors(spec)
    ]
    seen: set[str] = set()
    for column in spec.get("columns", []):
        name = column.get("name") if isinstance(column, dict) else None
        if not isinstance(name, str):
            continue
        if name in PARTITION_KEYS:
            problems.append(f"column {name!r} reuses a partition key name")
        if name in seen:
            problems.append(f"duplicate column {name!r}")
        seen.add(name)
    return problems


def load_column_sets(files: list[SchemaFile]) -> ColumnSets:
    """Validate every column spec and derive the common, per-model and union column lists."""
    schemas = by_name(files)
    meta_schema = schemas["column_spec"].document
    specs: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for schema in files:
        if not schema.is_column_spec:
            continue
        specs[schema.name] = schema.document
        problems += [f"{schema.source}: {p}" for p in spec_problems(schema.document, meta_schema)]
    for required in (COMMON_SPEC, ERRORS_SPEC):
        if required not in specs:
            problems.append(f"missing column spec {required}")
    if problems:
        raise ValueError("invalid column specs:\n  " + "\n  ".join(problems))

    def columns(name: str) -> list[Column]:
        return [Column.from_spec(c) for c in specs[name]["columns"]]

    common = columns(COMMON_SPEC)
    models: dict[str, list[Column]] = {}
    for name in sorted(specs):
        parts = name.split("/")
        if len(parts) == 3 and parts[0] == "models" and parts[2] == "columns":
            models[parts[1]] = columns(name)
            if specs[name]["dataset"] != parts[1]:
                problems.append(f"{name}: dataset must be the model name {parts[1]!r}")

    union: list[Column] = list(common)
    by_column: dict[str, tuple[str, Column]] = {c.name: ("shard_metrics", c) for c in common}
    for model, model_columns in models.items():
        for column in model_columns:
            if column.name in by_column:
                owner, first = by_column[column.name]
                if first.type != column.type:
                    problems.append(
                        f"column {column.name!r}: {owner} says {first.type}, "
                        f"{model} says {column.type}"
                    )
                continue
            by_column[column.name] = (model, column)
            union.append(column)
    if problems:
        raise ValueError("invalid column specs:\n  " + "\n  ".join(problems))

    # A model column is null in every other model's rows, so in the union it is nullable unless
    # every model has it and declares it non-nullable.
    def union_nullable(column: Column) -> bool:
        if any(column is c for c in common):
            return column.nullable
        owners = [cols for cols in models.values() if any(c.name == column.name for c in cols)]
        if len(owners) < len(models):
            return True
        return any(c.nullable for cols in owners for c in cols if c.name == column.name)

    union = [Column(c.name, c.type, union_nullable(c), c.description, c.unit) for c in union]
    details: dict[str, list[Column]] = {}
    for name in sorted(specs):
        if name.startswith(DATASETS_FOLDER) and name not in (COMMON_SPEC, ERRORS_SPEC):
            dataset = name.removeprefix(DATASETS_FOLDER)
            if specs[name]["dataset"] != dataset:
                problems.append(f"{name}: dataset must be the file name {dataset!r}")
            details[dataset] = columns(name)
    if problems:
        raise ValueError("invalid column specs:\n  " + "\n  ".join(problems))
    return ColumnSets(
        specs=specs,
        common=common,
        errors=columns(ERRORS_SPEC),
        models=models,
        union=union,
        details=details,
    )
