# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/run_list.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class RunSummary(BaseModel):
    """
    A run's identity and state, as its RunStatus reports them.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    run_id: str
    """
    Run id.
    """
    run_date: date
    """
    run_date partition of the run.
    """
    accepted_at: str | None = None
    """
    UTC acceptance time (ISO 8601), from the run manifest.
    """
    model: str
    """
    Simulation model of the run.
    """
    state: Literal["running", "succeeded", "failed"]
    """
    As RunStatus.state: running, succeeded or failed.
    """
    total_points: Annotated[int, Field(ge=0)]
    """
    Points in the parameter space.
    """
    shard_count: Annotated[int, Field(ge=0)]
    """
    Shards in the plan.
    """
    succeeded_shards: Annotated[int, Field(ge=0)]
    """
    Shards with a success record.
    """
    failed_shards: Annotated[int, Field(ge=0)]
    """
    Shards whose latest attempt failed.
    """
    pending_shards: Annotated[int, Field(ge=0)]
    """
    Shards in flight or not yet dispatched.
    """
    coverage: Annotated[float, Field(ge=0.0, le=1.0)]
    """
    points_done / total_points, 0 to 1.
    """


class RunList(BaseModel):
    """
    One page of the runs in the store, newest first (GET /sweep-run). Each entry is a short summary; GET /sweep-run/{run_id} gives a run's full RunStatus. Pass next_token back as the next_token query parameter for the next, older page; it is absent on the last page.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    contract_version: Literal["1.0"] | None = None
    """
    Contract version of this document.
    """
    runs: list[RunSummary]
    """
    Runs of this page, newest first: by run_date, then acceptance time, then run_id, all descending.
    """
    damaged: list[str] | None = None
    """
    Records of runs left out of the listing because they cannot be read, each message naming the store key and the run; `sweep verify RUN_ID` looks closer. Absent when there are none.
    """
    next_token: str | None = None
    """
    Where the next (older) page starts: the sort key of this page's last run (run_date~accepted_at~run_id); pass it back unchanged as the next_token query parameter. Absent when this page is the last.
    """
