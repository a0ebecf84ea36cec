# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/run_manifest.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ShardRange(BaseModel):
    """
    One shard of the plan.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    shard_id: Annotated[int, Field(ge=0)]
    """
    Shard number.
    """
    start_index: Annotated[int, Field(ge=0)]
    """
    First point index (inclusive).
    """
    end_index: Annotated[int, Field(ge=1)]
    """
    Point index after the last one (exclusive).
    """


class RunManifest(BaseModel):
    """
    What the parent records when it accepts a run (dataset=runs): the normalized request, its fingerprint and the shard plan. Written create-if-absent before any dispatch, so a repeated submission finds it; status and redrive are derived from it.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    contract_version: Literal["1.0"]
    """
    Contract version of this manifest.
    """
    run_id: str
    """
    Normalized run id.
    """
    run_date: date
    """
    UTC acceptance date (the run_date partition).
    """
    accepted_at: str | None = None
    """
    UTC acceptance time (ISO 8601).
    """
    fingerprint: Annotated[str, Field(pattern="^[0-9a-f]{64}$")]
    """
    SHA-256 (hex) of the canonical normalized request.
    """
    model: str
    """
    Resolved simulation model.
    """
    request: dict[str, Any]
    """
    The normalized request (run_id stripped, dimensions sorted, defaults filled in).
    """
    total_points: Annotated[int, Field(ge=1)]
    """
    Points in the parameter space.
    """
    shards: list[ShardRange]
    """
    The shard plan: half-open ranges covering [0, total_points) exactly once.
    """
