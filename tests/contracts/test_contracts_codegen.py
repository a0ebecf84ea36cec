"""The generated files are fresh, reproducible and marked as generated."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import compare, render, write
from codegen.__main__ import main
from codegen._common import GENERATED_KEY, MANAGED_DIRS, REPO_ROOT


def test_generated_files_match_a_fresh_generation(rendered: dict[str, str], tmp_path: Path) -> None:
    write(rendered, tmp_path)
    problems = compare(tmp_path, REPO_ROOT)
    assert problems == [], "generated files are stale; run `make codegen`:\n" + "\n".join(problems)


def test_generation_is_byte_for_byte_reproducible(rendered: dict[str, str], tmp_path: Path) -> None:
    # How long generation takes is measured by bench/bench_codegen.py, not asserted here:
    # a wall-clock limit failed on a loaded machine (issue 10).
    again = render()
    first, second = tmp_path / "first", tmp_path / "second"
    write(rendered, first)
    write(again, second)
    assert compare(first, second) == []
    assert list(again) == sorted(again), "outputs are produced in sorted path order"


def test_generation_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """A separate interpreter with another hash seed writes the same files."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
        "from codegen import render, write; write(render(), Path(sys.argv[2]))"
    )
    out = tmp_path / "seeded"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", script, str(REPO_ROOT), str(out)], check=True, env=env, timeout=120
    )
    assert compare(out, REPO_ROOT) == []


def test_every_generated_file_carries_the_do_not_edit_notice(rendered: dict[str, str]) -> None:
    for path, text in rendered.items():
        assert "\r" not in text and text.endswith("\n"), path
        if path.endswith((".py", ".sql")):
            first = text.splitlines()[0]
            assert first in ("# GENERATED FILE - DO NOT EDIT.", "-- GENERATED FILE - DO NOT EDIT.")
            assert "make codegen" in text.split("\n\n", 1)[0], path
            assert "Source: schemas/" in text.split("\n\n", 1)[0], path
        elif path.endswith(".json"):
            document = json.loads(text)
            assert next(iter(document)) == GENERATED_KEY, path
            assert "DO NOT EDIT" in document[GENERATED_KEY]
            assert "make codegen" in document[GENERATED_KEY]
            assert "schemas/" in document[GENERATED_KEY]
        else:
            pytest.fail(f"unexpected generated file type: {path}")


def test_expected_outputs_exist(rendered: dict[str, str]) -> None:
    generated = "src/serverless_sweep/contracts/generated"
    expected = {
        f"{generated}/v1/{name}.py"
        for name in (
            "sweep_request",
            "shard_payload",
            "shard_outcome",
            "accepted_response",
            "error_response",
            "run_status",
            "run_list",
            "run_manifest",
            "ride_hailing_parameters",
            "legacy_hash_parameters",
            "arrow_schemas",
        )
    } | {
        f"{generated}/openapi.json",
        f"{generated}/apigateway/sweep_request.json",
        "infra/athena/ddl/shard_metrics.sql",
        "infra/athena/ddl/shard_errors.sql",
        "infra/athena/ddl/shard_outcomes.sql",
    }
    assert expected <= rendered.keys()
    sources = {p.relative_to(REPO_ROOT / "schemas/v1").as_posix() for p in _schema_sources()}
    copies = {
        p.removeprefix("src/serverless_sweep/contracts/schemas/v1/")
        for p in rendered
        if p.startswith("src/serverless_sweep/contracts/schemas/v1/")
    }
    assert copies == sources


def _schema_sources() -> list[Path]:
    return sorted((REPO_ROOT / "schemas/v1").rglob("*.json"))


def test_compare_reports_differing_missing_and_extra_files(
    rendered: dict[str, str], tmp_path: Path
) -> None:
    fresh, tree = tmp_path / "fresh", tmp_path / "tree"
    write(rendered, fresh)
    shutil.copytree(fresh, tree)
    differing = "src/serverless_sweep/contracts/generated/v1/sweep_request.py"
    missing = "infra/athena/ddl/shard_errors.sql"
    extra = "src/serverless_sweep/contracts/generated/v1/stale_module.py"
    (tree / differing).write_text((tree / differing).read_text() + "# edited\n")
    (tree / missing).unlink()
    (tree / extra).write_text("x = 1\n")
    (tree / "src/serverless_sweep/contracts/generated/__pycache__").mkdir()
    (tree / "src/serverless_sweep/contracts/generated/__pycache__/x.pyc").write_bytes(b"")
    assert compare(fresh, tree) == [  # sorted by path
        f"missing: {missing}",
        f"extra:   {extra}",
        f"differs: {differing}",
    ]
    # A regeneration repairs the tree: rewrites, recreates and deletes.
    changes = write(rendered, tree)
    assert sorted(changes) == sorted([f"wrote {differing}", f"wrote {missing}", f"deleted {extra}"])
    assert compare(fresh, tree) == []


def test_managed_dirs_are_the_generated_trees() -> None:
    assert MANAGED_DIRS == (
        "src/serverless_sweep/contracts/generated",
        "src/serverless_sweep/contracts/schemas",
        "infra/athena/ddl",
    )


def test_check_command_exits_1_with_a_message_on_a_stale_tree(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from codegen import pipeline

    monkeypatch.setattr(pipeline, "check", lambda: ["differs: infra/athena/ddl/shard_errors.sql"])
    assert main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "infra/athena/ddl/shard_errors.sql" in err
    assert "make codegen" in err
    monkeypatch.setattr(pipeline, "check", lambda: [])
    assert main(["--check"]) == 0


def test_release_refuses_to_overwrite_a_frozen_lock(capsys: pytest.CaptureFixture[str]) -> None:
    assert (REPO_ROOT / "schemas/released/v1.lock.json").is_file()
    assert main(["--release", "v1"]) == 1
    assert "frozen" in capsys.readouterr().err
