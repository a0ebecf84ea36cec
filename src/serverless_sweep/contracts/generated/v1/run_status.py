# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/run_status.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class ShardFailure(BaseModel):
    """
    Latest failure of one shard.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    shard_id: int
    """
    Shard number.
    """
    attempt: int
    """
    Attempt that failed.
    """
    error_kind: str | None = None
    """
    Why it failed.
    """
    error_code: str
    """
    Exception class.
    """
    error_message: str
    """
    Message.
    """


class PriceTable(BaseModel):
    """
    The prices used, named and dated.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    name: str
    """
    Which price list (provider, region, architecture).
    """
    as_of: date
    """
    Date the prices were taken.
    """
    usd_per_gb_second: Annotated[float, Field(ge=0.0)]
    """
    Price of one GB-second.
    """
    usd_per_million_requests: Annotated[float, Field(ge=0.0)]
    """
    Price of one million invocations.
    """
    excludes: str | None = None
    """
    What the estimate leaves out.
    """


class RunLedger(BaseModel):
    """
    Cost and timing of the run's attempts, summed from its outcome envelopes (from the compaction record once the run is compacted). Absent while the run is running.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    invocations: Annotated[int, Field(ge=0)]
    """
    Attempts with an outcome record (successes and failed attempts).
    """
    cold_starts: Annotated[int | None, Field(ge=0)] = None
    """
    Attempts that were the first of their process (cold starts).
    """
    compute_seconds: Annotated[float, Field(ge=0.0)]
    """
    Sum of the attempts' durations.
    """
    gb_seconds: Annotated[float, Field(ge=0.0)]
    """
    Sum of duration times configured memory (GB): what Lambda bills.
    """
    shard_seconds_p50: Annotated[float, Field(ge=0.0)]
    """
    Median duration of the successful attempts, in seconds.
    """
    shard_seconds_p95: Annotated[float, Field(ge=0.0)]
    """
    95th percentile (nearest rank) of the successful attempts' durations, in seconds.
    """
    wall_seconds: Annotated[float, Field(ge=0.0)]
    """
    From the run's acceptance to the last attempt's end.
    """
    estimated_usd: Annotated[float, Field(ge=0.0)]
    """
    gb_seconds and invocations priced with price_table (an estimate: see price_table.excludes).
    """
    memory_assumed_invocations: Annotated[int | None, Field(ge=0)] = None
    """
    Attempts that recorded no configured memory (local workers), priced as if they had assumed_memory_mb.
    """
    assumed_memory_mb: Annotated[int | None, Field(ge=0)] = None
    """
    Memory assumed for those attempts (the child's default in infra/terraform).
    """
    price_table: Annotated[PriceTable, Field(title="PriceTable")]
    """
    The prices used, named and dated.
    """


class RunStatus(BaseModel):
    """
    State of a run, derived from its manifest and the outcome records in the store.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    contract_version: Literal["1.0"] | None = None
    """
    Contract version of this document.
    """
    run_id: str
    """
    Run id.
    """
    run_date: date | None = None
    """
    run_date partition of the run.
    """
    model: str | None = None
    """
    Simulation model of the run.
    """
    fingerprint: str | None = None
    """
    Request fingerprint.
    """
    state: Literal["running", "succeeded", "failed"]
    """
    running: shards pending (in flight or not yet dispatched); succeeded: every shard succeeded, or the failed, lost and undispatchable ones together stay within tolerated_failure_percentage; failed: no shard pending and too many failed, lost or undispatchable.
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
    Shards without a success record whose latest attempt failed.
    """
    pending_shards: Annotated[int, Field(ge=0)]
    """
    Shards with no record yet that may still get one: in flight (dispatched_shards) or not yet dispatched (undispatched_shards); lost and dispatch-failed shards are not pending.
    """
    points_done: Annotated[int | None, Field(ge=0)] = None
    """
    Points in succeeded shards.
    """
    coverage: Annotated[float, Field(ge=0.0, le=1.0)]
    """
    points_done / total_points, 0 to 1.
    """
    tolerated_failure_percentage: Annotated[float | None, Field(ge=0.0, le=100.0)] = None
    """
    Share of shards that may fail while the run still succeeds.
    """
    failures: list[ShardFailure] | None = None
    """
    Latest failure of each failed shard.
    """
    missing_shard_ids: list[int] | None = None
    """
    Shards with no record yet (at most 1000 listed).
    """
    dispatched_shards: Annotated[int | None, Field(ge=0)] = None
    """
    Shards without an outcome record whose latest attempt the invoke API accepted (or may have: a dispatcher stopped while invoking them) and that are not lost: in flight.
    """
    undispatched_shards: Annotated[int | None, Field(ge=0)] = None
    """
    Shards without an outcome record that the dispatcher has not reached yet.
    """
    dispatch_failed_shards: Annotated[int | None, Field(ge=0)] = None
    """
    Shards without an outcome record whose invoke the invoke API refused for good (after its retries): redrive dispatches them again. Counted like failed shards against tolerated_failure_percentage.
    """
    lost_shards: Annotated[int | None, Field(ge=0)] = None
    """
    Shards dispatched (or waiting for a dispatcher) longer ago than the child's maximum event age plus its timeout, still without any record: they will not run any more. Counted like failed shards; redrive reruns them.
    """
    lost_shard_ids: list[int] | None = None
    """
    The lost shards (at most 1000 listed).
    """
    ledger: Annotated[RunLedger | None, Field(title="RunLedger")] = None
    """
    Cost and timing of the run's attempts, summed from its outcome envelopes (from the compaction record once the run is compacted). Absent while the run is running.
    """
