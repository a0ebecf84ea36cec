# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/run_list.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field


class RunSummary(BaseModel):
    """
    A run's identity and state, as its RunStatus reports them.
    """

    run_id: Annotated[str, Field(description="Run id.")]
    run_date: Annotated[date, Field(description="run_date partition of the run.")]
    accepted_at: Annotated[
        str | None, Field(description="UTC acceptance time (ISO 8601), from the run manifest.")
    ] = None
    model: Annotated[str, Field(description="Simulation model of the run.")]
    state: Annotated[
        Literal["running", "succeeded", "failed"],
        Field(description="As RunStatus.state: running, succeeded or failed."),
    ]
    total_points: Annotated[int, Field(description="Points in the parameter space.", ge=0)]
    shard_count: Annotated[int, Field(description="Shards in the plan.", ge=0)]
    succeeded_shards: Annotated[int, Field(description="Shards with a success record.", ge=0)]
    failed_shards: Annotated[int, Field(description="Shards whose latest attempt failed.", ge=0)]
    pending_shards: Annotated[
        int, Field(description="Shards in flight or not yet dispatched.", ge=0)
    ]
    coverage: Annotated[
        float, Field(description="points_done / total_points, 0 to 1.", ge=0.0, le=1.0)
    ]


class RunList(BaseModel):
    """
    One page of the runs in the store, newest first (GET /sweep-run). Each entry is a short summary; GET /sweep-run/{run_id} gives a run's full RunStatus. Pass next_token back as the next_token query parameter for the next, older page; it is absent on the last page.
    """

    contract_version: Annotated[
        Literal["1.0"] | None, Field(description="Contract version of this document.")
    ] = None
    runs: Annotated[
        list[RunSummary],
        Field(
            description="Runs of this page, newest first: by run_date, then acceptance time, then run_id, all descending."
        ),
    ]
    damaged: Annotated[
        list[str] | None,
        Field(
            description="Records of runs left out of the listing because they cannot be read, each message naming the store key and the run; `sweep verify RUN_ID` looks closer. Absent when there are none."
        ),
    ] = None
    next_token: Annotated[
        str | None,
        Field(
            description="Where the next (older) page starts: the sort key of this page's last run (run_date~accepted_at~run_id); pass it back unchanged as the next_token query parameter. Absent when this page is the last."
        ),
    ] = None
