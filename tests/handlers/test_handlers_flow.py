"""Parent -> child -> status -> redrive over the in-memory ports, end to end."""

from __future__ import annotations

import json

import edge
import pytest
from handler_helpers import request

from serverless_sweep.handlers.status import StatusHandler


def deliver_all(invoker, child, start=0):
    errors = 0
    for call in invoker.calls[start:]:
        try:
            child.handle(json.loads(call.payload))
        except RuntimeError:
            errors += 1
    return errors


def status_of(store, parent) -> dict:
    response = edge.status(StatusHandler(store, parent.layout, clock=parent.clock), "r1")
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def test_status_follows_the_run_and_redrive_reruns_only_failures(parent, child, invoker, store):
    edge.submit(parent, request(failure_injection_shards=[1]))
    before = status_of(store, parent)
    assert before["state"] == "running" and before["pending_shards"] == 3

    assert deliver_all(invoker, child) == 1
    after = status_of(store, parent)
    assert (after["succeeded_shards"], after["failed_shards"], after["pending_shards"]) == (2, 1, 0)
    assert after["state"] == "failed" and after["coverage"] == pytest.approx(4 / 6)
    assert after["failures"][0]["error_kind"] == "injected"

    sent = len(invoker.calls)
    redrive = json.loads(edge.redrive(parent, "r1")["body"])
    assert [(d["shard_id"], d["attempt"]) for d in redrive["dispatches"]] == [(1, 2)]
    # the injected failure fires again: the new record carries attempt 2
    deliver_all(invoker, child, sent)
    again = status_of(store, parent)
    assert again["failures"][0]["attempt"] == 2
    # a second redrive goes on counting
    redrive2 = json.loads(edge.redrive(parent, "r1")["body"])
    assert redrive2["dispatches"][0]["attempt"] == 3


def test_tolerated_failures_make_the_run_succeed(parent, child, invoker, store):
    edge.submit(parent, request(failure_injection_shards=[1], tolerated_failure_percentage=50))
    deliver_all(invoker, child)
    assert status_of(store, parent)["state"] == "succeeded"


def test_unknown_run_status_is_404(parent, store):
    assert edge.status(StatusHandler(store, parent.layout), "missing")["statusCode"] == 404
