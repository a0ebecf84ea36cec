"""Backward compatibility of a schema version against its released (frozen) documents.

A change is compatible when every document valid under the released schema stays valid: no
removed property, no newly required one, no narrowed type set, no tightened bound, no removed
enum value, no new or changed const/pattern/format, no new `additionalProperties: false` (or new
additionalProperties schema), no changed `$id`. Column specs may only gain columns: no removed
column, no changed type, no nullable column made non-nullable.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from codegen._common import GENERATED_KEY, SCHEMAS_ROOT, dump_json, load_schema_files

RELEASED_DIR = SCHEMAS_ROOT / "released"
CHANGES_FILE = SCHEMAS_ROOT / "CHANGES.md"

LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
# Keywords that constrain when added or changed (any change may reject old documents).
FIXED = ("const", "pattern", "format", "multipleOf")


def _types(schema: dict[str, Any]) -> set[str] | None:
    declared = schema.get("type")
    if declared is None:
        return None
    return {declared} if isinstance(declared, str) else set(declared)


def _lost_types(old: set[str] | None, new: set[str] | None) -> set[str]:
    if new is None:
        return set()
    if old is None:
        return {"(any)"}
    lost = old - new
    if "integer" in lost and "number" in new:
        lost.discard("integer")
    return lost


def schema_incompatibilities(old: Any, new: Any, pointer: str = "") -> list[str]:
    """Why new rejects documents old accepted (empty when compatible)."""
    where = pointer or "(root)"
    if old is False or new is True or new == {}:
        return []
    if new is False:
        return [f"{where}: schema became false"]
    if not isinstance(old, dict) or not isinstance(new, dict):
        if old is True and isinstance(new, dict):
            return [f"{where}: true schema became a constrained schema"]
        return []
    problems: list[str] = []

    if "$id" in old and new.get("$id") != old["$id"]:
        problems.append(f"{where}: $id changed from {old['$id']!r} to {new.get('$id')!r}")

    lost = _lost_types(_types(old), _types(new))
    if lost:
        problems.append(f"{where}: type narrowed (no longer accepts {sorted(lost)})")

    added_required = sorted(set(new.get("required", [])) - set(old.get("required", [])))
    if added_required:
        problems.append(f"{where}: newly required {added_required}")

    for key in LOWER_BOUNDS:
        if key in new and isinstance(new[key], int | float) and not isinstance(new[key], bool):
            if key not in old:
                problems.append(f"{where}: new bound {key}={new[key]}")
            elif new[key] > old[key]:
                problems.append(f"{where}: {key} raised from {old[key]} to {new[key]}")
    for key in UPPER_BOUNDS:
        if key in new and isinstance(new[key], int | float) and not isinstance(new[key], bool):
            if key not in old:
                problems.append(f"{where}: new bound {key}={new[key]}")
            elif new[key] < old[key]:
                problems.append(f"{where}: {key} lowered from {old[key]} to {new[key]}")

    if "enum" in new:
        if "enum" not in old:
            problems.append(f"{where}: new enum {new['enum']}")
        else:
            removed = [v for v in old["enum"] if v not in new["enum"]]
            if removed:
                problems.append(f"{where}: enum values removed {removed}")

    for key in FIXED:
        if key in new and (key not in old or old[key] != new[key]):
            problems.append(f"{where}: {key} added or changed to {new[key]!r}")

    if new.get("uniqueItems") is True and old.get("uniqueItems") is not True:
        problems.append(f"{where}: uniqueItems added")

    old_additional = old.get("additionalProperties", True)
    new_additional = new.get("additionalProperties", True)
    if new_additional is False and old_additional is not False:
        problems.append(f"{where}: new additionalProperties: false")
    else:
        problems += schema_incompatibilities(
            old_additional, new_additional, f"{pointer}/additionalProperties"
        )

    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{where}: property {name!r} removed")
        else:
            problems += schema_incompatibilities(
                old_prop, new_props[name], f"{pointer}/properties/{name}"
            )

    for key in ("$defs", "definitions"):
        for name, old_def in old.get(key, {}).items():
            if name not in new.get(key, {}):
                problems.append(f"{where}: {key}/{name} removed")
            else:
                problems += schema_incompatibilities(
                    old_def, new[key][name], f"{pointer}/{key}/{name}"
                )

    for key in ("items", "propertyNames", "contains"):
        if key in new:
            problems += schema_incompatibilities(old.get(key, True), new[key], f"{pointer}/{key}")

    for key in ("oneOf", "anyOf", "allOf"):
        old_list, new_list = old.get(key), new.get(key)
        if new_list is None:
            continue
        if old_list is None or len(old_list) != len(new_list):
            if old_list is None or key == "allOf" or len(new_list) < len(old_list):
                problems.append(f"{where}: {key} added or changed in length")
            continue
        for index, (old_sub, new_sub) in enumerate(zip(old_list, new_list, strict=True)):
            problems += schema_incompatibilities(old_sub, new_sub, f"{pointer}/{key}/{index}")

    if "$ref" in new and new.get("$ref") != old.get("$ref"):
        problems.append(f"{where}: $ref added or changed to {new['$ref']!r}")
    return problems


def column_spec_incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if old.get("dataset") != new.get("dataset"):
        problems.append(f"dataset changed from {old.get('dataset')!r} to {new.get('dataset')!r}")
    new_columns = {c["name"]: c for c in new.get("columns", [])}
    for column in old.get("columns", []):
        name = column["name"]
        if name not in new_columns:
            problems.append(f"column {name!r} removed")
            continue
        current = new_columns[name]
        if current["type"] != column["type"]:
            problems.append(f"column {name!r}: type {column['type']} became {current['type']}")
        if column["nullable"] and not current["nullable"]:
            problems.append(f"column {name!r} became non-nullable")
    return problems


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Dispatch on the document kind: JSON Schema or column spec."""
    if "$schema" in old:
        return schema_incompatibilities(old, new)
    return column_spec_incompatibilities(old, new)


