"""The parent and status handlers answer with typed results and raise typed refusals; no proxy
dict comes out of a handler (issue 10). The wire format of the same calls is pinned by the
other handler tests through `edge` (the HTTP edge)."""

from __future__ import annotations

import json

import pytest
from handler_helpers import CHILD, request

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore, RecordingInvoker
from serverless_sweep.contracts import RunStatus
from serverless_sweep.core.errors import ValidationError
from serverless_sweep.handlers.api_results import (
    Accepted,
    AlreadySubmitted,
    Conflict,
    DispatchNotStarted,
    Misconfigured,
    NotFound,
    NothingToRedrive,
)
from serverless_sweep.handlers.child import ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.ports import InvokeResult, StoreError


class RefusingInvoker(RecordingInvoker):
    """Refuses the invoke of shard 1 (the invoke API answering with an error)."""

    def invoke_async(self, function_name: str, payload: bytes) -> InvokeResult:
        if json.loads(payload)["shard_id"] == 1:
            raise ConnectionError("throttled")
        return super().invoke_async(function_name, payload)


def test_submit_inline_is_accepted_with_one_outcome_per_shard(parent: ParentHandler) -> None:
    result = parent.submit(request())
    assert isinstance(result, Accepted)
    assert (result.status, result.dispatch_state, result.attempt) == (
        "dispatch_submitted",
        "complete",
        1,
    )
    assert [o.shard_id for o in result.outcomes] == [0, 1, 2]
    assert result.failed == [] and result.dispatched_shard_ids == {0, 1, 2}
    assert result.record.run_id == "r1" and len(result.shards) == 3


def test_the_same_request_again_is_already_submitted_with_its_warnings(
    parent: ParentHandler,
) -> None:
    parent.submit(request())
    again = parent.submit(request(sed=1))
    assert isinstance(again, AlreadySubmitted)
    assert again.warnings == ("unknown field 'sed' was ignored; did you mean 'seed'?",)


def test_refusals_are_raised_with_what_the_edge_needs(parent: ParentHandler) -> None:
    with pytest.raises(ValidationError) as bad:
        parent.submit(request(shard_count=0))
    assert bad.value.details[0].pointer == "/shard_count"
    parent.submit(request())
    with pytest.raises(Conflict) as conflict:
        parent.submit(request(seed=8))
    assert conflict.value.run_id == "r1" and "choose a new run_id" in conflict.value.message
    with pytest.raises(NotFound) as missing:
        parent.redrive("nope")
    assert (missing.value.run_id, missing.value.message) == ("nope", "No run with run_id 'nope'")
    with pytest.raises(NotFound):
        parent.status("nope")


def test_misconfiguration_and_store_failures(store: MemoryObjectStore, clock: FixedClock) -> None:
    unconfigured = ParentHandler(
        invoker=RecordingInvoker(),
        store=store,
        config=ParentConfig(child_function=None, default_model="legacy_hash"),
        clock=clock,
    )
    with pytest.raises(Misconfigured, match="CHILD_LAMBDA_ARN must be configured"):
        unconfigured.submit(request())
    with pytest.raises(Misconfigured):
        unconfigured.redrive("r1")

    class BrokenStore(MemoryObjectStore):
        def list_keys(self, prefix: str) -> list[str]:
            raise StoreError("listing failed")

    broken = ParentHandler(
        invoker=RecordingInvoker(),
        store=BrokenStore(),
        config=ParentConfig(child_function=CHILD, default_model="legacy_hash"),
        clock=clock,
    )
    broken.submit(request())
    with pytest.raises(StoreError, match="listing failed"):
        broken.redrive("r1")  # escapes: the edge answers it (500 internal_error)


def test_a_refused_invoke_is_a_typed_failed_outcome(
    store: MemoryObjectStore, clock: FixedClock
) -> None:
    parent = ParentHandler(
        invoker=RefusingInvoker(),
        store=store,
        config=ParentConfig(child_function=CHILD, default_model="legacy_hash"),
        clock=clock,
    )
    result = parent.submit(request())
    assert isinstance(result, Accepted)
    assert [(o.shard_id, o.ok) for o in result.outcomes] == [(0, True), (1, False), (2, True)]
    assert [o.shard_id for o in result.failed] == [1]
    assert result.dispatched_shard_ids == {0, 2}
    parent.invoker = RecordingInvoker()
    redrive = parent.redrive("r1")
    assert isinstance(redrive, Accepted)
    assert (redrive.status, redrive.attempt) == ("redrive_submitted", 2)
    assert {s.shard_id for s in redrive.shards} == {0, 1, 2}  # nothing has run yet


def test_a_scheduler_that_fails_raises_with_the_recorded_run(
    store: MemoryObjectStore, clock: FixedClock
) -> None:
    class Broken:
        def schedule(self, run_id: str, job: str) -> None:
            raise RuntimeError("no dispatcher")

    parent = ParentHandler(
        invoker=RecordingInvoker(),
        store=store,
        config=ParentConfig(child_function=CHILD, default_model="legacy_hash"),
        clock=clock,
        scheduler=Broken(),
    )
    with pytest.raises(DispatchNotStarted) as refused:
        parent.submit(request())
    assert refused.value.record.run_id == "r1" and refused.value.run_id == "r1"


def test_status_is_the_generated_model_and_a_finished_run_has_nothing_to_redrive(
    parent: ParentHandler, child: ChildHandler, invoker: RecordingInvoker
) -> None:
    parent.submit(request())
    running = parent.status("r1")
    assert isinstance(running, RunStatus) and running.state == "running"
    for call in invoker.calls:
        child.handle(json.loads(call.payload))
    assert parent.status("r1").state == "succeeded"
    assert isinstance(parent.redrive("r1"), NothingToRedrive)
