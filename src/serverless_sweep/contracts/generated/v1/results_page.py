# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/results_page.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ResultPoint(BaseModel):
    """
    One point: where it is in the sweep, its parameters and its metrics.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    point_index: Annotated[int, Field(ge=0)]
    """
    Index of the point in the mixed-radix enumeration of the dimensions.
    """
    shard_id: int | None = None
    """
    Shard that computed the point.
    """
    parameters: dict[str, Any]
    """
    The model's parameters at this point (swept and default ones), by column name.
    """
    metrics: dict[str, Any]
    """
    The model's metrics at this point, by column name (null where the model wrote none).
    """


class ResultsPage(BaseModel):
    """
    One page of a compacted run's results: each point's parameters and metrics (GET /sweep-run/{run_id}/results). Pages follow order_by; next_page_token fetches the next one.
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
    model: str
    """
    Simulation model of the run.
    """
    total_points: Annotated[int, Field(ge=0)]
    """
    Points of the run (every page together holds them all).
    """
    order_by: str
    """
    Column the points are ordered by (ties in point_index order).
    """
    descending: bool | None = None
    """
    Whether order_by is descending (order_by=-column).
    """
    fields: list[str] | None = None
    """
    Parameter and metric columns each item carries (all of the model's when the request named none).
    """
    offset: Annotated[int, Field(ge=0)]
    """
    Position of this page's first item in the ordering.
    """
    limit: Annotated[int | None, Field(ge=1)] = None
    """
    Most items a page holds.
    """
    items: list[ResultPoint]
    """
    The points of this page.
    """
    next_page_token: str | None
    """
    Pass as page_token for the next page; null on the last page.
    """
