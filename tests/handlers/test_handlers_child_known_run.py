"""The child's shortcut for shards of the run it validated last (issue 13, `child._KnownRun`).

A handler that validated one payload of a run skips the payload checks, the contract check and
the point space for the run's other shards. The judge is a fresh handler, which has validated
nothing: for every payload below, a handler that validated the run's shard 0 first must answer
exactly as a fresh one does (the same result or the same error, the same objects written, byte
for byte), whether or not the shortcut applies; and the shortcut must apply exactly where the
payload differs from the run's only in valid per-shard fields.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import serverless_sweep.handlers.child as child_module
from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.ports import ObjectStore
from serverless_sweep.models.registry import UnknownModel

INT64_MAX = 2**63 - 1
RUN_DATE = "2026-12-01"
# Values that `==` confuses with others (1 / 1.0 / true, 0.0 / -0.0), nested values, null.
DIMENSIONS: dict[str, Any] = {
    "a": [1, 2.5, 0.0, "x", True, None],
    "b": [[1, 2], {"k": 1.0}],
}
SIZE = 12
ATTEMPT_ID = re.compile(r"-([0-9a-f]{12})\.(?:json|parquet)$")


def _payload(shard: int = 0, /, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "attempt": 1,
        "contract_version": "1.0",
        "dimensions": copy.deepcopy(DIMENSIONS),
        "end_index": shard + 1,
        "failure_injection_shards": [7],
        "fingerprint": "2" * 64,
        "model": "legacy_hash",
        "run_date": RUN_DATE,
        "run_id": "known-run",
        "seed": 3,
        "shard_id": shard,
        "start_index": shard,
        "total_points": SIZE,
    }
    body.update(changes)
    return body


def _dimensions(**changes: Any) -> dict[str, Any]:
    dimensions = copy.deepcopy(DIMENSIONS)
    dimensions.update(changes)
    return dimensions


def _without(key: str) -> dict[str, Any]:
    body = _payload(3)
    del body[key]
    return body


def _reordered() -> dict[str, Any]:
    body = _payload(3)
    body["dimensions"] = {"b": body["dimensions"]["b"], "a": body["dimensions"]["a"]}
    return body


#: (name, payload, does the shortcut apply)
CASES: list[tuple[str, Callable[[], dict[str, Any]], bool]] = [
    ("another shard", lambda: _payload(5), True),
    ("another attempt", lambda: _payload(5, attempt=4), True),
    ("the last shard", lambda: _payload(SIZE - 1), True),
    ("bounds past the space", lambda: _payload(4, start_index=SIZE, end_index=SIZE + 1), True),
    ("empty bounds", lambda: _payload(4, end_index=4), True),
    ("an injected failure", lambda: _payload(7), True),
    (
        "1 became 1.0",
        lambda: _payload(3, dimensions=_dimensions(a=[1.0, 2.5, 0.0, "x", True, None])),
        False,
    ),
    (
        "true became 1",
        lambda: _payload(3, dimensions=_dimensions(a=[1, 2.5, 0.0, "x", 1, None])),
        False,
    ),
    (
        "0.0 became -0.0",
        lambda: _payload(3, dimensions=_dimensions(a=[1, 2.5, -0.0, "x", True, None])),
        False,
    ),
    (
        "a nested 1.0 became 1",
        lambda: _payload(3, dimensions=_dimensions(b=[[1, 2], {"k": 1}])),
        False,
    ),
    (
        "one value more",
        lambda: _payload(3, dimensions=_dimensions(b=[[1, 2], {"k": 1.0}, 3])),
        False,
    ),
    ("dimensions reordered", _reordered, False),
    ("a dimension that is not a list", lambda: _payload(3, dimensions=_dimensions(b="xy")), False),
    ("another seed", lambda: _payload(3, seed=4), False),
    ("a boolean seed", lambda: _payload(3, seed=True), False),
    ("another run", lambda: _payload(3, run_id="other-run"), False),
    ("another injection list", lambda: _payload(3, failure_injection_shards=[3]), False),
    ("an unknown field", lambda: _payload(3, extra="x"), False),
    ("no attempt field", lambda: _without("attempt"), False),
    ("no model field", lambda: _without("model"), False),
    ("no dimensions", lambda: _without("dimensions"), False),
    ("a boolean shard id", lambda: _payload(3, shard_id=True), False),
    ("a float start index", lambda: _payload(3, start_index=3.0), False),
    ("a negative shard id", lambda: _payload(3, shard_id=-1), False),
    ("an index past int64", lambda: _payload(3, end_index=INT64_MAX + 1), False),
    ("attempt 0", lambda: _payload(3, attempt=0), False),
    ("a boolean attempt", lambda: _payload(3, attempt=True), False),
    ("a bad fingerprint", lambda: _payload(3, fingerprint="x"), False),
    ("a bad run date", lambda: _payload(3, run_date="2026-13-01"), False),
]


def _handler() -> ChildHandler:
    config = ChildConfig(results_prefix="", default_model="legacy_hash")
    return ChildHandler(store=MemoryObjectStore(), config=config, clock=FixedClock())


def _answer(handler: ChildHandler, event: object) -> tuple[str, object]:
    try:
        return "ok", handler.handle(copy.deepcopy(event))
    except Exception as exc:
        return type(exc).__name__, str(exc)


def _written(store: ObjectStore, before: set[str]) -> dict[str, object]:
    """The objects written since `before`, byte for byte, except in failure records: their
    random attempt id is masked and their traceback (with the size and checksum of the rows
    that hold it) dropped: the shortcut raises the same error from another line."""
    out: dict[str, object] = {}
    for key in sorted(set(store.list_keys("")) - before):
        data = store.get(key)
        assert data is not None
        found = ATTEMPT_ID.search(key)
        if found is None:
            out[key] = data
            continue
        masked = key.replace(found.group(1), "<id>")
        if key.endswith(".json"):
            record = json.loads(data.decode().replace(found.group(1), "<id>"))
            for name in ("errors_sha256", "errors_size"):  # of the rows, traceback included
                assert record.pop(name)
            out[masked] = record
        else:
            rows = pq.read_table(pa.BufferReader(data)).to_pylist()
            for row in rows:
                row.pop("traceback")
                row["attempt_id"] = "<id>"
            out[masked] = rows
    return out


@pytest.mark.parametrize(("name", "make", "shortcut"), CASES, ids=[c[0] for c in CASES])
def test_a_handler_that_knows_the_run_answers_as_a_fresh_one(
    name: str, make: Callable[[], dict[str, Any]], shortcut: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[object] = []
    real_check = child_module.check_shard_payload  # type: ignore[attr-defined]

    def counted(event: object) -> dict[str, Any]:
        checks.append(event)
        return real_check(event)

    monkeypatch.setattr(child_module, "check_shard_payload", counted)
    warm = _handler()
    assert _answer(warm, _payload(0))[0] == "ok"
    assert warm._known is not None  # the run is known after its first shard
    before = set(warm.store.list_keys(""))
    checks.clear()
    event = make()
    warm_answer = _answer(warm, event)
    assert (not checks) is shortcut, f"{name}: shortcut expected {shortcut}"

    fresh = _handler()
    fresh_answer = _answer(fresh, event)
    assert warm_answer == fresh_answer
    warm_objects = _written(warm.store, before)
    fresh_objects = _written(fresh.store, set())
    assert warm_objects == fresh_objects
    assert fresh_objects or warm_answer[0] == "ValidationError"  # something was compared


def test_the_shortcut_is_taken_for_every_further_shard_and_changes_no_byte() -> None:
    warm, fresh = _handler(), _handler()
    for shard_id in range(SIZE):
        if shard_id == 7:
            continue  # the injected failure
        assert _answer(warm, _payload(shard_id)) == _answer(fresh, _payload(shard_id))
        # The fresh handler is made to forget, so it validates every shard in full.
        fresh._known = None
    assert _written(warm.store, set()) == _written(fresh.store, set())


def test_a_shard_that_mutates_its_payload_does_not_change_the_known_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The known run holds copies: what one attempt does to its payload objects (a model that
    edits its point, say) cannot make the next payload look like the run's."""
    warm = _handler()
    first = _payload(0)
    assert _answer(warm, first)[0] == "ok"
    known = warm._known
    assert known is not None
    event = _payload(1)
    warm.handle(event)
    event["dimensions"]["a"].append("mutated")
    event["failure_injection_shards"].append(2)
    assert _answer(warm, _payload(2))[0] == "ok"
    assert warm._known is known
    assert {key: value for key, value, _ in known.fixed}["dimensions"] == DIMENSIONS


