# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/results_page.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field


class ResultPoint(BaseModel):
    """
    One point: where it is in the sweep, its parameters and its metrics.
    """

    point_index: Annotated[
        int,
        Field(
            description="Index of the point in the mixed-radix enumeration of the dimensions.", ge=0
        ),
    ]
    shard_id: Annotated[int | None, Field(description="Shard that computed the point.")] = None
    parameters: Annotated[
        dict[str, Any],
        Field(
            description="The model's parameters at this point (swept and default ones), by column name."
        ),
    ]
    metrics: Annotated[
        dict[str, Any],
        Field(
            description="The model's metrics at this point, by column name (null where the model wrote none)."
        ),
    ]


class ResultsPage(BaseModel):
    """
    One page of a compacted run's results: each point's parameters and metrics (GET /sweep-run/{run_id}/results). Pages follow order_by; next_page_token fetches the next one.
    """

    contract_version: Annotated[
        Literal["1.0"] | None, Field(description="Contract version of this document.")
    ] = None
    run_id: Annotated[str, Field(description="Run id.")]
    model: Annotated[str, Field(description="Simulation model of the run.")]
    total_points: Annotated[
        int, Field(description="Points of the run (every page together holds them all).", ge=0)
    ]
    order_by: Annotated[
        str, Field(description="Column the points are ordered by (ties in point_index order).")
    ]
    descending: Annotated[
        bool | None, Field(description="Whether order_by is descending (order_by=-column).")
    ] = None
    fields: Annotated[
        list[str] | None,
        Field(
            description="Parameter and metric columns each item carries (all of the model's when the request named none)."
        ),
    ] = None
    offset: Annotated[
        int, Field(description="Position of this page's first item in the ordering.", ge=0)
    ]
    limit: Annotated[int | None, Field(description="Most items a page holds.", ge=1)] = None
    items: Annotated[list[ResultPoint], Field(description="The points of this page.")]
    next_page_token: Annotated[
        str | None,
        Field(description="Pass as page_token for the next page; null on the last page."),
    ]
