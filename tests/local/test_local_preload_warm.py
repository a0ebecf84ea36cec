"""The fork server's warm-up of the run's model (`_preload.warm_model`, issue 13): the tiny
Parquet writer's plan and a compaction chunk are paid once in the server, for the model its
workers run and no other, without pydantic and without touching a real store. Each case runs
in a fresh interpreter, as the fork server does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Imports what the preload list names (a model's module, then `_preload`, or
#: `_preload_default_model`) and reports what was warmed.
PROBE = r"""
import json, sys
import serverless_sweep.handlers.compaction as compaction

chunks = []
real_write_chunk = compaction.write_chunk

def write_chunk(store, layout, run_date, run_id, model, shards):
    key = real_write_chunk(store, layout, run_date, run_id, model, shards)
    chunks.append([model, type(store).__name__, key is not None and store.get(key) is not None])
    return key

compaction.write_chunk = write_chunk
for name in sys.argv[1:]:
    __import__(name)
from serverless_sweep.adapters.local import _preload
from serverless_sweep.handlers import tiny_parquet
from serverless_sweep.models.columns import metrics_schema

def planned(model):
    found = tiny_parquet._cached(metrics_schema(model))
    return found is not None and found[0] is not None

print(json.dumps({
    "planned": {m: planned(m) for m in ("legacy_hash", "ride_hailing")},
    "chunks": chunks,
    "pydantic": "pydantic" in sys.modules,
    "unknown": _preload.warm_model("no-such-model"),
}))
"""


def _probe(tmp_path: Path, modules: list[str], env: dict[str, str]) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *modules],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={**os.environ, **env},
    )
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written where the server runs
    said: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return said


@pytest.mark.parametrize(
    ("modules", "env", "warmed"),
    [
        # `preload_modules("legacy_hash")` when the default model is another one
        (
            ["serverless_sweep.models.legacy_hash", "serverless_sweep.adapters.local._preload"],
            {"SWEEP_DEFAULT_MODEL": "ride_hailing"},
            "legacy_hash",
        ),
        # `preload_modules(default)`: the default model, warmed after its own warm_up()
        (
            ["serverless_sweep.adapters.local._preload_default_model"],
            {"SWEEP_DEFAULT_MODEL": "legacy_hash"},
            "legacy_hash",
        ),
        # no model named (an unknown model's preload list): nothing to warm
        (
            ["serverless_sweep.adapters.local._preload"],
            {"SWEEP_DEFAULT_MODEL": "legacy_hash"},
            None,
        ),
    ],
)
def test_the_server_warms_the_model_its_workers_run_and_no_other(
    tmp_path: Path, modules: list[str], env: dict[str, str], warmed: str | None
) -> None:
    said = _probe(tmp_path, modules, env)
    assert said["planned"] == {m: m == warmed for m in ("legacy_hash", "ride_hailing")}
    expected_chunks = [] if warmed is None else [[warmed, "MemoryObjectStore", True]]
    assert said["chunks"] == expected_chunks
    assert said["pydantic"] is False
    assert said["unknown"] is False  # an unknown model is only logged
