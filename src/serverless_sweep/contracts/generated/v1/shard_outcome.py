# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/shard_outcome.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class Metrics(BaseModel):
    """
    Shard-level aggregates of the model's metrics (model specific; always has points_processed).
    """

    model_config = ConfigDict(
        extra="allow",
        use_attribute_docstrings=True,
    )
    points_processed: Annotated[int, Field(ge=0)]
    """
    Points computed by the shard.
    """


class ShardSummary(BaseModel):
    """
    Summary of a successful shard.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    run_id: str
    """
    Run id.
    """
    shard_id: int
    """
    Shard number.
    """
    start_index: int
    """
    First point index (inclusive).
    """
    end_index: int
    """
    Point index after the shard's last point (exclusive).
    """
    metrics: Metrics
    """
    Shard-level aggregates of the model's metrics (model specific; always has points_processed).
    """


class OutputMetadata(BaseModel):
    """
    Where the shard's rows are and what they hold.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    format: Annotated[str, Field(examples=["parquet-compatible-json"])]
    """
    Format tag kept from the old runtime (the envelope itself is JSON; rows are in the Parquet file at metrics_key).
    """
    points_processed: Annotated[int, Field(ge=0)]
    """
    Points computed by the shard.
    """
    result_key: str
    """
    Store key of this envelope.
    """
    metrics_key: str | None = None
    """
    Store key of the shard's Parquet file in the shard_metrics dataset.
    """
    metrics_size: Annotated[int | None, Field(ge=0)] = None
    """
    Size in bytes of the Parquet file at metrics_key, as committed by this envelope (absent on envelopes written before checksums).
    """
    metrics_sha256: Annotated[str | None, Field(pattern="^[0-9a-f]{64}$")] = None
    """
    SHA-256 (lowercase hex) of the Parquet file at metrics_key, as committed by this envelope; `sweep verify` compares the stored object with it (absent on envelopes written before checksums).
    """
    summary: ShardSummary
    """
    Summary of the shard.
    """


