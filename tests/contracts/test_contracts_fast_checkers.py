"""The generated pydantic-free checkers (contracts/generated/v1/fast.py) against the models.

The promise the hot paths rely on (handlers/contract_docs.py): where a checker accepts a value,
`Model.model_validate(value).model_dump(mode="json", exclude_none=True)` accepts it too and
dumps the very same JSON (key order and int/float included); where the model refuses, the
checker does not accept. Checked on documents the handlers build, on the replay fixtures'
requests, payloads and envelopes (read in place), and on hypothesis-made near-misses of them.
A checker that says "not sure" too often would only be slow, so the documents the Lambda hot
paths build must be accepted as well.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from serverless_sweep.adapters.memory import MemoryObjectStore, RecordingInvoker
from serverless_sweep.contracts.generated import v1
from serverless_sweep.contracts.generated.v1 import fast
from serverless_sweep.core.validation import normalize_request
from serverless_sweep.entrypoints.http.proxy import submit_event
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.contract_docs import (
    ContractRejected,
    DocumentView,
    model_class,
    validated_document,
    view_from_json,
)
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.responses import contract_body
from serverless_sweep.handlers.status import StatusHandler
from serverless_sweep.models.registry import model_names

# The documents the Lambda parent's submit and the child's shard build or check.
HOT = (
    "AcceptedResponse",
    "ErrorResponse",
    "FailureOutcome",
    "RunManifest",
    "ShardPayload",
    "SuccessOutcome",
    "SweepRequest",
)


def pydantic_body(name: str, value: object) -> dict[str, Any] | None:
    """The model's dump, None when it refuses the value."""
    try:
        model = model_class(name).model_validate(value)
    except PydanticValidationError:
        return None
    return model.model_dump(mode="json", exclude_none=True)


def assert_agrees(name: str, value: object) -> dict[str, Any] | None:
    """fast accepts => pydantic accepts with an identical dump (order and number types)."""
    body = fast.check(name, copy.deepcopy(value))
    if body is None:
        return None
    expected = pydantic_body(name, value)
    assert expected is not None, f"{name}: the checker accepted what the model refuses: {value!r}"
    assert json.dumps(body) == json.dumps(expected), f"{name}: dumps differ for {value!r}"
    return body


# -- the generated module itself -------------------------------------------------------------


def test_every_checker_names_a_model_with_the_same_fields_in_the_same_order() -> None:
    assert set(fast.CHECKERS) <= set(v1.MODEL_MODULES)
    for name, fields in fast.FIELDS.items():
        model: type[BaseModel] = model_class(name)
        assert fields == tuple(model.model_fields), name
        assert all(f.alias is None for f in model.model_fields.values()), name


def test_the_hot_documents_have_checkers_that_are_not_disabled() -> None:
    for name in HOT:
        assert name in fast.CHECKERS, name
        assert name not in fast.UNSUPPORTED, fast.UNSUPPORTED.get(name)


def test_a_non_dict_or_unknown_coercion_is_not_sure() -> None:
    request = {"run_id": "r", "dimensions": {"a": [1]}, "shard_count": 1}
    assert fast.check("SweepRequest", request) is not None
    for changed in (
        {**request, "shard_count": True},  # pydantic takes a bool for an int
        {**request, "shard_count": 1.0},  # and an integral float
        {**request, "seed": "7"},  # and a numeric string
        {**request, "dimensions": {"a": (1,)}},  # and a tuple for a list
        {**request, "dimensions": {"a": [math.nan]}},  # NaN dumps as null
        {**request, "failure_injection_shards": [2**64]},
    ):
        assert fast.check("SweepRequest", changed) is None, changed
    assert fast.check("SweepRequest", [request]) is None
    assert fast.check("SweepRequest", None) is None