def test_a_model_registered_again_under_the_run_s_model_name_is_looked_up_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The model is looked up per shard: another model object under the run's name makes the
    handler validate the payload in full and use that model."""
    warm = _handler()
    assert _answer(warm, _payload(0))[0] == "ok"
    known = warm._known
    assert known is not None
    real_model = known.model
    other = copy.copy(real_model)
    monkeypatch.setattr(
        child_module, "get_model", lambda name: other if name == "legacy_hash" else None
    )
    assert _answer(warm, _payload(1))[0] == "ok"
    assert warm._known is not None and warm._known.model is other


def test_a_model_unregistered_since_fails_the_shard_as_a_fresh_handler_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warm, fresh = _handler(), _handler()
    assert _answer(warm, _payload(0))[0] == "ok"
    assert warm._known is not None

    def unknown(name: object) -> object:
        raise UnknownModel(name)

    monkeypatch.setattr(child_module, "get_model", unknown)
    answer = _answer(warm, _payload(1))
    assert answer[0] == "ValidationError" and "unknown model 'legacy_hash'" in str(answer[1])
    assert answer == _answer(fresh, _payload(1))
    assert _written(warm.store, set()) != {}
    kinds = {
        json.loads(warm.store.get(key) or b"{}").get("error_code")
        for key in warm.store.list_keys("dataset=shard_outcomes")
        if "status=failure" in key
    }
    assert kinds == {"ValidationError"}
