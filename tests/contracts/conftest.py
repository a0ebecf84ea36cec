"""Shared fixtures of the contract tests; makes the repo-root `codegen` package importable."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from codegen._common import SchemaFile, load_schema_files  # noqa: E402
from codegen.pipeline import render  # noqa: E402


@pytest.fixture(scope="session")
def schema_files() -> list[SchemaFile]:
    return load_schema_files()


@pytest.fixture(scope="session")
def json_schemas(schema_files: list[SchemaFile]) -> dict[str, dict[str, Any]]:
    """Every JSON Schema under schemas/v1 by name (column specs excluded)."""
    return {f.name: f.document for f in schema_files if f.is_json_schema}


@pytest.fixture(scope="session")
def column_specs(schema_files: list[SchemaFile]) -> dict[str, dict[str, Any]]:
    return {f.name: f.document for f in schema_files if f.is_column_spec}


@pytest.fixture(scope="session")
def rendered() -> dict[str, str]:
    """One fresh generation, shared by the tests that need it (generation takes seconds)."""
    return render()
