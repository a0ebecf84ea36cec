# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/models/ride_hailing/parameters.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class RideHailingParameters(BaseModel):
    """
    Sweepable parameters of the ride_hailing model, a discrete-event simulation of a Berlin ride-hailing marketplace. Every dimension of a request for this model must be one of these names, and each of its values must satisfy the property's schema. Parameters not swept take their default.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    num_riders: Annotated[
        int, Field(description="Riders spawned over the 1 h request window.", ge=0, le=100000)
    ] = 500
    num_drivers: Annotated[
        int, Field(description="Drivers spawned over the 1 h driver spread window.", ge=0, le=20000)
    ] = 100
    match_radius: Annotated[
        int,
        Field(
            description="Largest grid distance (H3 cells) between rider and driver for a match; 0 = same cell only.",
            ge=0,
            le=50,
        ),
    ] = 0
    commission_rate: Annotated[
        float, Field(description="Platform share of each fare.", ge=0.0, le=1.0)
    ] = 0.0
    base_fare: Annotated[float, Field(description="Fixed part of a fare.", ge=0.0)] = 2.5
    per_km_rate: Annotated[float, Field(description="Fare per km of trip.", ge=0.0)] = 1.5
    surge_enabled: Annotated[
        bool,
        Field(description="Raise fares where open requests exceed idle drivers near the pickup."),
    ] = False
    surge_radius_k: Annotated[
        int,
        Field(description="Grid-disk radius (H3 cells) of the surge neighbourhood.", ge=0, le=10),
    ] = 1
    surge_max_multiplier: Annotated[
        float, Field(description="Cap of the surge multiplier.", ge=1.0)
    ] = 2.0
    epoch_ms: Annotated[
        int | None,
        Field(
            description="Wall-clock time in ms at simulation time 0 (drives time-of-day traffic); null means 0 (midnight UTC, 1970-01-01).",
            ge=0,
        ),
    ] = None
    simulation_duration_hours: Annotated[
        int | None,
        Field(
            description="Simulation end time in hours; null means the request window plus 2 h (3 h).",
            ge=1,
            le=48,
        ),
    ] = None
    matching_algorithm_type: Annotated[
        Literal["simple", "cost_based", "hungarian"],
        Field(
            description="Matcher: simple (nearest idle driver), cost_based (distance + eta_weight * ETA), hungarian (optimal batch assignment; needs batch_matching_enabled)."
        ),
    ] = "hungarian"
    batch_matching_enabled: Annotated[
        bool,
        Field(
            description="Match waiting riders in global batches every batch_interval_secs instead of one by one on arrival."
        ),
    ] = True
    batch_interval_secs: Annotated[
        int, Field(description="Batch matching period.", ge=1, le=3600)
    ] = 5
    eta_weight: Annotated[
        float,
        Field(
            description="Weight of the pickup ETA (seconds) in the cost_based and hungarian matchers' cost.",
            ge=0.0,
        ),
    ] = 0.1
    traffic_profile: Annotated[
        Literal["none", "berlin"],
        Field(description="Hourly speed factors: none (flat) or berlin (rush hours slower)."),
    ] = "none"
    dynamic_congestion_enabled: Annotated[
        bool, Field(description="Slow vehicles down where vehicle density is high.")
    ] = False
    base_speed_kmh: Annotated[
        float | None,
        Field(
            description="Free-flow speed of every driver; null means each driver draws one uniformly from 20 to 60 km/h.",
            gt=0.0,
            le=200.0,
        ),
    ] = None
