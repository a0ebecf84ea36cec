"""Paths, headers and deterministic serialization shared by every generator."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_ROOT = REPO_ROOT / "schemas"
VERSION = "v1"

# Output locations, relative to the output root (the repo root, or a temp dir for --check).
PACKAGE_DIR = "src/serverless_sweep/contracts"
GENERATED_DIR = f"{PACKAGE_DIR}/generated"
SCHEMA_COPY_DIR = f"{PACKAGE_DIR}/schemas"
ATHENA_DDL_DIR = "infra/athena/ddl"

# Trees codegen owns completely: a file in them that a fresh generation does not produce is
# reported by --check and deleted by a regeneration.
MANAGED_DIRS = (GENERATED_DIR, SCHEMA_COPY_DIR, ATHENA_DDL_DIR)

# Partition keys of every dataset (storage layout in docs/ARCHITECTURE.md); never column names.
PARTITION_KEYS = ("dataset", "run_date", "run_id", "status")

SCHEMA_ID_BASE = "https://schemas.serverless-sweep.dev"

# Top-level key that carries the do-not-edit notice in generated JSON documents.
GENERATED_KEY = "x-generated"

REGENERATE = "`make codegen` (python -m codegen)"


def notice(source: str) -> str:
    """The one-line do-not-edit notice naming the source and the command."""
    return f"GENERATED FILE - DO NOT EDIT. Source: {source}. Regenerate with {REGENERATE}."


def python_header(source: str) -> str:
    return (
        "# GENERATED FILE - DO NOT EDIT.\n"
        f"# Source: {source}\n"
        f"# Regenerate with {REGENERATE}; `make codegen-check` fails when this file is stale.\n"
    )


def sql_header(source: str) -> str:
    return (
        "-- GENERATED FILE - DO NOT EDIT.\n"
        f"-- Source: {source}\n"
        f"-- Regenerate with {REGENERATE}; `make codegen-check` fails when this file is stale.\n"
    )


def dump_json(document: Any) -> str:
    """Deterministic JSON text: 2-space indent, UTF-8 kept, insertion order, final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def with_notice(document: dict[str, Any], source: str) -> dict[str, Any]:
    """A copy of a JSON object with the generated notice as its first key."""
    return {GENERATED_KEY: notice(source), **document}


@dataclass(frozen=True)
class SchemaFile:
    """One document under schemas/<version>/."""

    name: str  # relative path without .json, "/"-separated: "models/ride_hailing/parameters"
    path: Path
    document: dict[str, Any]
    version: str = VERSION

    @property
    def source(self) -> str:
        """Repo-relative path, for headers and messages."""
        return f"schemas/{self.version}/{self.relpath}"

    @property
    def relpath(self) -> str:
        """Path relative to schemas/<version>/, e.g. models/ride_hailing/parameters.json."""
        return f"{self.name}.json"

    @property
    def is_json_schema(self) -> bool:
        return "$schema" in self.document

    @property
    def is_column_spec(self) -> bool:
        return not self.is_json_schema and "columns" in self.document


def load_schema_files(schemas_dir: Path | None = None, version: str = VERSION) -> list[SchemaFile]:
    """Every JSON document of a schema version, sorted by name."""
    root = schemas_dir if schemas_dir is not None else SCHEMAS_ROOT / version
    files = []
    for path in sorted(root.rglob("*.json"), key=lambda p: p.relative_to(root).as_posix()):
        name = path.relative_to(root).with_suffix("").as_posix()
        with path.open(encoding="utf-8") as handle:
            document = json.load(handle)
        if not isinstance(document, dict):
            raise ValueError(f"{path}: a schema document must be a JSON object")
        files.append(SchemaFile(name=name, path=path, document=document, version=version))
    return files


def by_name(files: list[SchemaFile]) -> dict[str, SchemaFile]:
    return {f.name: f for f in files}