def test_defaults_are_dumped_and_numbers_are_floats_as_pydantic_dumps_them() -> None:
    body = assert_agrees("SweepRequest", {"run_id": "r", "dimensions": {}, "extra": None, "x": 1})
    assert body == {
        "run_id": "r",
        "dimensions": {},
        "max_shards": 1000,
        "seed": 0,
        "failure_injection_shards": [],
        "tolerated_failure_percentage": 0.0,
        "max_concurrency": 0,
        "outputs": [],
        "x": 1,
    }
    ranged = {"run_id": "r", "dimensions": {}, "ranges": {"a": {"min": 1, "max": 2}}}
    assert assert_agrees("SweepRequest", ranged) is not None


# -- documents the handlers build --------------------------------------------------------------


def handler_documents() -> Iterator[tuple[str, Any]]:
    """Every document a small run writes or answers, with its model (legacy_hash, memory)."""
    store, invoker = MemoryObjectStore(), RecordingInvoker()
    parent = ParentHandler(
        invoker=invoker,
        store=store,
        config=ParentConfig(child_function="child", default_model="legacy_hash"),
    )
    requests = [
        {"run_id": "fast-1", "dimensions": {"a": [1, 2, 3], "b": ["x", None]}, "shard_count": 3},
        {
            "run_id": " fast-2 ",
            "dimensions": {"commission_rate": [0.1, 0.25]},
            "shard_size": 1,
            "failure_injection_shards": [1],
            "seed": -5,
            "sed": 1,
        },
        {"run_id": "fast-1", "dimensions": {"a": [9]}, "shard_count": 1},  # 409
        {"run_id": "bad", "dimensions": {"a": []}, "shard_count": 1},  # 400
    ]
    for request in requests:
        yield "SweepRequest", request
        answer = submit_event(parent, {"body": json.dumps(request)})
        body = json.loads(answer["body"])
        yield ("AcceptedResponse" if answer["statusCode"] < 300 else "ErrorResponse"), body
    child = ChildHandler(
        store=store,
        config=ChildConfig(results_prefix=parent.layout.prefix, default_model="legacy_hash"),
    )
    for call in invoker.calls:
        payload = json.loads(call.payload)
        yield "ShardPayload", payload
        with contextlib.suppress(RuntimeError):  # the injected failure: its envelope is below
            child.handle(payload)
    for key, data in sorted(store.objects.items()):
        if not key.endswith(".json"):
            continue
        document = json.loads(data)
        if "dataset=shard_outcomes/" in key:
            yield ("SuccessOutcome" if "status=success" in key else "FailureOutcome"), document
        elif key.endswith("/manifest.json"):
            yield "RunManifest", document
    for run_id in ("fast-1", "fast-2"):
        handler = StatusHandler(store, parent.layout)
        body = handler.body(run_id)
        # The API's body (checker) is the model's dump, byte for byte.
        assert json.dumps(body) == json.dumps(contract_body(handler.handle(run_id)))
        yield "RunStatus", body


def test_the_documents_the_handlers_build_are_accepted_with_the_models_dump() -> None:
    seen: dict[str, int] = {}
    for name, document in handler_documents():
        body = assert_agrees(name, document)
        if pydantic_body(name, document) is None:  # the 400 request
            continue
        assert body is not None, f"{name} not accepted: {document!r}"
        seen[name] = seen.get(name, 0) + 1
    assert set(HOT) | {"RunStatus"} <= set(seen), seen


# -- the replay fixtures, read in place ----------------------------------------------------------


