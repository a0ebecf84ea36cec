"""The README's detail-datasets example (issue 11) works exactly as printed: the commands of
its block run (the local store in a scratch folder) and print the tables shown."""

from __future__ import annotations

import contextlib
import io
import shlex
from pathlib import Path

from serverless_sweep.adapters.local.runtime import preserved_runtime_env
from serverless_sweep.entrypoints.cli import main

ROOT = Path(__file__).resolve().parents[2]
TITLE = "### Per-point detail: trips and snapshots"


def section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(TITLE)
    return text[start : text.index("\n## ", start)]


def fenced(kind: str) -> list[str]:
    """The fenced blocks of the section whose info string is `kind` ("" for plain fences)."""
    out: list[str] = []
    current: list[str] | None = None
    info = ""
    for line in section().splitlines(keepends=True):
        if line.startswith("```") and current is None:
            current, info = [], line[3:].strip()
        elif line.startswith("```"):
            if current is not None and info == kind:
                out.append("".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return out


def sweep(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(argv))
    return code, out.getvalue()


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