class SuccessOutcome(BaseModel):
    """
    A shard that completed; written create-if-absent, so a duplicate delivery finds it and changes nothing.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    record_schema: Literal["v1"]
    """
    Record schema of the old runtime, kept.
    """
    contract_version: Literal["1.0"] | None = None
    """
    Contract version of this envelope.
    """
    status: Literal["success"]
    """
    Outcome.
    """
    run_id: str
    """
    Run id.
    """
    shard_id: int
    """
    Shard number.
    """
    start_index: int
    """
    First point index (inclusive).
    """
    end_index: int
    """
    Point index after the shard's last point (exclusive).
    """
    event_time: str
    """
    UTC time the record was written (ISO 8601, +00:00).
    """
    output_metadata: OutputMetadata
    """
    Where the rows are.
    """
    attempt: Annotated[int | None, Field(ge=1)] = None
    """
    Attempt number that succeeded.
    """
    run_date: date | None = None
    """
    run_date partition of the run.
    """
    model: str | None = None
    """
    Model that ran.
    """
    fingerprint: str | None = None
    """
    Request fingerprint (absent on old payloads).
    """
    duration_ms: Annotated[float | None, Field(ge=0.0)] = None
    """
    Wall time of the attempt in milliseconds.
    """
    started_at: str | None = None
    """
    UTC time the attempt started (ISO 8601, +00:00); with ended_at it places the attempt on the run's timeline and feeds the run's cost and timing ledger (absent on envelopes written before the ledger).
    """
    ended_at: str | None = None
    """
    UTC time the attempt ended (ISO 8601, +00:00).
    """
    memory_mb: Annotated[int | None, Field(ge=0)] = None
    """
    Memory configured for the function that ran the attempt, in MB (Lambda's AWS_LAMBDA_FUNCTION_MEMORY_SIZE); null where none is configured (a local worker). Billed GB-seconds are the duration times this.
    """
    cold_start: bool | None = None
    """
    Whether this was the first attempt its process (a Lambda execution environment, a local worker) ran.
    """
    instance_id: str | None = None
    """
    Which execution environment ran the attempt: the Lambda log stream name, or host:pid of a local worker (the report's timeline draws one lane per instance).
    """
    runtime_version: str | None = None
    """
    serverless-sweep version that wrote the record.
    """


class FailureOutcome(BaseModel):
    """
    A failed attempt: one record per attempt, never replacing anything.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    record_schema: Literal["v1"]
    """
    Record schema of the old runtime, kept.
    """
    contract_version: Literal["1.0"] | None = None
    """
    Contract version of this envelope.
    """
    status: Literal["failure"]
    """
    Outcome.
    """
    run_id: str
    """
    Run id.
    """
    shard_id: int
    """
    Shard number.
    """
    start_index: int
    """
    First point index (inclusive).
    """
    end_index: int
    """
    Point index after the shard's last point (exclusive).
    """
    event_time: str
    """
    UTC time the record was written (ISO 8601, +00:00).
    """
    error_code: Annotated[str, Field(examples=["RuntimeError"])]
    """
    Exception class name.
    """
    error_message: str
    """
    str() of the exception.
    """
    error_kind: (
        Literal[
            "invalid_payload",
            "model_error",
            "injected",
            "storage",
            "timeout",
            "internal",
            "crashed",
            "platform_timeout",
            "expired",
        ]
        | None
    ) = None
    """
    Why the attempt failed. crashed, platform_timeout and expired are written by the on-failure recorder from Lambda's failure record (or the local runtime's equivalent) when the attempt left no record of its own: the runtime died (out of memory, a crash, a killed worker), the platform's hard timeout struck, or the event waited longer than its maximum age.
    """
    attempt: Annotated[int | None, Field(ge=1)] = None
    """
    Attempt number that failed.
    """
    attempt_id: str | None = None
    """
    Unique id of this failed attempt (names its files, so nothing is replaced).
    """
    run_date: date | None = None
    """
    run_date partition of the run.
    """
    model: str | None = None
    """
    Model of the run.
    """
    fingerprint: str | None = None
    """
    Request fingerprint (absent on old payloads).
    """
    errors_key: str | None = None
    """
    Store key of the attempt's row in the shard_errors dataset.
    """
    errors_size: Annotated[int | None, Field(ge=0)] = None
    """
    Size in bytes of the Parquet file at errors_key (absent when that file could not be written, or on envelopes written before checksums).
    """
    errors_sha256: Annotated[str | None, Field(pattern="^[0-9a-f]{64}$")] = None
    """
    SHA-256 (lowercase hex) of the Parquet file at errors_key (absent when that file could not be written, or on envelopes written before checksums).
    """
    started_at: str | None = None
    """
    UTC time the attempt started (ISO 8601, +00:00); with ended_at it places the attempt on the run's timeline and feeds the run's cost and timing ledger (absent on envelopes written before the ledger).
    """
    ended_at: str | None = None
    """
    UTC time the attempt ended (ISO 8601, +00:00).
    """
    memory_mb: Annotated[int | None, Field(ge=0)] = None
    """
    Memory configured for the function that ran the attempt, in MB (Lambda's AWS_LAMBDA_FUNCTION_MEMORY_SIZE); null where none is configured (a local worker). Billed GB-seconds are the duration times this.
    """
    cold_start: bool | None = None
    """
    Whether this was the first attempt its process (a Lambda execution environment, a local worker) ran.
    """
    instance_id: str | None = None
    """
    Which execution environment ran the attempt: the Lambda log stream name, or host:pid of a local worker (the report's timeline draws one lane per instance).
    """
    runtime_version: str | None = None
    """
    serverless-sweep version that wrote the record.
    """


class ShardOutcome(RootModel[SuccessOutcome | FailureOutcome]):
    root: Annotated[
        SuccessOutcome | FailureOutcome,
        Field(
            examples=[
                {
                    "record_schema": "v1",
                    "contract_version": "1.0",
                    "status": "failure",
                    "run_id": "r1",
                    "shard_id": 1,
                    "start_index": 2,
                    "end_index": 4,
                    "event_time": "2026-11-27T10:00:00+00:00",
                    "error_code": "RuntimeError",
                    "error_message": "Injected shard failure for verification",
                    "error_kind": "injected",
                    "attempt": 1,
                }
            ],
            title="ShardOutcome",
        ),
    ]
    """
    The record a child persists for every attempt: a success envelope (written at most once per shard, never overwritten) or a failure envelope (one per failed attempt). Field names of the old runtime's records (record_schema v1) are kept; the rest are additions.
    """
