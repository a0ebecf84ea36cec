# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/accepted_response.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field


class DispatchRecord(BaseModel):
    """
    The invoke result of one shard.
    """

    shard_id: Annotated[int, Field(description="Shard number.", examples=[0])]
    status_code: Annotated[
        int,
        Field(
            description="Status code the invoke API answered (202 for an accepted async event).",
            examples=[202],
        ),
    ]
    attempt: Annotated[
        int | None, Field(description="Attempt number sent with the shard.", examples=[1], ge=1)
    ] = None


class AcceptedResponse(BaseModel):
    """
    The parent's answer to an accepted sweep request: 202 when shards were dispatched now or an asynchronous dispatch is under way (dispatch_state), 200 when the same run_id with the same fingerprint was already accepted (nothing is dispatched again). Redrive answers with the same shape.
    """

    run_id: Annotated[
        str, Field(description="Normalized (stripped) run id.", examples=["pricing-2026-11"])
    ]
    total_points: Annotated[
        int, Field(description="Points in the parameter space.", examples=[6], ge=1)
    ]
    shards_dispatched: Annotated[
        int, Field(description="Async invocations made by this call.", examples=[3], ge=0)
    ]
    dispatches: Annotated[
        list[DispatchRecord],
        Field(description="One record per dispatched shard, in dispatch order."),
    ]
    status: Annotated[
        Literal["dispatch_submitted", "already_submitted", "redrive_submitted"],
        Field(
            description="dispatch_submitted: shards were dispatched by this call; already_submitted: the run existed with the same fingerprint; redrive_submitted: failed or missing shards were dispatched again.",
            examples=["dispatch_submitted"],
        ),
    ]
    contract_version: Annotated[
        Literal["1.0"] | None, Field(description="Contract version of this response.")
    ] = None
    fingerprint: Annotated[
        str | None,
        Field(
            description="SHA-256 (hex) of the canonical normalized request.",
            pattern="^[0-9a-f]{64}$",
        ),
    ] = None
    run_date: Annotated[
        date | None,
        Field(
            description="UTC acceptance date: the run_date partition of every record of the run.",
            examples=["2026-11-27"],
        ),
    ] = None
    model: Annotated[
        str | None, Field(description="Simulation model of the run.", examples=["ride_hailing"])
    ] = None
    shard_count: Annotated[
        int | None, Field(description="Shards in the plan.", examples=[3], ge=1)
    ] = None
    dispatch_state: Annotated[
        Literal["complete", "under_way", "none"] | None,
        Field(
            description="complete: this call invoked every shard it lists in dispatches (the old runtime's behaviour, used when no dispatcher function is configured); under_way: the run is recorded and an asynchronous dispatcher is invoking its shards now, so shards_dispatched is 0 and GET /sweep-run/{run_id} shows the progress (dispatched_shards, undispatched_shards); none: nothing needed dispatching.",
            examples=["under_way"],
        ),
    ] = None
    warnings: Annotated[
        list[str] | None,
        Field(
            description="Things the parent accepted but a caller probably did not mean, for example an unknown top-level request field (the old contract ignores unknown fields, so a typo such as 'sed' would otherwise pass silently): each names the field and, when one is close, the known field it may be a typo of. Absent or empty: nothing to report.",
            examples=[["unknown field 'sed' was ignored; did you mean 'seed'?"]],
        ),
    ] = None
    shards_to_dispatch: Annotated[
        int | None,
        Field(
            description="Shards this call handed to the dispatcher (all of them with dispatch_state complete, which lists each in dispatches).",
            examples=[3],
            ge=0,
        ),
    ] = None
    excluded_points: Annotated[
        int | None,
        Field(
            description="Points of the space skipped by the request's exclude entries and the model's own rules (ride_hailing: hungarian needs batch matching); total_points counts only the kept points, numbered without gaps. Absent when nothing was excluded.",
            examples=[4],
            ge=0,
        ),
    ] = None
