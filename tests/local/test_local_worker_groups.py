"""A worker task of several tiny shards (`_worker.run_slotted_group`, issue 13), in process,
against a real local store: the attempts share the run's validation and the worker's handler,
and each keeps its own outcome. The judge is a fresh `ChildHandler` per payload (it validates
everything and shares nothing): every file must have the same bytes, every envelope the same
fields apart from its times. Both run on a clock that stands still, so that a row's
`compute_ms` (a time, written into the Parquet file) is the same too."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import serverless_sweep.handlers.child as child_module
from serverless_sweep.adapters.local import _worker, runtime
from serverless_sweep.adapters.local.lambda_context import LocalLambdaContext
from serverless_sweep.adapters.local.runtime import BATCH_TARGET, CHILD_FUNCTION_NAME, CHILD_TARGET
from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.adapters.memory import FixedClock
from serverless_sweep.handlers.child import ChildConfig, ChildHandler

RUN_DATE = "2026-12-01"
SHARDS = 8
#: Envelope fields that say when and where an attempt ran, not what it computed.
TIMES = ("cold_start",)


@pytest.fixture(autouse=True)
def _still_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's handler (built per store root by the runtime) gets a clock that stands
    still, as the reference handlers do."""
    monkeypatch.setattr(runtime, "LocalClock", FixedClock)


def _payload(shard: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "attempt": 1,
        "contract_version": "1.0",
        "dimensions": {"a": list(range(SHARDS)), "b": [0.5, -0.0]},
        "end_index": shard + 1,
        "failure_injection_shards": [5],
        "fingerprint": "3" * 64,
        "model": "legacy_hash",
        "run_date": RUN_DATE,
        "run_id": "group-run",
        "seed": 11,
        "shard_id": shard,
        "start_index": shard,
        "total_points": SHARDS * 2,
    }
    body.update(changes)
    return body


def _environment(root: Path) -> dict[str, str]:
    return {
        "SWEEP_STORE": str(root),
        "SWEEP_RESULTS_PREFIX": "",
        "SWEEP_DEFAULT_MODEL": "legacy_hash",
    }


