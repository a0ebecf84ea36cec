# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/shard_payload.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ShardPayload(BaseModel):
    """
    What the parent sends each child (one async invocation per shard): one half-open range [start_index, end_index) of the point space. The v1 fields of the old runtime keep their names; contract_version, run_date, model, fingerprint and attempt are additions, so payloads of the old runtime are still accepted. Either dimensions or manifest_key must be present.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    contract_version: Annotated[
        Literal["1.0"] | None,
        Field(
            description="Contract version of this payload; absent on payloads of the old runtime.",
            examples=["1.0"],
        ),
    ] = None
    run_id: Annotated[
        str,
        Field(
            description="Run id as accepted by the parent (already stripped; the child never strips).",
            examples=["pricing-2026-11"],
        ),
    ]
    dimensions: Annotated[
        dict[str, list[Any]] | None,
        Field(
            description="Parameter name -> values, in enumeration order (the parent sends names sorted by code point). Absent only when manifest_key is given.",
            examples=[{"commission_rate": [0.1, 0.2], "num_drivers": [100, 200]}],
        ),
    ] = None
    manifest_key: Annotated[
        str | None,
        Field(
            description="Store key of the run manifest holding the dimensions, used instead of inline dimensions when the payload would exceed the async invocation size limit.",
            examples=[
                "sweeps/dataset=runs/run_date=2026-11-27/run_id=pricing-2026-11/status=accepted/manifest.json"
            ],
        ),
    ] = None
    total_points: Annotated[
        int,
        Field(
            description="Size of the whole point space (informational: the child checks bounds against the real product).",
            examples=[4],
            ge=0,
        ),
    ]
    shard_id: Annotated[int, Field(description="Shard number in the plan.", examples=[0])]
    start_index: Annotated[
        int, Field(description="First point index of the shard (inclusive).", examples=[0])
    ]
    end_index: Annotated[
        int,
        Field(description="Point index after the last one of the shard (exclusive).", examples=[2]),
    ]
    seed: Annotated[int, Field(description="Root seed of the sweep.", examples=[7])]
    failure_injection_shards: Annotated[
        list[Any],
        Field(
            description="Shard ids that must fail on purpose. The parent sends non-negative integers; the child matches its shard_id by equality and tolerates other entries, as the old runtime did (a payload carrying them is still a valid v1 payload).",
            examples=[[1]],
        ),
    ]
    run_date: Annotated[
        date | None,
        Field(
            description="UTC date the parent accepted the run; names the run_date partition so retries land beside the first attempt. Absent on old payloads: the child then uses its own UTC date.",
            examples=["2026-11-27"],
        ),
    ] = None
    model: Annotated[
        str | None,
        Field(
            description="Simulation model of the run: a built-in one or one installed through the entry-point group serverless_sweep.models (the child records an unknown name as an invalid_payload failure). Absent on old payloads: the deployment default.",
            examples=["ride_hailing"],
        ),
    ] = None
    fingerprint: Annotated[
        str | None,
        Field(
            description="SHA-256 (hex) of the canonical normalized request.",
            examples=["3b8f0c1e8f2a4d6b9c0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e"],
            pattern="^[0-9a-f]{64}$",
        ),
    ] = None
    attempt: Annotated[
        int,
        Field(
            description="Attempt number of this shard: 1 on first dispatch, incremented by each redrive.",
            examples=[1],
            ge=1,
        ),
    ] = 1
    sampling: Annotated[
        dict[str, Any] | None,
        Field(
            description="The request's normalized `sampling` (absent for a plain grid): with the dimensions it defines the point space, so the child decodes its points [start_index, end_index) without the other shards."
        ),
    ] = None
    ranges: Annotated[
        dict[str, Any] | None,
        Field(
            description="The request's normalized `ranges` (absent for a plain grid): with the dimensions it defines the point space, so the child decodes its points [start_index, end_index) without the other shards."
        ),
    ] = None
    exclude: Annotated[
        list[dict[str, Any]] | None,
        Field(
            description="The request's normalized `exclude` (absent for a plain grid): with the dimensions it defines the point space, so the child decodes its points [start_index, end_index) without the other shards."
        ),
    ] = None
    outputs: Annotated[
        list[Literal["trips", "snapshots"]] | None,
        Field(
            description="The request's normalized `outputs` (sorted, absent when none): the detail datasets (trips -> trip_data, snapshots -> snapshot_counts) the child writes beside shard_metrics and commits in its success envelope. Absent: payloads are byte-identical to before."
        ),
    ] = None
