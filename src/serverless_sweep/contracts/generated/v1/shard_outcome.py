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
    )
    points_processed: Annotated[int, Field(description="Points computed by the shard.", ge=0)]


class ShardSummary(BaseModel):
    """
    Summary of a successful shard.
    """

    run_id: Annotated[str, Field(description="Run id.")]
    shard_id: Annotated[int, Field(description="Shard number.")]
    start_index: Annotated[int, Field(description="First point index (inclusive).")]
    end_index: Annotated[
        int, Field(description="Point index after the shard's last point (exclusive).")
    ]
    metrics: Annotated[
        Metrics,
        Field(
            description="Shard-level aggregates of the model's metrics (model specific; always has points_processed)."
        ),
    ]


class DetailFile(BaseModel):
    """
    One committed detail file.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    dataset: Annotated[
        str, Field(description="The dataset= partition of the file: trip_data or snapshot_counts.")
    ]
    key: Annotated[
        str,
        Field(
            description="Store key of the Parquet file (part-<shard>-<attempt>.parquet in the dataset's run folder)."
        ),
    ]
    size: Annotated[int, Field(description="Size in bytes as committed.", ge=0)]
    sha256: Annotated[
        str, Field(description="SHA-256 (lowercase hex) as committed.", pattern="^[0-9a-f]{64}$")
    ]
    rows: Annotated[int, Field(description="Rows in the file.", ge=0)]


class OutputMetadata(BaseModel):
    """
    Where the shard's rows are and what they hold.
    """

    format: Annotated[
        str,
        Field(
            description="Format tag kept from the old runtime (the envelope itself is JSON; rows are in the Parquet file at metrics_key).",
            examples=["parquet-compatible-json"],
        ),
    ]
    points_processed: Annotated[int, Field(description="Points computed by the shard.", ge=0)]
    result_key: Annotated[str, Field(description="Store key of this envelope.")]
    metrics_key: Annotated[
        str | None,
        Field(description="Store key of the shard's Parquet file in the shard_metrics dataset."),
    ] = None
    metrics_size: Annotated[
        int | None,
        Field(
            description="Size in bytes of the Parquet file at metrics_key, as committed by this envelope (absent on envelopes written before checksums).",
            ge=0,
        ),
    ] = None
    metrics_sha256: Annotated[
        str | None,
        Field(
            description="SHA-256 (lowercase hex) of the Parquet file at metrics_key, as committed by this envelope; `sweep verify` compares the stored object with it (absent on envelopes written before checksums).",
            pattern="^[0-9a-f]{64}$",
        ),
    ] = None
    summary: Annotated[ShardSummary, Field(description="Summary of the shard.")]
    detail_files: Annotated[
        list[DetailFile] | None,
        Field(
            description="The per-point detail datasets the request's `outputs` asked for (trip_data, snapshot_counts), one Parquet file each, committed by this envelope like metrics_key: queries read only files an envelope names, and `sweep verify` checks their size and SHA-256. Absent when the request asked for no outputs."
        ),
    ] = None


class SuccessOutcome(BaseModel):
    """
    A shard that completed; written create-if-absent, so a duplicate delivery finds it and changes nothing.
    """

    record_schema: Annotated[
        Literal["v1"], Field(description="Record schema of the old runtime, kept.")
    ]
    contract_version: Annotated[
        Literal["1.0"] | None, Field(description="Contract version of this envelope.")
    ] = None
    status: Annotated[Literal["success"], Field(description="Outcome.")]
    run_id: Annotated[str, Field(description="Run id.")]
    shard_id: Annotated[int, Field(description="Shard number.")]
    start_index: Annotated[int, Field(description="First point index (inclusive).")]
    end_index: Annotated[
        int, Field(description="Point index after the shard's last point (exclusive).")
    ]
    event_time: Annotated[
        str, Field(description="UTC time the record was written (ISO 8601, +00:00).")
    ]
    output_metadata: Annotated[OutputMetadata, Field(description="Where the rows are.")]
    attempt: Annotated[int | None, Field(description="Attempt number that succeeded.", ge=1)] = None
    run_date: Annotated[date | None, Field(description="run_date partition of the run.")] = None
    model: Annotated[str | None, Field(description="Model that ran.")] = None
    fingerprint: Annotated[
        str | None, Field(description="Request fingerprint (absent on old payloads).")
    ] = None
    duration_ms: Annotated[
        float | None, Field(description="Wall time of the attempt in milliseconds.", ge=0.0)
    ] = None
    started_at: Annotated[
        str | None,
        Field(
            description="UTC time the attempt started (ISO 8601, +00:00); with ended_at it places the attempt on the run's timeline and feeds the run's cost and timing ledger (absent on envelopes written before the ledger)."
        ),
    ] = None
    ended_at: Annotated[
        str | None, Field(description="UTC time the attempt ended (ISO 8601, +00:00).")
    ] = None
    memory_mb: Annotated[
        int | None,
        Field(
            description="Memory configured for the function that ran the attempt, in MB (Lambda's AWS_LAMBDA_FUNCTION_MEMORY_SIZE); null where none is configured (a local worker). Billed GB-seconds are the duration times this.",
            ge=0,
        ),
    ] = None
    cold_start: Annotated[
        bool | None,
        Field(
            description="Whether this was the first attempt its process (a Lambda execution environment, a local worker) ran."
        ),
    ] = None
    instance_id: Annotated[
        str | None,
        Field(
            description="Which execution environment ran the attempt: the Lambda log stream name, or host:pid of a local worker (the report's timeline draws one lane per instance)."
        ),
    ] = None
    runtime_version: Annotated[
        str | None, Field(description="serverless-sweep version that wrote the record.")
    ] = None


class FailureOutcome(BaseModel):
    """
    A failed attempt: one record per attempt, never replacing anything.
    """

    record_schema: Annotated[
        Literal["v1"], Field(description="Record schema of the old runtime, kept.")
    ]
    contract_version: Annotated[
        Literal["1.0"] | None, Field(description="Contract version of this envelope.")
    ] = None
    status: Annotated[Literal["failure"], Field(description="Outcome.")]
    run_id: Annotated[str, Field(description="Run id.")]
    shard_id: Annotated[int, Field(description="Shard number.")]
    start_index: Annotated[int, Field(description="First point index (inclusive).")]
    end_index: Annotated[
        int, Field(description="Point index after the shard's last point (exclusive).")
    ]
    event_time: Annotated[
        str, Field(description="UTC time the record was written (ISO 8601, +00:00).")
    ]
    error_code: Annotated[
        str, Field(description="Exception class name.", examples=["RuntimeError"])
    ]
    error_message: Annotated[str, Field(description="str() of the exception.")]
    error_kind: Annotated[
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
        | None,
        Field(
            description="Why the attempt failed. crashed, platform_timeout and expired are written by the on-failure recorder from Lambda's failure record (or the local runtime's equivalent) when the attempt left no record of its own: the runtime died (out of memory, a crash, a killed worker), the platform's hard timeout struck, or the event waited longer than its maximum age."
        ),
    ] = None
    attempt: Annotated[int | None, Field(description="Attempt number that failed.", ge=1)] = None
    attempt_id: Annotated[
        str | None,
        Field(
            description="Unique id of this failed attempt (names its files, so nothing is replaced)."
        ),
    ] = None
    run_date: Annotated[date | None, Field(description="run_date partition of the run.")] = None
    model: Annotated[str | None, Field(description="Model of the run.")] = None
    fingerprint: Annotated[
        str | None, Field(description="Request fingerprint (absent on old payloads).")
    ] = None
    errors_key: Annotated[
        str | None, Field(description="Store key of the attempt's row in the shard_errors dataset.")
    ] = None
    errors_size: Annotated[
        int | None,
        Field(
            description="Size in bytes of the Parquet file at errors_key (absent when that file could not be written, or on envelopes written before checksums).",
            ge=0,
        ),
    ] = None
    errors_sha256: Annotated[
        str | None,
        Field(
            description="SHA-256 (lowercase hex) of the Parquet file at errors_key (absent when that file could not be written, or on envelopes written before checksums).",
            pattern="^[0-9a-f]{64}$",
        ),
    ] = None
    started_at: Annotated[
        str | None,
        Field(
            description="UTC time the attempt started (ISO 8601, +00:00); with ended_at it places the attempt on the run's timeline and feeds the run's cost and timing ledger (absent on envelopes written before the ledger)."
        ),
    ] = None
    ended_at: Annotated[
        str | None, Field(description="UTC time the attempt ended (ISO 8601, +00:00).")
    ] = None
    memory_mb: Annotated[
        int | None,
        Field(
            description="Memory configured for the function that ran the attempt, in MB (Lambda's AWS_LAMBDA_FUNCTION_MEMORY_SIZE); null where none is configured (a local worker). Billed GB-seconds are the duration times this.",
            ge=0,
        ),
    ] = None
    cold_start: Annotated[
        bool | None,
        Field(
            description="Whether this was the first attempt its process (a Lambda execution environment, a local worker) ran."
        ),
    ] = None
    instance_id: Annotated[
        str | None,
        Field(
            description="Which execution environment ran the attempt: the Lambda log stream name, or host:pid of a local worker (the report's timeline draws one lane per instance)."
        ),
    ] = None
    runtime_version: Annotated[
        str | None, Field(description="serverless-sweep version that wrote the record.")
    ] = None


class ShardOutcome(RootModel[SuccessOutcome | FailureOutcome]):
    root: Annotated[
        SuccessOutcome | FailureOutcome,
        Field(
            description="The record a child persists for every attempt: a success envelope (written at most once per shard, never overwritten) or a failure envelope (one per failed attempt). Field names of the old runtime's records (record_schema v1) are kept; the rest are additions.",
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