def _group(
    root: Path, payloads: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> list[_worker.AttemptResult]:
    monkeypatch.setitem(_worker._environments, CHILD_FUNCTION_NAME, _environment(root))
    return _worker.run_slotted_group(
        list(range(len(payloads))),
        CHILD_TARGET,
        BATCH_TARGET,
        CHILD_FUNCTION_NAME,
        [json.dumps(p).encode() for p in payloads],
        [f"request-{i}" for i in range(len(payloads))],
        900.0,
    )


def _one_by_one(root: Path, payloads: list[dict[str, Any]]) -> list[bool]:
    """Each payload through a handler of its own: the reference."""
    outcomes = []
    for payload in payloads:
        handler = ChildHandler(
            store=LocalObjectStore(root),
            config=ChildConfig(results_prefix="", default_model="legacy_hash"),
            clock=FixedClock(),
        )
        try:
            handler.handle(copy.deepcopy(payload))
        except Exception:
            outcomes.append(False)
        else:
            outcomes.append(True)
    return outcomes


def _results(root: Path) -> dict[str, object]:
    """The shards' committed files and envelopes (times dropped); failure records by shard."""
    store = LocalObjectStore(root)
    out: dict[str, object] = {}
    for key in sorted(store.list_keys("dataset=")):
        data = store.get(key)
        assert data is not None
        if "dataset=shard_metrics" in key:
            out[key] = data
        elif "dataset=shard_outcomes" in key:
            envelope = json.loads(data)
            for name in TIMES:
                envelope.pop(name, None)
            if envelope["status"] == "failure":
                out[f"failure of shard {envelope['shard_id']}"] = (
                    envelope["error_kind"],
                    envelope["error_message"],
                )
            else:
                out[key] = envelope
    return out


def test_a_group_writes_what_fresh_handlers_write_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payloads = [_payload(i) for i in range(SHARDS)]
    results = _group(tmp_path / "group", payloads, monkeypatch)
    reference = _one_by_one(tmp_path / "alone", payloads)
    assert [r.ok for r in results] == reference == [i != 5 for i in range(SHARDS)]
    assert results[5].error_message == child_module.INJECTED_FAILURE_MESSAGE
    assert _results(tmp_path / "group") == _results(tmp_path / "alone")


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("another seed", {"seed": 12}),
        (
            "1 for 1.0 in a dimension",
            {"dimensions": {"a": [0, 1.0, 2, 3, 4, 5, 6, 7], "b": [0.5, -0.0]}},
        ),
        ("0.0 for -0.0", {"dimensions": {"a": list(range(SHARDS)), "b": [0.5, 0.0]}}),
        ("no failure injection", {"failure_injection_shards": []}),
        ("a boolean shard id", {"shard_id": True}),
        ("bounds past the space", {"start_index": 40, "end_index": 41}),
        ("not a list", {"dimensions": {"a": "abc", "b": [0.5]}}),
    ],
)
def test_a_payload_that_differs_inside_a_group_is_caught(
    name: str, change: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One payload of the group differs from the run's (in a field every shard shares, or in
    one of its own fields made invalid): it is validated in full and answered as a fresh
    handler answers it, and the shards after it are answered as before."""
    payloads = [_payload(i) for i in range(SHARDS)]
    payloads[3] = _payload(3, **change)
    results = _group(tmp_path / "group", payloads, monkeypatch)
    reference = _one_by_one(tmp_path / "alone", payloads)
    assert [r.ok for r in results] == reference, name
    assert _results(tmp_path / "group") == _results(tmp_path / "alone"), name


def test_a_group_validates_the_run_once_and_builds_its_handler_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's own environment object is each attempt's, so the runtime finds the
    worker's handler by it (no settings read per attempt), and the handler checks the
    run's payload once."""
    checks: list[object] = []
    configs: list[object] = []
    real_check = child_module.check_shard_payload  # type: ignore[attr-defined]
    real_from_env = ChildConfig.from_env

    def counted_check(event: object) -> dict[str, Any]:
        checks.append(event)
        return real_check(event)

    def counted_from_env(environ: Any = None) -> ChildConfig:
        configs.append(environ)
        return real_from_env(environ)

    monkeypatch.setattr(child_module, "check_shard_payload", counted_check)
    monkeypatch.setattr(ChildConfig, "from_env", staticmethod(counted_from_env))
    monkeypatch.setattr(runtime, "_last_handler", [])
    results = _group(tmp_path, [_payload(i) for i in range(SHARDS)], monkeypatch)
    assert all(r.ok for r in results[:5]) and all(r.ok for r in results[6:])
    assert len(checks) == 1
    assert len(configs) <= 1  # zero when an earlier test built this store's handler
    assert runtime._last_handler[0][0] is _worker._environments[CHILD_FUNCTION_NAME]


_seen: list[LocalLambdaContext] = []


def capture(event: object, context: LocalLambdaContext) -> None:
    """A function target that keeps its context."""
    _seen.append(context)


def test_an_attempt_with_another_environment_gets_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the worker's own environment object is shared; any other mapping (the invoker's
    process runs attempts with the registry's) is copied into the context, as before."""
    target = f"{__name__}:capture"
    own = {"A": "1"}
    monkeypatch.setitem(_worker._environments, "fn", own)
    _seen.clear()
    foreign = {"A": "2"}
    assert _worker.run_attempt(target, "fn", b"{}", "r1", 5.0, foreign).ok
    assert _worker.run_attempt(target, "fn", b"{}", "r2", 5.0).ok
    assert _worker.run_attempt(target, "other", b"{}", "r3", 5.0).ok
    first, second, third = _seen
    assert first.environment == foreign and first.environment is not foreign
    assert second.environment is own
    assert third.environment == {}
