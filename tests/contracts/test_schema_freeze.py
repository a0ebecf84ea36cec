"""Released schemas are frozen: current documents stay backward compatible, changes are logged."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from codegen.compat import (
    CHANGES_FILE,
    column_spec_incompatibilities,
    freeze_report,
    load_lock,
    released_versions,
    schema_incompatibilities,
    unexplained_changes,
)


def test_v1_is_released() -> None:
    assert "v1" in released_versions()
    lock = load_lock("v1")
    assert lock["version"] == "v1"
    assert "sweep_request.json" in lock["documents"]


@pytest.mark.parametrize("version", released_versions())
def test_current_schemas_are_backward_compatible(version: str) -> None:
    problems, _ = freeze_report(version)
    assert problems == [], "incompatible change to a released schema:\n" + "\n".join(problems)


@pytest.mark.parametrize("version", released_versions())
def test_every_change_to_a_released_schema_is_explained(version: str) -> None:
    _, changed = freeze_report(version)
    changes_text = CHANGES_FILE.read_text(encoding="utf-8")
    missing = unexplained_changes(version, changed, changes_text)
    assert missing == [], (
        "changed released schemas need a line in schemas/CHANGES.md like "
        f"- `schemas/{version}/<file>`: <reason>; missing: {missing}"
    )


def test_changes_md_starts_with_the_release_entry() -> None:
    text = CHANGES_FILE.read_text(encoding="utf-8")
    assert text.startswith("# Schema changes")
    assert "## v1: released" in text


def test_the_changes_log_needs_the_file_and_a_reason() -> None:
    changed = ["sweep_request.json", "models/ride_hailing/parameters.json"]
    text = (
        "- `schemas/v1/sweep_request.json`: add optional priority\n"
        "- `schemas/v1/models/ride_hailing/parameters.json`:\n"
        "- schemas/v1/run_status.json: no backticks\n"
    )
    assert unexplained_changes("v1", changed, text) == ["models/ride_hailing/parameters.json"]
    assert unexplained_changes("v1", ["run_status.json"], text) == ["run_status.json"]


# --- the compatibility rules, one by one -----------------------------------------------------

BASE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://schemas.serverless-sweep.dev/v1/thing.json",
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 50},
        "count": {"type": ["integer", "null"], "minimum": 0, "maximum": 10},
        "kind": {"type": "string", "enum": ["a", "b"]},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 0, "maxItems": 5},
        "nested": {"$ref": "#/$defs/Nested"},
    },
    "required": ["name"],
    "$defs": {"Nested": {"type": "object", "properties": {"x": {"type": "number"}}}},
}


def mutate(path: list[str], value: Any, *, delete: bool = False) -> dict[str, Any]:
    schema = copy.deepcopy(BASE)
    node = schema
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return schema


def test_identical_schema_is_compatible() -> None:
    assert schema_incompatibilities(BASE, copy.deepcopy(BASE)) == []


@pytest.mark.parametrize(
    "new",
    [
        mutate(["properties", "extra"], {"type": "string", "description": "optional addition"}),
        mutate(["properties", "name", "maxLength"], 100),
        mutate(["properties", "name", "minLength"], 0),
        mutate(["properties", "count", "minimum"], -5),
        mutate(["properties", "count", "maximum"], 20),
        mutate(["properties", "count", "type"], ["number", "null"]),
        mutate(["properties", "kind", "enum"], ["a", "b", "c"]),
        mutate(["properties", "tags", "maxItems"], 10),
        mutate(["required"], []),
        mutate(["properties", "name", "description"], "now documented"),
        mutate(["properties", "count", "maximum"], None, delete=True),
        mutate(["$defs", "Nested", "properties", "y"], {"type": "string"}),
        mutate(["properties", "name", "type"], None, delete=True),
    ],
)
def test_compatible_changes(new: dict[str, Any]) -> None:
    assert schema_incompatibilities(BASE, new) == []


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        (mutate(["properties", "kind"], None, delete=True), "property 'kind' removed"),
        (mutate(["required"], ["name", "count"]), "newly required ['count']"),
        (mutate(["properties", "count", "type"], "integer"), "type narrowed"),
        (mutate(["properties", "count", "type"], ["string", "null"]), "type narrowed"),
        (mutate(["properties", "name", "minLength"], 2), "minLength raised"),
        (mutate(["properties", "name", "maxLength"], 10), "maxLength lowered"),
        (mutate(["properties", "count", "minimum"], 1), "minimum raised"),
        (mutate(["properties", "count", "maximum"], 9), "maximum lowered"),
        (mutate(["properties", "count", "exclusiveMaximum"], 10), "new bound exclusiveMaximum"),
        (mutate(["properties", "tags", "minItems"], 1), "minItems raised"),
        (mutate(["properties", "tags", "maxItems"], 4), "maxItems lowered"),
        (mutate(["properties", "kind", "enum"], ["a"]), "enum values removed ['b']"),
        (mutate(["properties", "name", "enum"], ["x"]), "new enum"),
        (mutate(["properties", "name", "pattern"], "^x"), "pattern added or changed"),
        (mutate(["properties", "name", "const"], "x"), "const added or changed"),
        (mutate(["$id"], "https://schemas.serverless-sweep.dev/v1/other.json"), "$id changed"),
        (mutate(["additionalProperties"], False), "new additionalProperties: false"),
        (
            mutate(["$defs", "Nested", "additionalProperties"], False),
            "/$defs/Nested: new additionalProperties: false",
        ),
        (mutate(["properties", "tags", "items", "type"], "integer"), "/items: type narrowed"),
        (mutate(["$defs", "Nested", "properties", "x", "type"], "integer"), "type narrowed"),
    ],
)
def test_incompatible_changes(new: dict[str, Any], reason: str) -> None:
    problems = schema_incompatibilities(BASE, new)
    assert any(reason in p for p in problems), problems


def test_column_spec_rules() -> None:
    old = {
        "dataset": "d",
        "description": "x",
        "columns": [
            {"name": "a", "type": "int64", "nullable": True, "description": "a", "unit": None},
            {"name": "b", "type": "string", "nullable": False, "description": "b", "unit": None},
        ],
    }
    added = copy.deepcopy(old)
    added["columns"].append(
        {"name": "c", "type": "string", "nullable": True, "description": "c", "unit": None}
    )
    assert column_spec_incompatibilities(old, added) == []
    relaxed = copy.deepcopy(old)
    relaxed["columns"][1]["nullable"] = True
    assert column_spec_incompatibilities(old, relaxed) == []

    removed = copy.deepcopy(old)
    del removed["columns"][0]
    assert column_spec_incompatibilities(old, removed) == ["column 'a' removed"]
    retyped = copy.deepcopy(old)
    retyped["columns"][0]["type"] = "int32"
    assert column_spec_incompatibilities(old, retyped) == ["column 'a': type int64 became int32"]
    tightened = copy.deepcopy(old)
    tightened["columns"][0]["nullable"] = False
    assert column_spec_incompatibilities(old, tightened) == ["column 'a' became non-nullable"]


def test_freeze_report_flags_an_edited_released_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    from codegen import compat
    from codegen._common import SchemaFile, load_schema_files

    _, already_changed = freeze_report("v1")  # real, documented changes since the release
    # Edit two released documents that have no documented change yet, so the edit is new.
    released = load_lock("v1")["documents"]
    untouched = [
        f.name
        for f in load_schema_files(version="v1")
        if f"{f.name}.json" not in already_changed and f"{f.name}.json" in released
    ]
    breaking, reworded = untouched[0], untouched[1]

    def edited(version: str = "v1") -> list[SchemaFile]:
        files = []
        for f in load_schema_files(version=version):
            document = copy.deepcopy(f.document)
            if f.name == breaking:
                document.setdefault("properties", {})["note"] = {
                    "description": "new",
                    "type": "string",
                }
                document["required"] = [*document.get("required", []), "note"]
            if f.name == reworded:
                document["description"] = "reworded"
            files.append(SchemaFile(f.name, f.path, document, version))
        return files

    monkeypatch.setattr(compat, "load_schema_files", edited)
    problems, changed = freeze_report("v1")
    assert changed == sorted({*already_changed, f"{breaking}.json", f"{reworded}.json"})
    assert problems == [f"schemas/v1/{breaking}.json: (root): newly required ['note']"]
    explained = "".join(f"- `schemas/v1/{name}`: documented\n" for name in already_changed)
    changes_md = explained + f"- `schemas/v1/{reworded}.json`: wording\n"
    assert unexplained_changes("v1", changed, changes_md) == [f"{breaking}.json"]
