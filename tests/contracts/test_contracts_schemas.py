"""schemas/v1 itself: documented, identified, with valid examples; column specs well-formed."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from codegen._common import PARTITION_KEYS, SchemaFile
from codegen.columns import load_column_sets, spec_problems

SCHEMA_ID = "https://schemas.serverless-sweep.dev/v1/{}.json"

# Keywords whose value is a map of name -> subschema.
SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
SCHEMA_VALUES = ("additionalProperties", "items", "not", "propertyNames", "contains", "if")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def subschemas(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object inside a schema, with its JSON pointer (the root included)."""
    if not isinstance(node, dict):
        return
    yield pointer, node
    for key in SCHEMA_MAPS:
        for name, sub in node.get(key, {}).items():
            yield from subschemas(sub, f"{pointer}/{key}/{name}")
    for key in SCHEMA_VALUES:
        if key in node:
            yield from subschemas(node[key], f"{pointer}/{key}")
    for key in SCHEMA_LISTS:
        for index, sub in enumerate(node.get(key, [])):
            yield from subschemas(sub, f"{pointer}/{key}/{index}")


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_every_file_is_a_json_schema_or_a_column_spec(schema_files: list[SchemaFile]) -> None:
    for schema in schema_files:
        assert schema.is_json_schema != schema.is_column_spec, schema.source


def test_json_schemas_are_valid_2020_12(json_schemas: dict[str, dict[str, Any]]) -> None:
    for name, schema in json_schemas.items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        Draft202012Validator.check_schema(schema)


def test_top_level_schemas_are_identified_and_documented(
    json_schemas: dict[str, dict[str, Any]],
) -> None:
    for name, schema in json_schemas.items():
        assert schema["$id"] == SCHEMA_ID.format(name), name
        assert schema.get("title"), name
        assert schema.get("description"), name
        assert isinstance(schema.get("examples"), list) and schema["examples"], name


def test_titles_are_unique(json_schemas: dict[str, dict[str, Any]]) -> None:
    titles = [
        node["title"]
        for schema in json_schemas.values()
        for _, node in subschemas(schema)
        if "title" in node
    ]
    assert len(titles) == len(set(titles)), sorted(titles)


def test_every_property_has_a_description(json_schemas: dict[str, dict[str, Any]]) -> None:
    missing = [
        f"{name}#{pointer}/properties/{prop}"
        for name, schema in json_schemas.items()
        for pointer, node in subschemas(schema)
        for prop, sub in node.get("properties", {}).items()
        if not (isinstance(sub, dict) and sub.get("description"))
    ]
    assert missing == []


def test_every_example_validates_against_its_schema(
    json_schemas: dict[str, dict[str, Any]],
) -> None:
    """Top-level examples against the schema, property examples against the property schema."""
    checked = 0
    for name, schema in json_schemas.items():
        root = validator(schema)
        for pointer, node in subschemas(schema):
            for index, example in enumerate(node.get("examples", [])):
                errors = [e.message for e in root.evolve(schema=node).iter_errors(example)]
                assert errors == [], f"{name}#{pointer}/examples/{index}: {errors}"
                checked += 1
    assert checked > 40


@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("sweep_request", {"dimensions": {"a": [1]}}),
        ("sweep_request", {"run_id": "r", "dimensions": {"a": []}}),
        ("sweep_request", {"run_id": "r", "dimensions": {"a": [1]}, "shard_count": "4"}),
        ("sweep_request", {"run_id": "  ", "dimensions": {"a": [1]}}),
        ("sweep_request", {"run_id": "r", "dimensions": {"": [1]}}),
        ("accepted_response", {"run_id": "r", "total_points": 1, "shards_dispatched": 0}),
        ("run_manifest", {"contract_version": "2.0"}),
        ("shard_payload", {"run_id": "r", "run_date": "2026-13-45"}),
        ("shard_outcome", {"record_schema": "v1", "status": "success"}),
        ("models/ride_hailing/parameters", {"num_riders": -1}),
        ("models/ride_hailing/parameters", {"base_speed_kmh": 0}),
        ("models/ride_hailing/parameters", {"unknown": 1}),
    ],
)
def test_schemas_reject_bad_documents(
    json_schemas: dict[str, dict[str, Any]], name: str, document: dict[str, Any]
) -> None:
    assert list(validator(json_schemas[name]).iter_errors(document)) != []


