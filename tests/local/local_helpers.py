"""Helpers of the tests/local suite: requests, the CLI in-process, store listings."""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serverless_sweep.adapters.local.runtime import preserved_runtime_env
from serverless_sweep.entrypoints.cli import main


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def sweep(*argv: str | os.PathLike[str]) -> Result:
    """Run `sweep ARGV...` in this process and capture what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([os.fspath(a) for a in argv])
    return Result(code, out.getvalue(), err.getvalue())


runtime_env = preserved_runtime_env


def legacy_request(run_id: str = "leg", **overrides: Any) -> dict[str, Any]:
    """10 legacy_hash points in 5 shards: microseconds per point."""
    request: dict[str, Any] = {
        "run_id": run_id,
        "model": "legacy_hash",
        "dimensions": {"a": [1, 2, 3, 4, 5], "b": ["x", "y"]},
        "shard_count": 5,
        "seed": 7,
    }
    request.update(overrides)
    return request


def ride_request(run_id: str = "ride", **overrides: Any) -> dict[str, Any]:
    """4 tiny ride_hailing points (20 riders) in 2 shards: milliseconds per point."""
    request: dict[str, Any] = {
        "run_id": run_id,
        "model": "ride_hailing",
        "dimensions": {
            "num_riders": [20],
            "num_drivers": [4, 12],
            "commission_rate": [0.1, 0.3],
            "match_radius": [6],
        },
        "shard_count": 2,
        "seed": 11,
    }
    request.update(overrides)
    return request


def write_request(folder: Path, request: object, name: str = "request.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(request))
    return path


def files(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file of the store's datasets: relative path -> (mtime_ns, inode, bytes)."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.relative_to(root).parts[0].startswith("."):
            stat = path.stat()
            found[path.relative_to(root).as_posix()] = (
                stat.st_mtime_ns,
                stat.st_ino,
                path.read_bytes(),
            )
    return found


def matching(root: Path, pattern: str) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.glob(pattern))
