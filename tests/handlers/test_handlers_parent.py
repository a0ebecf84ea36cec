from __future__ import annotations

import json

import edge
from handler_helpers import CHILD, request

from serverless_sweep.adapters.memory import MemoryObjectStore, RecordingInvoker
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler


def body_of(response: dict) -> dict:
    return json.loads(response["body"])


def test_accepts_plans_and_dispatches_one_event_per_shard(parent, invoker, store):
    response = edge.submit(parent, {"body": json.dumps(request())})
    assert response["statusCode"] == 202
    body = body_of(response)
    assert body["status"] == "dispatch_submitted"
    assert body["total_points"] == 6 and body["shards_dispatched"] == 3
    assert [d["shard_id"] for d in body["dispatches"]] == [0, 1, 2]
    assert len(body["fingerprint"]) == 64 and body["run_date"] == "2026-11-27"
    payloads = [json.loads(c.payload) for c in invoker.calls]
    assert {c.function_name for c in invoker.calls} == {CHILD}
    assert [(p["start_index"], p["end_index"]) for p in payloads] == [(0, 2), (2, 4), (4, 6)]
    # dimension names are sorted in the payload and its text is compact with sorted keys
    assert list(payloads[0]["dimensions"]) == ["a", "b"]
    assert invoker.calls[0].payload.decode() == json.dumps(
        payloads[0], sort_keys=True, separators=(",", ":")
    )
    assert all(p["run_date"] == "2026-11-27" and p["attempt"] == 1 for p in payloads)
    folder = "p/dataset=runs/run_date=2026-11-27/run_id=r1/status=accepted/"
    run_records = sorted(k for k in store.objects if "/dataset=runs/" in k)
    # the manifest, and the dispatch ledger of the inline job beside it
    assert run_records == [
        f"{folder}dispatch-submit/claim-00000000.json",
        f"{folder}dispatch-submit/done-00000000.json",
        f"{folder}dispatch-submit/job.json",
        f"{folder}manifest.json",
    ]
    assert body["dispatch_state"] == "complete" and body["shards_to_dispatch"] == 3


def test_same_run_id_same_request_is_not_dispatched_again(parent, invoker):
    assert edge.submit(parent, request())["statusCode"] == 202
    again = edge.submit(parent, request(dimensions={"a": ["x", "y"], "b": [1, 2, 3]}))
    assert again["statusCode"] == 200
    assert body_of(again)["status"] == "already_submitted"
    assert len(invoker.calls) == 3


def test_same_run_id_other_request_is_a_conflict(parent, invoker):
    edge.submit(parent, request())
    response = edge.submit(parent, request(seed=8))
    assert response["statusCode"] == 409
    body = body_of(response)
    assert body["error"] == "conflict" and "r1" in body["message"]
    assert len(invoker.calls) == 3


def test_validation_error_names_field_and_rule(parent, invoker):
    response = edge.submit(parent, request(shard_count=0, seed="x"))
    assert response["statusCode"] == 400
    body = body_of(response)
    assert body["error"] == "validation_error"
    assert body["message"] == "shard_count must be a positive integer"
    pointers = {d["pointer"] for d in body["details"]}
    assert {"/shard_count", "/seed"} <= pointers
    assert invoker.calls == []


def test_max_shards_exceeded_is_a_400_not_an_exception(parent):
    response = edge.submit(parent, request(shard_count=3, max_shards=2))
    assert response["statusCode"] == 400
    assert body_of(response)["message"] == "Computed shard count 3 exceeds max_shards=2"


def test_missing_child_arn_is_a_500_after_validation(store, clock):
    handler = ParentHandler(
        invoker=RecordingInvoker(),
        store=store,
        config=ParentConfig(child_function=None, default_model="legacy_hash"),
        clock=clock,
    )
    assert edge.submit(handler, request())["statusCode"] == 500
    assert edge.submit(handler, request(run_id=" "))["statusCode"] == 400


def test_model_dimension_validation_uses_the_selected_model(parent):
    response = edge.submit(parent, request(model="ride_hailing", dimensions={"num_drivrs": [1]}))
    assert response["statusCode"] == 400
    body = body_of(response)
    assert "num_drivrs" in body["message"]
    assert body["details"][0]["pointer"] == "/dimensions/num_drivrs"


def test_oversized_payload_is_sent_by_reference(store, clock):
    invoker = RecordingInvoker()
    config = ParentConfig(
        child_function=CHILD,
        default_model="legacy_hash",
        results_prefix="p",
        payload_limit_bytes=400,
    )
    handler = ParentHandler(invoker=invoker, store=store, config=config, clock=clock)
    big = request(dimensions={"a": list(range(200))}, shard_count=2)
    assert edge.submit(handler, big)["statusCode"] == 202
    payloads = [json.loads(c.payload) for c in invoker.calls]
    assert all("dimensions" not in p for p in payloads)
    assert all(p["manifest_key"].endswith("/manifest.json") for p in payloads)
    assert all(len(c.payload) <= 400 for c in invoker.calls)


class FlakyInvoker(RecordingInvoker):
    def invoke_async(self, function_name, payload):
        if len(self.calls) == 1:
            self.calls.append(None)  # type: ignore[arg-type]
            raise ConnectionError("throttled")
        return super().invoke_async(function_name, payload)