# --- column specs -------------------------------------------------------------------------


def test_column_specs_validate_against_the_meta_schema(
    json_schemas: dict[str, dict[str, Any]], column_specs: dict[str, dict[str, Any]]
) -> None:
    assert set(column_specs) == {
        "datasets/shard_errors",
        "datasets/shard_metrics",
        "datasets/snapshot_counts",
        "datasets/trip_data",
        "models/legacy_hash/columns",
        "models/ride_hailing/columns",
    }
    meta = json_schemas["column_spec"]
    for name, spec in column_specs.items():
        assert spec_problems(spec, meta) == [], name
        names = [c["name"] for c in spec["columns"]]
        assert len(names) == len(set(names)), f"{name}: duplicate columns"
        assert not set(names) & set(PARTITION_KEYS), f"{name}: column named like a partition key"


@pytest.mark.parametrize("key", PARTITION_KEYS)
def test_meta_schema_and_checks_reject_partition_key_columns(
    json_schemas: dict[str, dict[str, Any]], column_specs: dict[str, dict[str, Any]], key: str
) -> None:
    spec = copy.deepcopy(column_specs["datasets/shard_errors"])
    spec["columns"][0]["name"] = key
    problems = spec_problems(spec, json_schemas["column_spec"])
    assert any("partition key" in p for p in problems)
    assert len(problems) >= 2  # the meta-schema's `not enum` and the explicit check


def test_spec_checks_reject_duplicates_and_unknown_types(
    json_schemas: dict[str, dict[str, Any]], column_specs: dict[str, dict[str, Any]]
) -> None:
    spec = copy.deepcopy(column_specs["datasets/shard_errors"])
    spec["columns"].append(dict(spec["columns"][0]))
    spec["columns"][1]["type"] = "uint64"
    problems = spec_problems(spec, json_schemas["column_spec"])
    assert any("duplicate column 'shard_id'" in p for p in problems)
    assert any("uint64" in p for p in problems)


def test_model_columns_agree_on_type_across_models(schema_files: list[SchemaFile]) -> None:
    sets = load_column_sets(schema_files)
    seen: dict[str, str] = {c.name: c.type for c in sets.common}
    for model, columns in sets.models.items():
        for column in columns:
            assert seen.setdefault(column.name, column.type) == column.type, (model, column.name)
    assert [c.name for c in sets.union] == list(dict.fromkeys(seen))


def test_conflicting_column_types_fail_generation(schema_files: list[SchemaFile]) -> None:
    files = []
    for f in schema_files:
        if f.name == "models/legacy_hash/columns":
            document = copy.deepcopy(f.document)
            document["columns"].append(
                {
                    "name": "num_riders",
                    "type": "string",
                    "nullable": True,
                    "description": "Clash.",
                    "unit": None,
                }
            )
            f = SchemaFile(name=f.name, path=f.path, document=document)
        files.append(f)
    with pytest.raises(ValueError, match="num_riders"):
        load_column_sets(files)


def test_model_schemas_come_in_pairs(schema_files: list[SchemaFile]) -> None:
    """Every model has a parameters schema and a columns spec; `model` names any installed model
    (built-in or an entry-point plug-in), so the contracts no longer enumerate them (issue 14)."""
    names = {f.name for f in schema_files}
    models = sorted({n.split("/")[1] for n in names if n.startswith("models/")})
    for model in models:
        assert f"models/{model}/parameters" in names
        assert f"models/{model}/columns" in names
    by = {f.name: f.document for f in schema_files}
    for schema in ("sweep_request", "shard_payload"):
        field = by[schema]["properties"]["model"]
        assert "enum" not in field and field["type"] == "string"
        assert "serverless_sweep.models" in field["description"]
    described = by["sweep_request"]["properties"]["model"]["description"]
    assert all(name in described for name in models)
