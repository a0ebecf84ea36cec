# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/run_manifest.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field


class ShardRange(BaseModel):
    """
    One shard of the plan.
    """

    shard_id: Annotated[int, Field(description="Shard number.", ge=0)]
    start_index: Annotated[int, Field(description="First point index (inclusive).", ge=0)]
    end_index: Annotated[
        int, Field(description="Point index after the last one (exclusive).", ge=1)
    ]


class RunManifest(BaseModel):
    """
    What the parent records when it accepts a run (dataset=runs): the normalized request, its fingerprint and the shard plan. Written create-if-absent before any dispatch, so a repeated submission finds it; status and redrive are derived from it.
    """

    contract_version: Annotated[
        Literal["1.0"], Field(description="Contract version of this manifest.")
    ]
    run_id: Annotated[str, Field(description="Normalized run id.")]
    run_date: Annotated[date, Field(description="UTC acceptance date (the run_date partition).")]
    accepted_at: Annotated[str | None, Field(description="UTC acceptance time (ISO 8601).")] = None
    fingerprint: Annotated[
        str,
        Field(
            description="SHA-256 (hex) of the canonical normalized request.",
            pattern="^[0-9a-f]{64}$",
        ),
    ]
    model: Annotated[str, Field(description="Resolved simulation model.")]
    request: Annotated[
        dict[str, Any],
        Field(
            description="The normalized request (run_id stripped, dimensions sorted, defaults filled in)."
        ),
    ]
    total_points: Annotated[int, Field(description="Points in the parameter space.", ge=1)]
    shards: Annotated[
        list[ShardRange],
        Field(
            description="The shard plan: half-open ranges covering [0, total_points) exactly once."
        ),
    ]