def replay_dir() -> Path:
    configured = os.environ.get("SWEEP_REPLAY_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "shared" / "replay"


def replay_documents() -> Iterator[tuple[str, Any]]:
    """Requests (raw and normalized), shard payloads and envelopes of every recorded case."""
    for path in sorted(replay_dir().glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            given_input, expected = case["input"], case["expected"]
            if "payload" in given_input:
                yield from _requests(given_input["payload"])
            event = given_input.get("event")
            if isinstance(event, dict) and isinstance(event.get("body"), str):
                with contextlib.suppress(ValueError):
                    body = json.loads(event["body"])
                    yield from _requests(body)
            for invocation in expected.get("invocations", []):
                if invocation.get("Payload") is not None:
                    yield "ShardPayload", invocation["Payload"]
            if path.name.startswith("child"):
                yield "ShardPayload", event
            for write in expected.get("writes", []):
                body = write.get("body")
                if isinstance(body, dict) and body.get("status") in ("success", "failure"):
                    yield f"{body['status'].capitalize()}Outcome", body


def _requests(payload: object) -> Iterator[tuple[str, Any]]:
    yield "SweepRequest", payload
    try:
        normalized = normalize_request(payload, known_models=model_names())
    except ValueError:
        return
    yield "SweepRequest", normalized


@pytest.fixture(scope="module")
def replay_corpus() -> list[tuple[str, Any]]:
    if not replay_dir().is_dir():
        pytest.skip(f"replay fixtures not found at {replay_dir()} (set SWEEP_REPLAY_DIR)")
    return list(replay_documents())


def test_replay_documents_agree_and_most_valid_ones_take_the_fast_path(
    replay_corpus: list[tuple[str, Any]],
) -> None:
    accepted = valid = 0
    for name, document in replay_corpus:
        valid += pydantic_body(name, document) is not None
        accepted += assert_agrees(name, document) is not None
    assert len(replay_corpus) > 1000
    # Not a speed claim: the checker must not be "not sure" of nearly everything.
    assert accepted > valid / 2, (accepted, valid)


# -- hypothesis: near-misses of valid documents --------------------------------------------------

NASTY: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    7,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    2**64,
    10**30,
    0.0,
    -0.0,
    1.0,
    1.5,
    1e300,
    math.inf,
    -math.inf,
    math.nan,
    "",
    " ",
    "\n",
    "x",
    "1",
    "1.0",
    "r\n",
    "2026-11-27",
    "2024-02-29",
    "2026-02-29",
    "2026-13-01",
    "0000-01-01",
    "2026-11-27T00:00:00",
    "20261127",
    "f" * 64,
    "f" * 64 + "\n",
    "F" * 64,
    "\ud800",
    "1.0",
    "success",
    "failure",
    "injected",
    "trips",
    "sobol",
    [],
    [1],
    [None],
    [1.5, True],
    ["trips", "trips"],
    {},
    {"a": None},
    {"a": [1]},
    {"min": 1, "max": 2},
    {"method": "grid"},
    (1, 2),
    {1: "x"},
    b"bytes",
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _mutate(document: Any, data: st.DataObject) -> Any:
    document = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(_paths(document))
        path = data.draw(st.sampled_from(paths))
        action = data.draw(st.sampled_from(["replace", "delete", "add", "wrap"]))
        nasty = copy.deepcopy(data.draw(st.sampled_from(NASTY)))
        if not path:
            if isinstance(document, dict) and action == "add":
                key = data.draw(st.sampled_from(["zz", "model", "attempt", "seed", "extra"]))
                document[key] = nasty
            continue
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if action == "delete" and isinstance(parent, dict):
            del parent[last]
        elif action == "delete" and isinstance(parent, list):
            parent.pop(last)
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][data.draw(st.sampled_from(["zz", "min", "a", "format", "\ud800", ""]))] = (
                nasty
            )
        elif action == "add" and isinstance(parent[last], list):
            parent[last].append(nasty)
        elif action == "wrap":
            parent[last] = [parent[last]]
        else:
            parent[last] = nasty
    return document


@pytest.fixture(scope="module")
def seeds() -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for name, document in handler_documents():
        found.setdefault(name, []).append(document)
    found["SweepRequest"].append(
        {
            "run_id": "s",
            "dimensions": {"num_drivers": [5, 10], "surge_enabled": [True, False]},
            "ranges": {"commission_rate": {"min": 0.1, "max": 0.3, "log": True}},
            "sampling": {"method": "sobol", "count": 4, "seed": 3},
            "exclude": [{"surge_enabled": True}],
            "outputs": ["trips"],
            "tolerated_failure_percentage": 12.5,
            "max_concurrency": 3,
            "model": "ride_hailing",
            "preset": "minimal",
            "shard_size": 2,
        }
    )
    return found


def test_every_single_substitution_of_a_nasty_value_agrees(seeds: dict[str, list[Any]]) -> None:
    """Exhaustive where hypothesis samples: each value of each seed document, replaced by each
    NASTY value in turn (and each key deleted)."""
    checked = 0
    for name, documents in sorted(seeds.items()):
        for document in documents:
            for path in list(_paths(document))[1:]:
                for nasty in [*NASTY, _DELETE]:
                    changed = copy.deepcopy(document)
                    parent = changed
                    for step in path[:-1]:
                        parent = parent[step]
                    if nasty is _DELETE:
                        del parent[path[-1]]
                    else:
                        parent[path[-1]] = copy.deepcopy(nasty)
                    assert_agrees(name, changed)
                    checked += 1
    assert checked > 10_000


_DELETE = object()


@settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_near_miss_documents_never_pass_the_checker_where_the_model_differs(
    seeds: dict[str, list[Any]], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(seeds)))
    document = _mutate(data.draw(st.sampled_from(seeds[name])), data)
    assert_agrees(name, document)


