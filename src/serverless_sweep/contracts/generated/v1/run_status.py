# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/run_status.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field


class ShardFailure(BaseModel):
    """
    Latest failure of one shard.
    """

    shard_id: Annotated[int, Field(description="Shard number.")]
    attempt: Annotated[int, Field(description="Attempt that failed.")]
    error_kind: Annotated[str | None, Field(description="Why it failed.")] = None
    error_code: Annotated[str, Field(description="Exception class.")]
    error_message: Annotated[str, Field(description="Message.")]


class PriceTable(BaseModel):
    """
    The prices used, named and dated.
    """

    name: Annotated[str, Field(description="Which price list (provider, region, architecture).")]
    as_of: Annotated[date, Field(description="Date the prices were taken.")]
    usd_per_gb_second: Annotated[float, Field(description="Price of one GB-second.", ge=0.0)]
    usd_per_million_requests: Annotated[
        float, Field(description="Price of one million invocations.", ge=0.0)
    ]
    excludes: Annotated[str | None, Field(description="What the estimate leaves out.")] = None


class RunLedger(BaseModel):
    """
    Cost and timing of the run's attempts, summed from its outcome envelopes (from the compaction record once the run is compacted). Absent while the run is running.
    """

    invocations: Annotated[
        int,
        Field(description="Attempts with an outcome record (successes and failed attempts).", ge=0),
    ]
    cold_starts: Annotated[
        int | None,
        Field(description="Attempts that were the first of their process (cold starts).", ge=0),
    ] = None
    compute_seconds: Annotated[float, Field(description="Sum of the attempts' durations.", ge=0.0)]
    gb_seconds: Annotated[
        float,
        Field(
            description="Sum of duration times configured memory (GB): what Lambda bills.", ge=0.0
        ),
    ]
    shard_seconds_p50: Annotated[
        float, Field(description="Median duration of the successful attempts, in seconds.", ge=0.0)
    ]
    shard_seconds_p95: Annotated[
        float,
        Field(
            description="95th percentile (nearest rank) of the successful attempts' durations, in seconds.",
            ge=0.0,
        ),
    ]
    wall_seconds: Annotated[
        float, Field(description="From the run's acceptance to the last attempt's end.", ge=0.0)
    ]
    estimated_usd: Annotated[
        float,
        Field(
            description="gb_seconds and invocations priced with price_table (an estimate: see price_table.excludes).",
            ge=0.0,
        ),
    ]
    memory_assumed_invocations: Annotated[
        int | None,
        Field(
            description="Attempts that recorded no configured memory (local workers), priced as if they had assumed_memory_mb.",
            ge=0,
        ),
    ] = None
    assumed_memory_mb: Annotated[
        int | None,
        Field(
            description="Memory assumed for those attempts (the child's default in infra/terraform).",
            ge=0,
        ),
    ] = None
    price_table: Annotated[
        PriceTable, Field(description="The prices used, named and dated.", title="PriceTable")
    ]


class RunStatus(BaseModel):
    """
    State of a run, derived from its manifest and the outcome records in the store.
    """

    contract_version: Annotated[
        Literal["1.0"] | None, Field(description="Contract version of this document.")
    ] = None
    run_id: Annotated[str, Field(description="Run id.")]
    run_date: Annotated[date | None, Field(description="run_date partition of the run.")] = None
    model: Annotated[str | None, Field(description="Simulation model of the run.")] = None
    fingerprint: Annotated[str | None, Field(description="Request fingerprint.")] = None
    state: Annotated[
        Literal["running", "succeeded", "failed"],
        Field(
            description="running: shards pending (in flight or not yet dispatched); succeeded: every shard succeeded, or the failed, lost and undispatchable ones together stay within tolerated_failure_percentage; failed: no shard pending and too many failed, lost or undispatchable."
        ),
    ]
    total_points: Annotated[int, Field(description="Points in the parameter space.", ge=0)]
    shard_count: Annotated[int, Field(description="Shards in the plan.", ge=0)]
    succeeded_shards: Annotated[int, Field(description="Shards with a success record.", ge=0)]
    failed_shards: Annotated[
        int, Field(description="Shards without a success record whose latest attempt failed.", ge=0)
    ]
    pending_shards: Annotated[
        int,
        Field(
            description="Shards with no record yet that may still get one: in flight (dispatched_shards) or not yet dispatched (undispatched_shards); lost and dispatch-failed shards are not pending.",
            ge=0,
        ),
    ]
    points_done: Annotated[int | None, Field(description="Points in succeeded shards.", ge=0)] = (
        None
    )
    coverage: Annotated[
        float, Field(description="points_done / total_points, 0 to 1.", ge=0.0, le=1.0)
    ]
    tolerated_failure_percentage: Annotated[
        float | None,
        Field(
            description="Share of shards that may fail while the run still succeeds.",
            ge=0.0,
            le=100.0,
        ),
    ] = None
    failures: Annotated[
        list[ShardFailure] | None, Field(description="Latest failure of each failed shard.")
    ] = None
    missing_shard_ids: Annotated[
        list[int] | None, Field(description="Shards with no record yet (at most 1000 listed).")
    ] = None
    dispatched_shards: Annotated[
        int | None,
        Field(
            description="Shards without an outcome record whose latest attempt the invoke API accepted (or may have: a dispatcher stopped while invoking them) and that are not lost: in flight.",
            ge=0,
        ),
    ] = None
    undispatched_shards: Annotated[
        int | None,
        Field(
            description="Shards without an outcome record that the dispatcher has not reached yet.",
            ge=0,
        ),
    ] = None
    dispatch_failed_shards: Annotated[
        int | None,
        Field(
            description="Shards without an outcome record whose invoke the invoke API refused for good (after its retries): redrive dispatches them again. Counted like failed shards against tolerated_failure_percentage.",
            ge=0,
        ),
    ] = None
    lost_shards: Annotated[
        int | None,
        Field(
            description="Shards dispatched (or waiting for a dispatcher) longer ago than the child's maximum event age plus its timeout, still without any record: they will not run any more. Counted like failed shards; redrive reruns them.",
            ge=0,
        ),
    ] = None
    lost_shard_ids: Annotated[
        list[int] | None, Field(description="The lost shards (at most 1000 listed).")
    ] = None
    ledger: Annotated[
        RunLedger | None,
        Field(
            description="Cost and timing of the run's attempts, summed from its outcome envelopes (from the compaction record once the run is compacted). Absent while the run is running.",
            title="RunLedger",
        ),
    ] = None
