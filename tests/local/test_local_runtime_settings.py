"""LocalRuntime hands its workers their settings explicitly (issue 10, Lithops' `extra_env`):
two runtimes in one process, each with its own store and default model, never write into each
other's store, and neither touches os.environ."""

from __future__ import annotations

import json
import os
from pathlib import Path

import edge
import pytest
from local_helpers import legacy_request

from serverless_sweep.adapters.local.runtime import RUNTIME_ENV, LocalRuntime, LocalSettings

SUCCESS_GLOB = "dataset=shard_outcomes/**/status=success/*.json"


def _successes(root: Path) -> dict[str, int]:
    """run_id -> success envelopes in the store at `root`."""
    runs: dict[str, int] = {}
    for path in root.glob(SUCCESS_GLOB):
        run_id = json.loads(path.read_bytes())["run_id"]
        runs[run_id] = runs.get(run_id, 0) + 1
    return runs


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "worker-processes"])
def test_two_runtimes_in_one_process_keep_their_own_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inline: bool
) -> None:
    for name in RUNTIME_ENV:
        monkeypatch.delenv(name, raising=False)
    before = dict(os.environ)
    first = LocalRuntime(LocalSettings(root=tmp_path / "a", workers=1, inline=inline))
    second = LocalRuntime(
        LocalSettings(root=tmp_path / "b", workers=1, inline=inline, default_model="legacy_hash")
    )
    try:
        assert dict(os.environ) == before  # constructing a runtime leaves os.environ alone
        # The first runtime's shards run after the second runtime exists: with settings in
        # os.environ they would land in the second store.
        accepted = [
            edge.submit(first.parent, legacy_request("run-a")),
            edge.submit(second.parent, legacy_request("run-b", shard_count=2)),
        ]
        assert all(r["statusCode"] == 202 for r in accepted), accepted
        assert first.wait(timeout=120) and second.wait(timeout=120)
    finally:
        first.close()
        second.close()
    assert dict(os.environ) == before
    assert first.child_environment["SWEEP_STORE"] == str((tmp_path / "a").resolve())
    assert second.child_environment["SWEEP_DEFAULT_MODEL"] == "legacy_hash"
    assert _successes(tmp_path / "a") == {"run-a": 5}
    assert _successes(tmp_path / "b") == {"run-b": 2}