# -- the helpers the handlers call ---------------------------------------------------------------


def test_validated_document_falls_back_to_the_models_own_message() -> None:
    with pytest.raises(ContractRejected) as caught:
        validated_document("SweepRequest", {"run_id": "r", "dimensions": {"a": [1]}, "seed": 1.5})
    try:
        model_class("SweepRequest").model_validate(
            {"run_id": "r", "dimensions": {"a": [1]}, "seed": 1.5}
        )
    except PydanticValidationError as exc:
        assert str(caught.value) == str(exc)
        assert [v.pointer for v in caught.value.violations] == ["/seed"]
    coerced = validated_document("SweepRequest", {"run_id": "r", "dimensions": {}, "seed": True})
    assert coerced["seed"] == 1  # pydantic's coercion, kept where the checker is not sure


MANIFEST = {
    "contract_version": "1.0",
    "run_id": "r",
    "run_date": "2026-11-27",
    "accepted_at": "2026-11-27T10:00:00+00:00",
    "fingerprint": "a" * 64,
    "model": "legacy_hash",
    "request": {"dimensions": {"a": [1, 2.5, None, {"b": None}]}, "seed": 10**30},
    "total_points": 4,
    "shards": [{"shard_id": 0, "start_index": 0, "end_index": 4}],
}


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps(MANIFEST).encode(),
        json.dumps(MANIFEST).replace('"r"', '"r", "run_id": "s"', 1).encode(),  # duplicate key
        json.dumps(MANIFEST).replace("2.5", "NaN").encode(),
        json.dumps(MANIFEST).replace('"r"', '"\\ud800"', 1).encode(),  # lone surrogate
        json.dumps(MANIFEST).replace("4,", "4.0,", 1).encode(),  # total_points 4.0
        b"\xef\xbb\xbf" + json.dumps(MANIFEST).encode(),  # a BOM
        json.dumps(MANIFEST).encode("utf-16"),
        json.dumps(MANIFEST)[:-3].encode(),
        b"\xff" + json.dumps(MANIFEST).encode(),
    ],
)
def test_json_documents_read_as_the_models_json_parser_reads_them(raw: bytes) -> None:
    try:
        expected: Any = model_class("RunManifest").model_validate_json(raw)
    except PydanticValidationError as exc:
        with pytest.raises(ContractRejected, match="validation error"):
            view_from_json("RunManifest", raw)
        assert str(exc)
        return
    got = view_from_json("RunManifest", raw)
    if isinstance(got, DocumentView):
        assert json.dumps(got.request) == json.dumps(expected.request)
        assert got.run_id == expected.run_id
        assert got.total_points == expected.total_points
    else:  # the model itself (NaN != NaN, so compare the reprs)
        assert type(got) is type(expected)
        assert repr(got.model_dump()) == repr(expected.model_dump())
