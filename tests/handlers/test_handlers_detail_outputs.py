"""Issue 11's `outputs`: the parent's checks, the fingerprint, the payload and the child's files
(memory store; the local runtime and DuckDB are in tests/local/test_local_detail_outputs.py)."""

from __future__ import annotations

import json

import edge
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from handler_helpers import CHILD, request

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore, RecordingInvoker
from serverless_sweep.core.fingerprint import request_fingerprint
from serverless_sweep.core.validation import normalize_request
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.verify import check_success_envelope

RIDE = {"num_riders": [30], "num_drivers": [3, 9], "match_radius": [6]}


def ride(**overrides: object) -> dict[str, object]:
    return request(model="ride_hailing", dimensions=RIDE, shard_count=2, **overrides)


def test_absent_and_empty_outputs_fingerprint_as_before() -> None:
    plain = normalize_request(request())
    empty = normalize_request(request(outputs=[]))
    assert "outputs" not in plain and empty == plain
    assert request_fingerprint(empty, "legacy_hash") == request_fingerprint(plain, "legacy_hash")
    asked = normalize_request(request(outputs=["trips", "snapshots", "trips"]))
    assert asked["outputs"] == ["snapshots", "trips"]
    other = normalize_request(request(outputs=["snapshots", "trips"]))
    assert request_fingerprint(asked, "m") == request_fingerprint(other, "m")
    assert request_fingerprint(asked, "m") != request_fingerprint(plain, "m")
    trips = normalize_request(request(outputs=["trips"]))
    assert request_fingerprint(trips, "m") != request_fingerprint(asked, "m")


@pytest.mark.parametrize(
    ("outputs", "fragment"),
    [
        ("trips", "outputs must be a list of 'snapshots', 'trips'"),
        (["trips", "routes"], "outputs may only name 'snapshots', 'trips'; got \"routes\""),
        ([1], "got 1"),
    ],
)
def test_malformed_outputs_are_a_400_at_the_field(
    parent: ParentHandler, invoker: RecordingInvoker, outputs: object, fragment: str
) -> None:
    response = edge.submit(parent, ride(outputs=outputs))
    assert response["statusCode"] == 400
    body = json.loads(response["body"])
    assert fragment in body["message"]
    assert [d["pointer"] for d in body["details"]] == ["/outputs"]
    assert invoker.calls == []


def test_a_model_without_detail_datasets_is_a_400_naming_field_and_model(
    parent: ParentHandler, invoker: RecordingInvoker, store: MemoryObjectStore
) -> None:
    response = edge.submit(parent, request(model="legacy_hash", outputs=["trips"]))
    assert response["statusCode"] == 400
    body = json.loads(response["body"])
    assert body["error"] == "validation_error"
    assert "outputs ['trips']" in body["message"] and "'legacy_hash'" in body["message"]
    assert [d["pointer"] for d in body["details"]] == ["/outputs"]
    assert invoker.calls == [] and not store.objects
    # the deployment default model (legacy_hash here) is checked the same way
    assert edge.submit(parent, request(outputs=["snapshots"]))["statusCode"] == 400


def test_payloads_carry_outputs_only_when_asked(parent: ParentHandler, invoker: RecordingInvoker):
    assert edge.submit(parent, ride(run_id="plain"))["statusCode"] == 202
    assert edge.submit(parent, ride(run_id="asked", outputs=["trips"]))["statusCode"] == 202
    plain = [json.loads(c.payload) for c in invoker.calls[:2]]
    asked = [json.loads(c.payload) for c in invoker.calls[2:]]
    assert all("outputs" not in p for p in plain)
    assert all(p["outputs"] == ["trips"] for p in asked)


@pytest.fixture
def ride_parent(
    invoker: RecordingInvoker, store: MemoryObjectStore, clock: FixedClock
) -> ParentHandler:
    config = ParentConfig(child_function=CHILD, default_model="ride_hailing", results_prefix="p")
    return ParentHandler(invoker=invoker, store=store, config=config, clock=clock)


