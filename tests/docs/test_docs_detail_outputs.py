"""The README's detail-datasets example (issue 11) works exactly as printed: the commands of
its block run (the local store in a scratch folder) and print the tables shown."""

from __future__ import annotations

import shlex
from pathlib import Path

from serverless_sweep.adapters.local.runtime import preserved_runtime_env
from tests.docs.readme_sections import ROOT, fenced_blocks, readme_section
from tests.docs.readme_sections import run_sweep as sweep

TITLE = "### Per-point detail: trips and snapshots"


def section() -> str:
    return readme_section(TITLE)


def fenced(kind: str) -> list[str]:
    return fenced_blocks(section(), kind)


def test_the_detail_example_prints_the_tables_shown(tmp_path: Path, monkeypatch) -> None:
    [commands] = fenced("sh")
    run, *queries = (shlex.split(line)[1:] for line in commands.splitlines() if line.strip())
    assert run == ["run", "examples/detail_sweep.json"] and len(queries) == 2
    monkeypatch.chdir(ROOT)
    store = ("--store", str(tmp_path / "store"))
    with preserved_runtime_env():
        code, _ = sweep(*run, *store, "--workers", "2", "--no-progress")
    assert code == 0
    shown = fenced("")
    assert len(shown) == 2
    for query, expected in zip(queries, shown, strict=True):
        code, out = sweep(query[0], *store, *query[1:])
        assert code == 0
        assert out == expected
