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
        use_attribute_docstrings=True,
    )
    num_riders: Annotated[int, Field(ge=0, le=100000)] = 500
    """
    Riders spawned over the 1 h request window.
    """
    num_drivers: Annotated[int, Field(ge=0, le=20000)] = 100
    """
    Drivers spawned over the 1 h driver spread window.
    """
    match_radius: Annotated[int, Field(ge=0, le=50)] = 0
    """
    Largest grid distance (H3 cells) between rider and driver for a match; 0 = same cell only.
    """
    commission_rate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    """
    Platform share of each fare.
    """
    base_fare: Annotated[float, Field(ge=0.0)] = 2.5
    """
    Fixed part of a fare.
    """
    per_km_rate: Annotated[float, Field(ge=0.0)] = 1.5
    """
    Fare per km of trip.
    """
    surge_enabled: bool = False
    """
    Raise fares where open requests exceed idle drivers near the pickup.
    """
    surge_radius_k: Annotated[int, Field(ge=0, le=10)] = 1
    """
    Grid-disk radius (H3 cells) of the surge neighbourhood.
    """
    surge_max_multiplier: Annotated[float, Field(ge=1.0)] = 2.0
    """
    Cap of the surge multiplier.
    """
    epoch_ms: Annotated[int | None, Field(ge=0)] = None
    """
    Wall-clock time in ms at simulation time 0 (drives time-of-day traffic); null means 0 (midnight UTC, 1970-01-01).
    """
    simulation_duration_hours: Annotated[int | None, Field(ge=1, le=48)] = None
    """
    Simulation end time in hours; null means the request window plus 2 h (3 h).
    """
    matching_algorithm_type: Literal["simple", "cost_based", "hungarian"] = "hungarian"
    """
    Matcher: simple (nearest idle driver), cost_based (distance + eta_weight * ETA), hungarian (optimal batch assignment; needs batch_matching_enabled).
    """
    batch_matching_enabled: bool = True
    """
    Match waiting riders in global batches every batch_interval_secs instead of one by one on arrival.
    """
    batch_interval_secs: Annotated[int, Field(ge=1, le=3600)] = 5
    """
    Batch matching period.
    """
    eta_weight: Annotated[float, Field(ge=0.0)] = 0.1
    """
    Weight of the pickup ETA (seconds) in the cost_based and hungarian matchers' cost.
    """
    traffic_profile: Literal["none", "berlin"] = "none"
    """
    Hourly speed factors: none (flat) or berlin (rush hours slower).
    """
    dynamic_congestion_enabled: bool = False
    """
    Slow vehicles down where vehicle density is high.
    """
    base_speed_kmh: Annotated[float | None, Field(gt=0.0, le=200.0)] = None
    """
    Free-flow speed of every driver; null means each driver draws one uniformly from 20 to 60 km/h.
    """