def test_dispatch_failure_is_a_502_and_redrive_sends_only_what_is_missing(store, clock):
    invoker = FlakyInvoker()
    config = ParentConfig(child_function=CHILD, default_model="legacy_hash", results_prefix="p")
    handler = ParentHandler(invoker=invoker, store=store, config=config, clock=clock)
    response = edge.submit(handler, request())
    assert response["statusCode"] == 502
    body = body_of(response)
    assert body["error"] == "dispatch_error" and body["details"][0]["pointer"] == "/shards/1"
    # nothing has run, so every shard is missing; redrive dispatches all three with attempt 2
    handler.invoker = RecordingInvoker()
    redrive = edge.redrive(handler, "r1")
    assert redrive["statusCode"] == 202
    assert [d["attempt"] for d in body_of(redrive)["dispatches"]] == [2, 2, 2]


def test_redrive_unknown_run_is_404(parent):
    assert edge.redrive(parent, "nope")["statusCode"] == 404


def test_store_not_configured_is_a_500(clock):
    handler = ParentHandler(
        invoker=RecordingInvoker(),
        store=MemoryObjectStore(configured=False),
        config=ParentConfig(child_function=CHILD, default_model="legacy_hash"),
        clock=clock,
    )
    response = edge.submit(handler, request())
    assert response["statusCode"] == 500
    assert body_of(response)["error"] == "misconfiguration"


class BrokenStore(MemoryObjectStore):
    def list_keys(self, prefix):
        from serverless_sweep.handlers.ports import StoreError

        raise StoreError(f"listing {prefix} failed")


def test_store_failures_in_status_and_redrive_are_500s_in_the_error_contract(clock):
    from serverless_sweep.handlers.status import StatusHandler

    store = BrokenStore()
    handler = ParentHandler(
        invoker=RecordingInvoker(),
        store=store,
        config=ParentConfig(child_function=CHILD, default_model="legacy_hash"),
        clock=clock,
    )
    assert edge.submit(handler, request())["statusCode"] == 202
    for response in (
        edge.redrive(handler, "r1"),
        edge.status(StatusHandler(store, handler.layout), "r1"),
    ):
        assert response["statusCode"] == 500
        body = body_of(response)
        assert body["error"] == "internal_error" and "listing" in body["message"]
    unconfigured = edge.status(
        StatusHandler(MemoryObjectStore(configured=False), handler.layout), "r1"
    )
    assert body_of(unconfigured)["error"] == "misconfiguration"


def test_payload_text_is_exactly_the_canonical_json_of_the_payload(parent, invoker):
    odd = request(
        run_id="r{1}\u00e9",
        dimensions={"b{": [{"x}": [1.5, None, "}{"]}], "a": [-0.0, 10**30, "\u2028"]},
        seed=-3,
        failure_injection_shards=[5],
    )
    assert edge.submit(parent, odd)["statusCode"] == 202
    for call in invoker.calls:
        payload = json.loads(call.payload)
        assert call.payload.decode() == json.dumps(payload, sort_keys=True, separators=(",", ":"))
        assert payload["dimensions"] == {
            "a": [-0.0, 10**30, "\u2028"],
            "b{": [{"x}": [1.5, None, "}{"]}],
        }


def test_manifest_text_is_exactly_the_canonical_text() -> None:
    """The fast manifest writer (issue 7: a 200,000-shard plan is on the API's answer path)
    must give the bytes dumps_canonical gives, and fall back for anything unusual."""
    from serverless_sweep.core.jsonio import dumps_canonical
    from serverless_sweep.core.planning import plan_shards
    from serverless_sweep.handlers.runs import manifest_text

    planned = [s.as_dict() for s in plan_shards(1001, shard_count=7, shard_size=None, max_shards=9)]
    base = {"run_id": "r\u00e9", "request": {"dimensions": {"shards": [{"shards": []}]}}, "z": 1.5}
    for shards in (planned, [], [{"shard_id": True, "start_index": 0, "end_index": 1}],
                   [{"shard_id": 0, "start_index": 0, "end_index": 1.0}],
                   [{"start_index": 0, "shard_id": 0, "end_index": 1, "x": 2}], "odd"):  # fmt: skip
        manifest = {**base, "shards": shards}
        assert manifest_text(manifest) == dumps_canonical(manifest)
    assert manifest_text({"a": 1}) == dumps_canonical({"a": 1})
    planned_manifest = {**base, "shards": planned}
    assert manifest_text(planned_manifest, planned=True) == dumps_canonical(planned_manifest)


def test_unknown_fields_are_accepted_with_a_warning_naming_the_closest_field(parent) -> None:
    """Issue 12: `{"sed": 5, "tolerated_failure_pct": 40}` ran silently with seed 0."""
    response = edge.submit(parent, request(sed=5, tolerated_failure_pct=40, zzzz=1))
    assert response["statusCode"] == 202
    assert json.loads(response["body"])["warnings"] == [
        "unknown field 'sed' was ignored; did you mean 'seed'?",
        "unknown field 'tolerated_failure_pct' was ignored; did you mean "
        "'tolerated_failure_percentage'?",
        "unknown field 'zzzz' was ignored",
    ]
    assert "warnings" not in json.loads(edge.submit(parent, request(run_id="r2"))["body"])
