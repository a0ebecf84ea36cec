"""Run every generator; write the outputs or compare them with the files in the tree."""

from __future__ import annotations

import tempfile
from pathlib import Path

from codegen import apigateway, arrow, athena, constants, fast_checkers, openapi, pydantic_models
from codegen._common import (
    GENERATED_DIR,
    MANAGED_DIRS,
    REPO_ROOT,
    SCHEMA_COPY_DIR,
    SCHEMAS_ROOT,
    VERSION,
    SchemaFile,
    dump_json,
    load_schema_files,
    python_header,
    with_notice,
)
from codegen.columns import load_column_sets

IGNORED_PARTS = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})


def _package_inits(version: str) -> dict[str, str]:
    """The generated package's `__init__.py` (the version package's is pydantic_models' index)."""
    header = python_header(f"schemas/{version}")
    return {
        f"{GENERATED_DIR}/__init__.py": (
            f'{header}"""Code generated from schemas/ by `make codegen`; never edit by hand."""\n'
        ),
    }


def _schema_copies(files: list[SchemaFile], version: str) -> dict[str, str]:
    """The source documents, each with the do-not-edit notice as its first key.

    `serverless_sweep.contracts.load_schema` removes the notice again, so it returns exactly
    the source document.
    """
    return {
        f"{SCHEMA_COPY_DIR}/{version}/{f.relpath}": dump_json(with_notice(f.document, f.source))
        for f in files
    }


def render(schemas_dir: Path | None = None, version: str = VERSION) -> dict[str, str]:
    """Every generated file: {path relative to the repo root: text}, sorted by path."""
    files = load_schema_files(schemas_dir or SCHEMAS_ROOT / version, version)
    sets = load_column_sets(files)
    outputs: dict[str, str] = {}
    parts = [
        _package_inits(version),
        _schema_copies(files, version),
        constants.generate(files, version),
        pydantic_models.generate(files, version),
        fast_checkers.generate(files, version),
        arrow.generate(sets, version),
        athena.generate(files, sets, version),
        openapi.generate(files, version),
        apigateway.generate(files),
    ]
    for part in parts:
        clash = outputs.keys() & part.keys()
        if clash:
            raise RuntimeError(f"two generators write {sorted(clash)}")
        outputs.update(part)
    for path, text in outputs.items():
        if "\r" in text or not text.endswith("\n"):
            raise RuntimeError(f"{path}: generated text must use \\n line endings")
    return dict(sorted(outputs.items()))


def _managed_files(root: Path) -> set[str]:
    found: set[str] = set()
    for managed in MANAGED_DIRS:
        base = root / managed
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            if path.is_file() and not IGNORED_PARTS & set(path.relative_to(root).parts):
                found.add(path.relative_to(root).as_posix())
    return found


def write(outputs: dict[str, str], root: Path) -> list[str]:
    """Write the outputs under root; delete stale files in the managed trees. Returns changes."""
    changes: list[str] = []
    for rel, text in outputs.items():
        path = root / rel
        data = text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        changes.append(f"wrote {rel}")
    for rel in sorted(_managed_files(root) - outputs.keys()):
        (root / rel).unlink()
        changes.append(f"deleted {rel}")
    return changes


def generate(root: Path = REPO_ROOT) -> list[str]:
    """Regenerate everything derived from schemas/ into root (the repo by default)."""
    return write(render(), root)


def compare(expected_root: Path, actual_root: Path) -> list[str]:
    """Every managed file that differs, is missing from or is extra in actual_root."""
    expected = _managed_files(expected_root)
    actual = _managed_files(actual_root)
    problems = [f"missing: {rel}" for rel in sorted(expected - actual)]
    problems += [f"extra:   {rel}" for rel in sorted(actual - expected)]
    for rel in sorted(expected & actual):
        if (expected_root / rel).read_bytes() != (actual_root / rel).read_bytes():
            problems.append(f"differs: {rel}")
    return sorted(problems, key=lambda p: p.split(" ", 1)[1].strip())


def check(root: Path = REPO_ROOT) -> list[str]:
    """Regenerate into a temp dir and compare with root. Empty when everything is up to date."""
    with tempfile.TemporaryDirectory(prefix="sweep-codegen-check-") as tmp:
        fresh = Path(tmp)
        write(render(), fresh)
        return compare(fresh, root)
