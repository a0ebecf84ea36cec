"""Typed handler results -> responses: the only place they become status codes and bodies.

| result | status | body |
|---|---|---|
| `Accepted`, every shard dispatched or under way | 202 | AcceptedResponse |
| `Accepted`, shards the invoke API refused (inline) | 502 | `dispatch_error`, a detail per shard |
| `AlreadySubmitted` | 200 | AcceptedResponse, status `already_submitted` |
| `NothingToRedrive` | 200 | AcceptedResponse, status `redrive_submitted`, dispatch_state `none` |
| `RunStatus` (generated model) | 200 | RunStatus |

Accepted answers list the request's unknown fields in `warnings` (a 502 does not).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from serverless_sweep.core.errors import Violation
from serverless_sweep.entrypoints.http.errors import Problem
from serverless_sweep.entrypoints.http.routes import Request, Response, render_as
from serverless_sweep.handlers.api_results import Accepted, AlreadySubmitted, NothingToRedrive
from serverless_sweep.handlers.contract_docs import contract_document
from serverless_sweep.handlers.dispatcher import DispatchOutcome
from serverless_sweep.handlers.responses import CONTRACT_VERSION, contract_body
from serverless_sweep.handlers.runs import RunRecord

if TYPE_CHECKING:
    from pydantic import BaseModel

    from serverless_sweep.contracts import RunStatus

__all__ = ["accepted_body", "dispatch_problem"]


def accepted_body(
    record: RunRecord,
    outcomes: Sequence[DispatchOutcome],
    status: str,
    *,
    dispatch_state: str | None = None,
    to_dispatch: int | None = None,
) -> dict[str, Any]:
    """An AcceptedResponse body: the old fields in the old order, then the additions."""

    def model() -> BaseModel:  # the pydantic build, for what the generated checker is unsure of
        from serverless_sweep.contracts import AcceptedResponse, DispatchRecord

        return AcceptedResponse(
            run_id=record.run_id,
            total_points=record.total_points,
            shards_dispatched=len(outcomes),
            dispatches=[
                DispatchRecord(
                    shard_id=o.shard_id, status_code=o.status_code or 0, attempt=o.attempt
                )
                for o in outcomes
            ],
            status=status,
            contract_version=CONTRACT_VERSION,
            fingerprint=record.fingerprint,
            run_date=record.run_date,
            model=record.model,
            shard_count=len(record.manifest["shards"]),
            dispatch_state=dispatch_state,
            shards_to_dispatch=to_dispatch,
            excluded_points=record.request.get("excluded_points"),
        )

    document = {
        "run_id": record.run_id,
        "total_points": record.total_points,
        "shards_dispatched": len(outcomes),
        "dispatches": [
            {"shard_id": o.shard_id, "status_code": o.status_code or 0, "attempt": o.attempt}
            for o in outcomes
        ],
        "status": status,
        "contract_version": CONTRACT_VERSION,
        "fingerprint": record.fingerprint,
        "run_date": record.run_date,
        "model": record.model,
        "shard_count": len(record.manifest["shards"]),
        "dispatch_state": dispatch_state,
        "shards_to_dispatch": to_dispatch,
        "excluded_points": record.request.get("excluded_points"),
    }
    return contract_document("AcceptedResponse", document, model)


def dispatch_problem(result: Accepted) -> Problem | None:
    """The 502 an inline dispatch with refused invocations answers, None when none was."""
    failed = result.failed
    if not failed:
        return None
    details = tuple(
        Violation(
            f"/shards/{o.shard_id}",
            "dispatch",
            f"shard {o.shard_id} was not dispatched: " + (o.error or f"status {o.status_code}"),
        )
        for o in failed
    )
    message = (
        f"{len(failed)} of {len(result.outcomes)} shards could not be dispatched; the run is "
        f"recorded, so `redrive` dispatches exactly the missing ones"
    )
    return Problem(502, "dispatch_error", message, details, result.record.run_id)


def _with_warnings(body: dict[str, Any], warnings: Sequence[str]) -> dict[str, Any]:
    if warnings:
        body["warnings"] = list(warnings)
    return body


@render_as(Accepted)
def _accepted(result: Accepted, request: Request) -> Response:
    problem = dispatch_problem(result)
    if problem is not None:
        return problem.response()
    body = accepted_body(
        result.record,
        result.outcomes,
        result.status,
        dispatch_state=result.dispatch_state,
        to_dispatch=len(result.shards),
    )
    return Response.json(202, _with_warnings(body, result.warnings))


@render_as(AlreadySubmitted)
def _already_submitted(result: AlreadySubmitted, request: Request) -> Response:
    body = accepted_body(result.record, [], "already_submitted")
    return Response.json(200, _with_warnings(body, result.warnings))


@render_as(NothingToRedrive)
def _nothing_to_redrive(result: NothingToRedrive, request: Request) -> Response:
    body = accepted_body(result.record, [], "redrive_submitted", dispatch_state="none")
    return Response.json(200, body)


@render_as("serverless_sweep.contracts.generated.v1.run_status.RunStatus")
def _run_status(result: RunStatus, request: Request) -> Response:
    return Response.json(200, contract_body(result))