def _run(ride_parent: ParentHandler, invoker: RecordingInvoker, store: MemoryObjectStore, clock):
    child = ChildHandler(
        store=store,
        config=ChildConfig(results_prefix="p", default_model="ride_hailing"),
        clock=clock,
    )
    results = [child.handle(json.loads(c.payload)) for c in invoker.calls]
    return child, results


def test_the_child_commits_one_file_per_dataset_and_a_retry_adopts_it(
    ride_parent: ParentHandler, invoker: RecordingInvoker, store: MemoryObjectStore, clock
) -> None:
    assert edge.submit(ride_parent, ride(outputs=["trips", "snapshots"]))["statusCode"] == 202
    child, _ = _run(ride_parent, invoker, store, clock)
    trips = sorted(k for k in store.objects if "/dataset=trip_data/" in k)
    snaps = sorted(k for k in store.objects if "/dataset=snapshot_counts/" in k)
    assert [k.rsplit("/", 1)[1] for k in trips] == ["part-0-1.parquet", "part-1-1.parquet"]
    assert [k.rsplit("/", 1)[1] for k in snaps] == ["part-0-1.parquet", "part-1-1.parquet"]
    envelope_key = next(k for k in store.objects if k.endswith("status=success/part-0.json"))
    envelope = json.loads(store.objects[envelope_key])
    files = envelope["output_metadata"]["detail_files"]
    assert [f["dataset"] for f in files] == ["snapshot_counts", "trip_data"]
    table = pq.read_table(pa.BufferReader(store.objects[files[1]["key"]]))
    assert table.num_rows == files[1]["rows"] > 0
    assert set(table.column("point_index").to_pylist()) == {0}
    assert table.column("rider_id").to_pylist() == sorted(table.column("rider_id").to_pylist())
    assert check_success_envelope(store, ride_parent.layout, envelope_key).problem is None

    # A platform retry of attempt 1 whose envelope PUT was lost: it finds its own files
    # (same rows) and adopts them; nothing is written twice or overwritten.
    before = {k: store.objects[k] for k in trips + snaps}
    del store.objects[envelope_key]
    child.handle(json.loads(invoker.calls[0].payload))
    assert {k: store.objects[k] for k in trips + snaps} == before
    again = json.loads(store.objects[envelope_key])["output_metadata"]["detail_files"]
    assert again == files

    # A damaged detail file makes the commit damaged (verify, status and redrive see it).
    store.objects[files[0]["key"]] = b"PAR1 truncated"
    problem = check_success_envelope(store, ride_parent.layout, envelope_key).problem
    assert problem is not None and files[0]["key"] in problem


def test_without_outputs_the_child_writes_no_detail_file(
    ride_parent: ParentHandler, invoker: RecordingInvoker, store: MemoryObjectStore, clock
) -> None:
    assert edge.submit(ride_parent, ride())["statusCode"] == 202
    _run(ride_parent, invoker, store, clock)
    assert not [k for k in store.objects if "trip_data" in k or "snapshot_counts" in k]
    envelopes = [
        json.loads(v)
        for k, v in store.objects.items()
        if "/status=success/" in k and k.endswith(".json")
    ]
    assert envelopes and all("detail_files" not in e["output_metadata"] for e in envelopes)


def test_a_hand_made_payload_asking_legacy_hash_for_outputs_fails_as_invalid(
    parent: ParentHandler, invoker: RecordingInvoker, store: MemoryObjectStore, child: ChildHandler
) -> None:
    assert edge.submit(parent, request())["statusCode"] == 202
    payload = json.loads(invoker.calls[0].payload) | {"outputs": ["trips"]}
    with pytest.raises(Exception, match="outputs"):
        child.handle(payload)
    failure = next(
        v for k, v in store.objects.items() if "/status=failure/" in k and k.endswith(".json")
    )
    assert json.loads(failure)["error_kind"] == "invalid_payload"