# --- released lock files ----------------------------------------------------------------------


def lock_path(version: str) -> Path:
    return RELEASED_DIR / f"{version}.lock.json"


def build_lock(version: str) -> dict[str, Any]:
    documents = {f.relpath: f.document for f in load_schema_files(version=version)}
    return {
        GENERATED_KEY: (
            f"Released {version} documents, frozen. Written once by "
            f"`python -m codegen --release {version}`; never edit. tests/contracts/"
            "test_schema_freeze.py checks schemas/" + version + "/ against it."
        ),
        "version": version,
        "documents": dict(sorted(documents.items())),
    }


def write_lock(version: str, *, force: bool = False) -> Path:
    path = lock_path(version)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists: a released version is frozen")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_json(build_lock(version)), encoding="utf-8")
    return path


def load_lock(version: str) -> dict[str, Any]:
    with lock_path(version).open(encoding="utf-8") as handle:
        lock: dict[str, Any] = json.load(handle)
    return lock


def released_versions() -> list[str]:
    return sorted(p.name.removesuffix(".lock.json") for p in RELEASED_DIR.glob("*.lock.json"))


def freeze_report(version: str) -> tuple[list[str], list[str]]:
    """(incompatibilities, changed files) of schemas/<version> against its lock."""
    released: dict[str, Any] = load_lock(version)["documents"]
    current = {f.relpath: f.document for f in load_schema_files(version=version)}
    problems: list[str] = []
    changed: list[str] = []
    for relpath, old in released.items():
        if relpath not in current:
            problems.append(f"schemas/{version}/{relpath}: removed")
            continue
        if current[relpath] != old:
            changed.append(relpath)
            found = incompatibilities(old, current[relpath])
            problems += [f"schemas/{version}/{relpath}: {p}" for p in found]
    return problems, changed


def changes_entry_pattern(version: str, relpath: str) -> re.Pattern[str]:
    """A CHANGES.md line naming the file in backticks, then a colon and a reason."""
    return re.compile(rf"`schemas/{re.escape(version)}/{re.escape(relpath)}`[ \t]*:[ \t]*\S")


def unexplained_changes(version: str, changed: list[str], changes_text: str) -> list[str]:
    return [
        relpath
        for relpath in changed
        if not changes_entry_pattern(version, relpath).search(changes_text)
    ]
