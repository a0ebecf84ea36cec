# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/datasets/shard_errors.json, schemas/v1/datasets/shard_metrics.json, schemas/v1/datasets/snapshot_counts.json, schemas/v1/datasets/trip_data.json, schemas/v1/models/legacy_hash/columns.json, schemas/v1/models/ride_hailing/columns.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

"""Arrow schemas of the Parquet datasets, generated from the column specs of schemas/v1.

Field metadata carries each column's `description` and, when it has one, its `unit`. Partition
keys (dataset, run_date, run_id, status) are path segments, never columns.
shard_metrics files of a model hold `shard_metrics_schema(model)`: the common leading columns,
then the model's own columns. The Athena table reads `SHARD_METRICS_UNION_SCHEMA` (the common
columns, then every model's columns in model-name order, deduplicated by name) by column name.
"""

from __future__ import annotations

from typing import Any, Final

import pyarrow as pa

from serverless_sweep.contracts.generated.v1.constants import MODELS as MODELS

PARTITION_KEYS: Final[tuple[str, ...]] = ("dataset", "run_date", "run_id", "status")

# The column specs as plain data: schema name -> spec (dataset, description, columns).
COLUMN_SPECS: Final[dict[str, dict[str, Any]]] = {
    "datasets/shard_errors": {
        "dataset": "shard_errors",
        "description": "One row per failed shard attempt (one file per attempt, never replaced).",
        "columns": [
            {
                "name": "shard_id",
                "type": "int64",
                "nullable": False,
                "description": "Shard that failed.",
                "unit": None,
            },
            {
                "name": "start_index",
                "type": "int64",
                "nullable": False,
                "description": "First point index of the shard (inclusive).",
                "unit": None,
            },
            {
                "name": "end_index",
                "type": "int64",
                "nullable": False,
                "description": "Point index after the shard's last point (exclusive).",
                "unit": None,
            },
            {
                "name": "attempt",
                "type": "int32",
                "nullable": False,
                "description": "Attempt number that failed.",
                "unit": None,
            },
            {
                "name": "attempt_id",
                "type": "string",
                "nullable": False,
                "description": "Unique id of the failed attempt.",
                "unit": None,
            },
            {
                "name": "model",
                "type": "string",
                "nullable": True,
                "description": "Model of the run, when known.",
                "unit": None,
            },
            {
                "name": "error_code",
                "type": "string",
                "nullable": False,
                "description": "Exception class name.",
                "unit": None,
            },
            {
                "name": "error_kind",
                "type": "string",
                "nullable": False,
                "description": "invalid_payload, model_error, injected, storage, timeout or internal; crashed, platform_timeout or expired when the on-failure recorder wrote the row from Lambda's failure record.",
                "unit": None,
            },
            {
                "name": "error_message",
                "type": "string",
                "nullable": False,
                "description": "str() of the exception.",
                "unit": None,
            },
            {
                "name": "traceback",
                "type": "string",
                "nullable": True,
                "description": "Traceback, truncated to its last 4000 characters.",
                "unit": None,
            },
            {
                "name": "event_time",
                "type": "timestamp_ms",
                "nullable": False,
                "description": "When the failure was recorded (UTC).",
                "unit": None,
            },
            {
                "name": "runtime_version",
                "type": "string",
                "nullable": False,
                "description": "serverless-sweep version that recorded the failure.",
                "unit": None,
            },
        ],
    },
    "datasets/shard_metrics": {
        "dataset": "shard_metrics",
        "description": "One row per computed point. These leading columns are shared by every model; each model appends its own parameter and metric columns (schemas/v1/models/<model>/columns.json). The Athena table holds the union of all models' columns, read by name. The run_metrics dataset (a compacted copy of a finished run: a few files per run, rows ordered by point_index) has exactly these columns.",
        "columns": [
            {
                "name": "shard_id",
                "type": "int64",
                "nullable": False,
                "description": "Shard that computed the point.",
                "unit": None,
            },
            {
                "name": "point_index",
                "type": "int64",
                "nullable": False,
                "description": "Index of the point in the mixed-radix enumeration of the dimensions.",
                "unit": None,
            },
            {
                "name": "point_seed",
                "type": "int64",
                "nullable": False,
                "description": "Seed of the point's random streams, derived from the request seed and point index only.",
                "unit": None,
            },
            {
                "name": "model",
                "type": "string",
                "nullable": False,
                "description": "Simulation model that produced the row.",
                "unit": None,
            },
            {
                "name": "attempt",
                "type": "int32",
                "nullable": False,
                "description": "Attempt of the shard that produced the row.",
                "unit": None,
            },
            {
                "name": "compute_ms",
                "type": "float64",
                "nullable": False,
                "description": "Wall time spent computing the point.",
                "unit": "ms",
            },
        ],
    },
    "datasets/snapshot_counts": {
        "dataset": "snapshot_counts",
        "description": "The state of a point's marketplace every 60 simulated seconds (t = 0, 60, ... up to the horizon), written only when the request's outputs list snapshots (ride_hailing): counts after every event at or before t. Rows ordered by (point_index, snapshot_index). Queries read the file a success envelope commits (join on shard_id and attempt, like shard_metrics).",
        "columns": [
            {
                "name": "shard_id",
                "type": "int64",
                "nullable": False,
                "description": "Shard that computed the point.",
                "unit": None,
            },
            {
                "name": "point_index",
                "type": "int64",
                "nullable": False,
                "description": "Index of the point (as in shard_metrics).",
                "unit": None,
            },
            {
                "name": "attempt",
                "type": "int32",
                "nullable": False,
                "description": "Attempt of the shard that produced the row.",
                "unit": None,
            },
            {
                "name": "snapshot_index",
                "type": "int32",
                "nullable": False,
                "description": "Snapshot number: time_s / 60.",
                "unit": None,
            },
            {
                "name": "time_s",
                "type": "float64",
                "nullable": False,
                "description": "Simulated time of the snapshot, from the start of the simulation.",
                "unit": "s",
            },
            {
                "name": "snapshot_at",
                "type": "timestamp_ms",
                "nullable": False,
                "description": "Wall-clock time of the snapshot: the point's epoch_ms plus time_s (UTC).",
                "unit": None,
            },
            {
                "name": "riders_browsing",
                "type": "int64",
                "nullable": False,
                "description": "Riders in the quote loop (requested, neither accepted nor abandoned yet).",
                "unit": "riders",
            },
            {
                "name": "riders_waiting",
                "type": "int64",
                "nullable": False,
                "description": "Riders who accepted a quote and wait for a match.",
                "unit": "riders",
            },
            {
                "name": "riders_awaiting_pickup",
                "type": "int64",
                "nullable": False,
                "description": "Matched riders whose driver is on the way.",
                "unit": "riders",
            },
            {
                "name": "riders_in_transit",
                "type": "int64",
                "nullable": False,
                "description": "Riders on board.",
                "unit": "riders",
            },
            {
                "name": "riders_completed",
                "type": "int64",
                "nullable": False,
                "description": "Riders dropped off so far (cumulative).",
                "unit": "riders",
            },
            {
                "name": "riders_cancelled",
                "type": "int64",
                "nullable": False,
                "description": "Riders who ran out of patience so far (cumulative).",
                "unit": "riders",
            },
            {
                "name": "riders_abandoned",
                "type": "int64",
                "nullable": False,
                "description": "Riders who abandoned at the quote so far (cumulative).",
                "unit": "riders",
            },
            {
                "name": "drivers_online",
                "type": "int64",
                "nullable": False,
                "description": "Drivers online (drivers come online over the spread window and stay).",
                "unit": "drivers",
            },
            {
                "name": "drivers_idle",
                "type": "int64",
                "nullable": False,
                "description": "Online drivers without a rider.",
                "unit": "drivers",
            },
            {
                "name": "drivers_en_route",
                "type": "int64",
                "nullable": False,
                "description": "Drivers on the way to a pickup.",
                "unit": "drivers",
            },
            {
                "name": "drivers_on_trip",
                "type": "int64",
                "nullable": False,
                "description": "Drivers carrying a rider.",
                "unit": "drivers",
            },
        ],
    },
    "datasets/trip_data": {
        "dataset": "trip_data",
        "description": "One row per rider request of a point (requested within the simulated horizon), written only when the request's outputs list trips (ride_hailing). Rows ordered by (point_index, rider_id); a shard's file holds its points in order. Queries read the file a success envelope commits (join on shard_id and attempt, like shard_metrics).",
        "columns": [
            {
                "name": "shard_id",
                "type": "int64",
                "nullable": False,
                "description": "Shard that computed the point.",
                "unit": None,
            },
            {
                "name": "point_index",
                "type": "int64",
                "nullable": False,
                "description": "Index of the point (as in shard_metrics).",
                "unit": None,
            },
            {
                "name": "attempt",
                "type": "int32",
                "nullable": False,
                "description": "Attempt of the shard that produced the row.",
                "unit": None,
            },
            {
                "name": "rider_id",
                "type": "int64",
                "nullable": False,
                "description": "Rider number within the point, in request order (0 = first request).",
                "unit": None,
            },
            {
                "name": "request_time_s",
                "type": "float64",
                "nullable": False,
                "description": "Simulated time of the first quote request, from the start of the simulation.",
                "unit": "s",
            },
            {
                "name": "request_at",
                "type": "timestamp_ms",
                "nullable": False,
                "description": "Wall-clock time of the request: the point's epoch_ms plus request_time_s (UTC).",
                "unit": None,
            },
            {
                "name": "pickup_cell",
                "type": "int64",
                "nullable": False,
                "description": "Grid cell of the pickup (index into the Berlin grid).",
                "unit": None,
            },
            {
                "name": "dropoff_cell",
                "type": "int64",
                "nullable": False,
                "description": "Grid cell of the drop-off.",
                "unit": None,
            },
            {
                "name": "trip_km",
                "type": "float64",
                "nullable": False,
                "description": "Length of the trip that was quoted.",
                "unit": "km",
            },
            {
                "name": "quotes",
                "type": "int32",
                "nullable": False,
                "description": "Quotes the rider asked for (1 to 3; a rejection asks again 10 s later, the third one is an abandonment).",
                "unit": None,
            },
            {
                "name": "outcome",
                "type": "string",
                "nullable": False,
                "description": "completed, cancelled, abandoned (at the quote) or unresolved (still quoting or on board at the horizon; left out of total_riders, as in shard_metrics).",
                "unit": None,
            },
            {
                "name": "outcome_reason",
                "type": "string",
                "nullable": True,
                "description": "Why: cancelled -> patience or horizon (still waiting when the simulation ended, counted as cancelled like in shard_metrics); abandoned -> price, eta or stochastic (the last rejection's reason); unresolved -> quoting or on_board; null when completed.",
                "unit": None,
            },
            {
                "name": "surge_multiplier",
                "type": "float64",
                "nullable": False,
                "description": "Surge multiplier of the rider's last quote (1 without surge).",
                "unit": None,
            },
            {
                "name": "fare",
                "type": "float64",
                "nullable": False,
                "description": "Fare of the rider's last quote: the accepted fare when the rider accepted. The simulation decides whether a quote's ETA is within 10 min without computing its value, so no quoted ETA is recorded; pickup_eta_s is the actual one.",
                "unit": "EUR",
            },
            {
                "name": "accept_time_s",
                "type": "float64",
                "nullable": True,
                "description": "Simulated time the rider accepted a quote (null: never accepted).",
                "unit": "s",
            },
            {
                "name": "match_time_s",
                "type": "float64",
                "nullable": True,
                "description": "Simulated time a driver was assigned (null: never matched).",
                "unit": "s",
            },
            {
                "name": "pickup_time_s",
                "type": "float64",
                "nullable": True,
                "description": "Simulated time of the pickup (null: never picked up).",
                "unit": "s",
            },
            {
                "name": "dropoff_time_s",
                "type": "float64",
                "nullable": True,
                "description": "Simulated time of the drop-off (null: not completed).",
                "unit": "s",
            },
            {
                "name": "end_time_s",
                "type": "float64",
                "nullable": True,
                "description": "Simulated time the rider's request ended: the drop-off, the cancellation (the horizon for outcome_reason horizon) or the abandoning quote; null when unresolved.",
                "unit": "s",
            },
            {
                "name": "wait_for_match_s",
                "type": "float64",
                "nullable": True,
                "description": "match_time_s - accept_time_s (null: never matched).",
                "unit": "s",
            },
            {
                "name": "pickup_eta_s",
                "type": "float64",
                "nullable": True,
                "description": "Actual time from the match to the pickup: pickup_time_s - match_time_s (null: never picked up).",
                "unit": "s",
            },
            {
                "name": "trip_duration_s",
                "type": "float64",
                "nullable": True,
                "description": "dropoff_time_s - pickup_time_s (null: not completed).",
                "unit": "s",
            },
            {
                "name": "driver_id",
                "type": "int64",
                "nullable": True,
                "description": "Driver assigned to the rider (null: never matched).",
                "unit": None,
            },
            {
                "name": "platform_revenue",
                "type": "float64",
                "nullable": True,
                "description": "Commission the platform kept on a completed trip: fare x commission_rate (null: not completed).",
                "unit": "EUR",
            },
        ],
    },
    "models/legacy_hash/columns": {
        "dataset": "legacy_hash",
        "description": "Columns the legacy_hash model appends to shard_metrics rows.",
        "columns": [
            {
                "name": "parameters_json",
                "type": "string",
                "nullable": True,
                "description": "The point as compact sorted-key JSON (the legacy_hash model accepts any values, so they are kept as text).",
                "unit": None,
            },
            {
                "name": "completed_rides",
                "type": "int64",
                "nullable": True,
                "description": "Synthetic completed rides: state % 200 + 10.",
                "unit": "rides",
            },
            {
                "name": "abandoned_rides",
                "type": "int64",
                "nullable": True,
                "description": "Synthetic abandoned rides: (state // 10) % 40.",
                "unit": "rides",
            },
            {
                "name": "platform_revenue_cents",
                "type": "int64",
                "nullable": True,
                "description": "Synthetic revenue: completed_rides * (500 + state % 1200).",
                "unit": "cents",
            },
        ],
    },
    "models/ride_hailing/columns": {
        "dataset": "ride_hailing",
        "description": "Columns the ride_hailing model appends to shard_metrics rows: every effective parameter (defaults resolved), then every metric. Nullable because the shard_metrics table holds the union of all models' columns.",
        "columns": [
            {
                "name": "num_riders",
                "type": "int64",
                "nullable": True,
                "description": "Parameter: Riders spawned over the 1 h request window.",
                "unit": "riders",
            },
            {
                "name": "num_drivers",
                "type": "int64",
                "nullable": True,
                "description": "Parameter: Drivers spawned over the driver spread window.",
                "unit": "drivers",
            },
            {
                "name": "match_radius",
                "type": "int64",
                "nullable": True,
                "description": "Parameter: Largest grid distance for a match.",
                "unit": "cells",
            },
            {
                "name": "commission_rate",
                "type": "float64",
                "nullable": True,
                "description": "Parameter: Platform share of each fare.",
                "unit": None,
            },
            {
                "name": "base_fare",
                "type": "float64",
                "nullable": True,
                "description": "Parameter: Fixed part of a fare.",
                "unit": "EUR",
            },
            {
                "name": "per_km_rate",
                "type": "float64",
                "nullable": True,
                "description": "Parameter: Fare per km.",
                "unit": "EUR/km",
            },
            {
                "name": "surge_enabled",
                "type": "boolean",
                "nullable": True,
                "description": "Parameter: Whether surge pricing was on.",
                "unit": None,
            },
            {
                "name": "surge_radius_k",
                "type": "int64",
                "nullable": True,
                "description": "Parameter: Grid-disk radius of the surge neighbourhood.",
                "unit": "cells",
            },
            {
                "name": "surge_max_multiplier",
                "type": "float64",
                "nullable": True,
                "description": "Parameter: Cap of the surge multiplier.",
                "unit": None,
            },
            {
                "name": "epoch_ms",
                "type": "int64",
                "nullable": True,
                "description": "Parameter: Wall-clock ms at simulation time 0 (null resolved to 0).",
                "unit": "ms",
            },
            {
                "name": "simulation_duration_hours",
                "type": "int64",
                "nullable": True,
                "description": "Parameter: Simulation end time (null resolved to window + 2 h).",
                "unit": "h",
            },
            {
                "name": "matching_algorithm_type",
                "type": "string",
                "nullable": True,
                "description": "Parameter: Matcher: simple, cost_based or hungarian.",
                "unit": None,
            },
            {
                "name": "batch_matching_enabled",
                "type": "boolean",
                "nullable": True,
                "description": "Parameter: Whether matching ran in global batches.",
                "unit": None,
            },
            {
                "name": "batch_interval_secs",
                "type": "int64",
                "nullable": True,
                "description": "Parameter: Batch matching period.",
                "unit": "s",
            },
            {
                "name": "eta_weight",
                "type": "float64",
                "nullable": True,
                "description": "Parameter: ETA weight in the cost-based and Hungarian matchers.",
                "unit": "1/s",
            },
            {
                "name": "traffic_profile",
                "type": "string",
                "nullable": True,
                "description": "Parameter: Hourly speed profile: none or berlin.",
                "unit": None,
            },
            {
                "name": "dynamic_congestion_enabled",
                "type": "boolean",
                "nullable": True,
                "description": "Parameter: Whether density slowed vehicles down.",
                "unit": None,
            },
            {
                "name": "base_speed_kmh",
                "type": "float64",
                "nullable": True,
                "description": "Parameter: Free-flow speed; null when each driver drew one from 20 to 60 km/h.",
                "unit": "km/h",
            },
            {
                "name": "total_riders",
                "type": "int64",
                "nullable": True,
                "description": "Resolved riders: completed + cancelled + abandoned at quote.",
                "unit": "riders",
            },
            {
                "name": "completed_riders",
                "type": "int64",
                "nullable": True,
                "description": "Riders whose trip completed.",
                "unit": "riders",
            },
            {
                "name": "abandoned_quote_riders",
                "type": "int64",
                "nullable": True,
                "description": "Riders who gave up at the quote stage (price, ETA or chance).",
                "unit": "riders",
            },
            {
                "name": "cancelled_riders",
                "type": "int64",
                "nullable": True,
                "description": "Riders who cancelled while waiting for a match or pickup.",
                "unit": "riders",
            },
            {
                "name": "conversion_rate",
                "type": "float64",
                "nullable": True,
                "description": "completed_riders / total_riders (0 when no rider resolved).",
                "unit": None,
            },
            {
                "name": "platform_revenue",
                "type": "float64",
                "nullable": True,
                "description": "Commission kept by the platform.",
                "unit": "EUR",
            },
            {
                "name": "driver_payouts",
                "type": "float64",
                "nullable": True,
                "description": "Fares minus commission, paid to drivers.",
                "unit": "EUR",
            },
            {
                "name": "total_fares_collected",
                "type": "float64",
                "nullable": True,
                "description": "Sum of fares of completed trips.",
                "unit": "EUR",
            },
            {
                "name": "avg_time_to_match_ms",
                "type": "float64",
                "nullable": True,
                "description": "Mean time from quote acceptance to match (0 when nothing completed).",
                "unit": "ms",
            },
            {
                "name": "median_time_to_match_ms",
                "type": "float64",
                "nullable": True,
                "description": "Median time from quote acceptance to match.",
                "unit": "ms",
            },
            {
                "name": "p90_time_to_match_ms",
                "type": "float64",
                "nullable": True,
                "description": "90th percentile time from quote acceptance to match.",
                "unit": "ms",
            },
            {
                "name": "avg_time_to_pickup_ms",
                "type": "float64",
                "nullable": True,
                "description": "Mean time from match to pickup (0 when nothing completed).",
                "unit": "ms",
            },
            {
                "name": "median_time_to_pickup_ms",
                "type": "float64",
                "nullable": True,
                "description": "Median time from match to pickup.",
                "unit": "ms",
            },
            {
                "name": "p90_time_to_pickup_ms",
                "type": "float64",
                "nullable": True,
                "description": "90th percentile time from match to pickup.",
                "unit": "ms",
            },
            {
                "name": "completed_trips",
                "type": "int64",
                "nullable": True,
                "description": "Trips driven to the drop-off.",
                "unit": "trips",
            },
            {
                "name": "riders_abandoned_price",
                "type": "int64",
                "nullable": True,
                "description": "Riders who abandoned after too many overpriced quotes.",
                "unit": "riders",
            },
            {
                "name": "riders_abandoned_eta",
                "type": "int64",
                "nullable": True,
                "description": "Riders who abandoned after too many quotes with an ETA over 10 min.",
                "unit": "riders",
            },
            {
                "name": "riders_abandoned_stochastic",
                "type": "int64",
                "nullable": True,
                "description": "Riders who abandoned after too many randomly rejected fair quotes.",
                "unit": "riders",
            },
            {
                "name": "total_drivers",
                "type": "int64",
                "nullable": True,
                "description": "Drivers that joined.",
                "unit": "drivers",
            },
        ],
    },
}

SHARD_ERRORS_FIELDS: Final[list[pa.Field]] = [
    pa.field(
        "shard_id", pa.int64(), nullable=False, metadata={"description": "Shard that failed."}
    ),
    pa.field(
        "start_index",
        pa.int64(),
        nullable=False,
        metadata={"description": "First point index of the shard (inclusive)."},
    ),
    pa.field(
        "end_index",
        pa.int64(),
        nullable=False,
        metadata={"description": "Point index after the shard's last point (exclusive)."},
    ),
    pa.field(
        "attempt",
        pa.int32(),
        nullable=False,
        metadata={"description": "Attempt number that failed."},
    ),
    pa.field(
        "attempt_id",
        pa.string(),
        nullable=False,
        metadata={"description": "Unique id of the failed attempt."},
    ),
    pa.field(
        "model",
        pa.string(),
        nullable=True,
        metadata={"description": "Model of the run, when known."},
    ),
    pa.field(
        "error_code", pa.string(), nullable=False, metadata={"description": "Exception class name."}
    ),
    pa.field(
        "error_kind",
        pa.string(),
        nullable=False,
        metadata={
            "description": "invalid_payload, model_error, injected, storage, timeout or internal; crashed, platform_timeout or expired when the on-failure recorder wrote the row from Lambda's failure record."
        },
    ),
    pa.field(
        "error_message",
        pa.string(),
        nullable=False,
        metadata={"description": "str() of the exception."},
    ),
    pa.field(
        "traceback",
        pa.string(),
        nullable=True,
        metadata={"description": "Traceback, truncated to its last 4000 characters."},
    ),
    pa.field(
        "event_time",
        pa.timestamp("ms", tz="UTC"),
        nullable=False,
        metadata={"description": "When the failure was recorded (UTC)."},
    ),
    pa.field(
        "runtime_version",
        pa.string(),
        nullable=False,
        metadata={"description": "serverless-sweep version that recorded the failure."},
    ),
]

SHARD_ERRORS_SCHEMA: Final[pa.Schema] = pa.schema(SHARD_ERRORS_FIELDS)

SHARD_METRICS_COMMON_FIELDS: Final[list[pa.Field]] = [
    pa.field(
        "shard_id",
        pa.int64(),
        nullable=False,
        metadata={"description": "Shard that computed the point."},
    ),
    pa.field(
        "point_index",
        pa.int64(),
        nullable=False,
        metadata={
            "description": "Index of the point in the mixed-radix enumeration of the dimensions."
        },
    ),
    pa.field(
        "point_seed",
        pa.int64(),
        nullable=False,
        metadata={
            "description": "Seed of the point's random streams, derived from the request seed and point index only."
        },
    ),
    pa.field(
        "model",
        pa.string(),
        nullable=False,
        metadata={"description": "Simulation model that produced the row."},
    ),
    pa.field(
        "attempt",
        pa.int32(),
        nullable=False,
        metadata={"description": "Attempt of the shard that produced the row."},
    ),
    pa.field(
        "compute_ms",
        pa.float64(),
        nullable=False,
        metadata={"description": "Wall time spent computing the point.", "unit": "ms"},
    ),
]

# Model name -> the columns the model appends to shard_metrics rows, in file order.
MODEL_FIELDS: Final[dict[str, list[pa.Field]]] = {
    "legacy_hash": [
        pa.field(
            "parameters_json",
            pa.string(),
            nullable=True,
            metadata={
                "description": "The point as compact sorted-key JSON (the legacy_hash model accepts any values, so they are kept as text)."
            },
        ),
        pa.field(
            "completed_rides",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Synthetic completed rides: state % 200 + 10.",
                "unit": "rides",
            },
        ),
        pa.field(
            "abandoned_rides",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Synthetic abandoned rides: (state // 10) % 40.",
                "unit": "rides",
            },
        ),
        pa.field(
            "platform_revenue_cents",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Synthetic revenue: completed_rides * (500 + state % 1200).",
                "unit": "cents",
            },
        ),
    ],
    "ride_hailing": [
        pa.field(
            "num_riders",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Parameter: Riders spawned over the 1 h request window.",
                "unit": "riders",
            },
        ),
        pa.field(
            "num_drivers",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Parameter: Drivers spawned over the driver spread window.",
                "unit": "drivers",
            },
        ),
        pa.field(
            "match_radius",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Parameter: Largest grid distance for a match.",
                "unit": "cells",
            },
        ),
        pa.field(
            "commission_rate",
            pa.float64(),
            nullable=True,
            metadata={"description": "Parameter: Platform share of each fare."},
        ),
        pa.field(
            "base_fare",
            pa.float64(),
            nullable=True,
            metadata={"description": "Parameter: Fixed part of a fare.", "unit": "EUR"},
        ),
        pa.field(
            "per_km_rate",
            pa.float64(),
            nullable=True,
            metadata={"description": "Parameter: Fare per km.", "unit": "EUR/km"},
        ),
        pa.field(
            "surge_enabled",
            pa.bool_(),
            nullable=True,
            metadata={"description": "Parameter: Whether surge pricing was on."},
        ),
        pa.field(
            "surge_radius_k",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Parameter: Grid-disk radius of the surge neighbourhood.",
                "unit": "cells",
            },
        ),
        pa.field(
            "surge_max_multiplier",
            pa.float64(),
            nullable=True,
            metadata={"description": "Parameter: Cap of the surge multiplier."},
        ),
        pa.field(
            "epoch_ms",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Parameter: Wall-clock ms at simulation time 0 (null resolved to 0).",
                "unit": "ms",
            },
        ),
        pa.field(
            "simulation_duration_hours",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Parameter: Simulation end time (null resolved to window + 2 h).",
                "unit": "h",
            },
        ),
        pa.field(
            "matching_algorithm_type",
            pa.string(),
            nullable=True,
            metadata={"description": "Parameter: Matcher: simple, cost_based or hungarian."},
        ),
        pa.field(
            "batch_matching_enabled",
            pa.bool_(),
            nullable=True,
            metadata={"description": "Parameter: Whether matching ran in global batches."},
        ),
        pa.field(
            "batch_interval_secs",
            pa.int64(),
            nullable=True,
            metadata={"description": "Parameter: Batch matching period.", "unit": "s"},
        ),
        pa.field(
            "eta_weight",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Parameter: ETA weight in the cost-based and Hungarian matchers.",
                "unit": "1/s",
            },
        ),
        pa.field(
            "traffic_profile",
            pa.string(),
            nullable=True,
            metadata={"description": "Parameter: Hourly speed profile: none or berlin."},
        ),
        pa.field(
            "dynamic_congestion_enabled",
            pa.bool_(),
            nullable=True,
            metadata={"description": "Parameter: Whether density slowed vehicles down."},
        ),
        pa.field(
            "base_speed_kmh",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Parameter: Free-flow speed; null when each driver drew one from 20 to 60 km/h.",
                "unit": "km/h",
            },
        ),
        pa.field(
            "total_riders",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Resolved riders: completed + cancelled + abandoned at quote.",
                "unit": "riders",
            },
        ),
        pa.field(
            "completed_riders",
            pa.int64(),
            nullable=True,
            metadata={"description": "Riders whose trip completed.", "unit": "riders"},
        ),
        pa.field(
            "abandoned_quote_riders",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Riders who gave up at the quote stage (price, ETA or chance).",
                "unit": "riders",
            },
        ),
        pa.field(
            "cancelled_riders",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Riders who cancelled while waiting for a match or pickup.",
                "unit": "riders",
            },
        ),
        pa.field(
            "conversion_rate",
            pa.float64(),
            nullable=True,
            metadata={"description": "completed_riders / total_riders (0 when no rider resolved)."},
        ),
        pa.field(
            "platform_revenue",
            pa.float64(),
            nullable=True,
            metadata={"description": "Commission kept by the platform.", "unit": "EUR"},
        ),
        pa.field(
            "driver_payouts",
            pa.float64(),
            nullable=True,
            metadata={"description": "Fares minus commission, paid to drivers.", "unit": "EUR"},
        ),
        pa.field(
            "total_fares_collected",
            pa.float64(),
            nullable=True,
            metadata={"description": "Sum of fares of completed trips.", "unit": "EUR"},
        ),
        pa.field(
            "avg_time_to_match_ms",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Mean time from quote acceptance to match (0 when nothing completed).",
                "unit": "ms",
            },
        ),
        pa.field(
            "median_time_to_match_ms",
            pa.float64(),
            nullable=True,
            metadata={"description": "Median time from quote acceptance to match.", "unit": "ms"},
        ),
        pa.field(
            "p90_time_to_match_ms",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "90th percentile time from quote acceptance to match.",
                "unit": "ms",
            },
        ),
        pa.field(
            "avg_time_to_pickup_ms",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Mean time from match to pickup (0 when nothing completed).",
                "unit": "ms",
            },
        ),
        pa.field(
            "median_time_to_pickup_ms",
            pa.float64(),
            nullable=True,
            metadata={"description": "Median time from match to pickup.", "unit": "ms"},
        ),
        pa.field(
            "p90_time_to_pickup_ms",
            pa.float64(),
            nullable=True,
            metadata={"description": "90th percentile time from match to pickup.", "unit": "ms"},
        ),
        pa.field(
            "completed_trips",
            pa.int64(),
            nullable=True,
            metadata={"description": "Trips driven to the drop-off.", "unit": "trips"},
        ),
        pa.field(
            "riders_abandoned_price",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Riders who abandoned after too many overpriced quotes.",
                "unit": "riders",
            },
        ),
        pa.field(
            "riders_abandoned_eta",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Riders who abandoned after too many quotes with an ETA over 10 min.",
                "unit": "riders",
            },
        ),
        pa.field(
            "riders_abandoned_stochastic",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Riders who abandoned after too many randomly rejected fair quotes.",
                "unit": "riders",
            },
        ),
        pa.field(
            "total_drivers",
            pa.int64(),
            nullable=True,
            metadata={"description": "Drivers that joined.", "unit": "drivers"},
        ),
    ],
}

SHARD_METRICS_UNION_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        pa.field(
            "shard_id",
            pa.int64(),
            nullable=False,
            metadata={"description": "Shard that computed the point."},
        ),
        pa.field(
            "point_index",
            pa.int64(),
            nullable=False,
            metadata={
                "description": "Index of the point in the mixed-radix enumeration of the dimensions."
            },
        ),
        pa.field(
            "point_seed",
            pa.int64(),
            nullable=False,
            metadata={
                "description": "Seed of the point's random streams, derived from the request seed and point index only."
            },
        ),
        pa.field(
            "model",
            pa.string(),
            nullable=False,
            metadata={"description": "Simulation model that produced the row."},
        ),
        pa.field(
            "attempt",
            pa.int32(),
            nullable=False,
            metadata={"description": "Attempt of the shard that produced the row."},
        ),
        pa.field(
            "compute_ms",
            pa.float64(),
            nullable=False,
            metadata={"description": "Wall time spent computing the point.", "unit": "ms"},
        ),
        pa.field(
            "parameters_json",
            pa.string(),
            nullable=True,
            metadata={
                "description": "The point as compact sorted-key JSON (the legacy_hash model accepts any values, so they are kept as text)."
            },
        ),
        pa.field(
            "completed_rides",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Synthetic completed rides: state % 200 + 10.",
                "unit": "rides",
            },
        ),
        pa.field(
            "abandoned_rides",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Synthetic abandoned rides: (state // 10) % 40.",
                "unit": "rides",
            },
        ),
        pa.field(
            "platform_revenue_cents",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Synthetic revenue: completed_rides * (500 + state % 1200).",
                "unit": "cents",
            },
        ),
        pa.field(
            "num_riders",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Parameter: Riders spawned over the 1 h request window.",
                "unit": "riders",
            },
        ),
        pa.field(
            "num_drivers",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Parameter: Drivers spawned over the driver spread window.",
                "unit": "drivers",
            },
        ),
        pa.field(
            "match_radius",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Parameter: Largest grid distance for a match.",
                "unit": "cells",
            },
        ),
        pa.field(
            "commission_rate",
            pa.float64(),
            nullable=True,
            metadata={"description": "Parameter: Platform share of each fare."},
        ),
        pa.field(
            "base_fare",
            pa.float64(),
            nullable=True,
            metadata={"description": "Parameter: Fixed part of a fare.", "unit": "EUR"},
        ),
        pa.field(
            "per_km_rate",
            pa.float64(),
            nullable=True,
            metadata={"description": "Parameter: Fare per km.", "unit": "EUR/km"},
        ),
        pa.field(
            "surge_enabled",
            pa.bool_(),
            nullable=True,
            metadata={"description": "Parameter: Whether surge pricing was on."},
        ),
        pa.field(
            "surge_radius_k",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Parameter: Grid-disk radius of the surge neighbourhood.",
                "unit": "cells",
            },
        ),
        pa.field(
            "surge_max_multiplier",
            pa.float64(),
            nullable=True,
            metadata={"description": "Parameter: Cap of the surge multiplier."},
        ),
        pa.field(
            "epoch_ms",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Parameter: Wall-clock ms at simulation time 0 (null resolved to 0).",
                "unit": "ms",
            },
        ),
        pa.field(
            "simulation_duration_hours",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Parameter: Simulation end time (null resolved to window + 2 h).",
                "unit": "h",
            },
        ),
        pa.field(
            "matching_algorithm_type",
            pa.string(),
            nullable=True,
            metadata={"description": "Parameter: Matcher: simple, cost_based or hungarian."},
        ),
        pa.field(
            "batch_matching_enabled",
            pa.bool_(),
            nullable=True,
            metadata={"description": "Parameter: Whether matching ran in global batches."},
        ),
        pa.field(
            "batch_interval_secs",
            pa.int64(),
            nullable=True,
            metadata={"description": "Parameter: Batch matching period.", "unit": "s"},
        ),
        pa.field(
            "eta_weight",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Parameter: ETA weight in the cost-based and Hungarian matchers.",
                "unit": "1/s",
            },
        ),
        pa.field(
            "traffic_profile",
            pa.string(),
            nullable=True,
            metadata={"description": "Parameter: Hourly speed profile: none or berlin."},
        ),
        pa.field(
            "dynamic_congestion_enabled",
            pa.bool_(),
            nullable=True,
            metadata={"description": "Parameter: Whether density slowed vehicles down."},
        ),
        pa.field(
            "base_speed_kmh",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Parameter: Free-flow speed; null when each driver drew one from 20 to 60 km/h.",
                "unit": "km/h",
            },
        ),
        pa.field(
            "total_riders",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Resolved riders: completed + cancelled + abandoned at quote.",
                "unit": "riders",
            },
        ),
        pa.field(
            "completed_riders",
            pa.int64(),
            nullable=True,
            metadata={"description": "Riders whose trip completed.", "unit": "riders"},
        ),
        pa.field(
            "abandoned_quote_riders",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Riders who gave up at the quote stage (price, ETA or chance).",
                "unit": "riders",
            },
        ),
        pa.field(
            "cancelled_riders",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Riders who cancelled while waiting for a match or pickup.",
                "unit": "riders",
            },
        ),
        pa.field(
            "conversion_rate",
            pa.float64(),
            nullable=True,
            metadata={"description": "completed_riders / total_riders (0 when no rider resolved)."},
        ),
        pa.field(
            "platform_revenue",
            pa.float64(),
            nullable=True,
            metadata={"description": "Commission kept by the platform.", "unit": "EUR"},
        ),
        pa.field(
            "driver_payouts",
            pa.float64(),
            nullable=True,
            metadata={"description": "Fares minus commission, paid to drivers.", "unit": "EUR"},
        ),
        pa.field(
            "total_fares_collected",
            pa.float64(),
            nullable=True,
            metadata={"description": "Sum of fares of completed trips.", "unit": "EUR"},
        ),
        pa.field(
            "avg_time_to_match_ms",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Mean time from quote acceptance to match (0 when nothing completed).",
                "unit": "ms",
            },
        ),
        pa.field(
            "median_time_to_match_ms",
            pa.float64(),
            nullable=True,
            metadata={"description": "Median time from quote acceptance to match.", "unit": "ms"},
        ),
        pa.field(
            "p90_time_to_match_ms",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "90th percentile time from quote acceptance to match.",
                "unit": "ms",
            },
        ),
        pa.field(
            "avg_time_to_pickup_ms",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Mean time from match to pickup (0 when nothing completed).",
                "unit": "ms",
            },
        ),
        pa.field(
            "median_time_to_pickup_ms",
            pa.float64(),
            nullable=True,
            metadata={"description": "Median time from match to pickup.", "unit": "ms"},
        ),
        pa.field(
            "p90_time_to_pickup_ms",
            pa.float64(),
            nullable=True,
            metadata={"description": "90th percentile time from match to pickup.", "unit": "ms"},
        ),
        pa.field(
            "completed_trips",
            pa.int64(),
            nullable=True,
            metadata={"description": "Trips driven to the drop-off.", "unit": "trips"},
        ),
        pa.field(
            "riders_abandoned_price",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Riders who abandoned after too many overpriced quotes.",
                "unit": "riders",
            },
        ),
        pa.field(
            "riders_abandoned_eta",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Riders who abandoned after too many quotes with an ETA over 10 min.",
                "unit": "riders",
            },
        ),
        pa.field(
            "riders_abandoned_stochastic",
            pa.int64(),
            nullable=True,
            metadata={
                "description": "Riders who abandoned after too many randomly rejected fair quotes.",
                "unit": "riders",
            },
        ),
        pa.field(
            "total_drivers",
            pa.int64(),
            nullable=True,
            metadata={"description": "Drivers that joined.", "unit": "drivers"},
        ),
    ]
)

SNAPSHOT_COUNTS_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        pa.field(
            "shard_id",
            pa.int64(),
            nullable=False,
            metadata={"description": "Shard that computed the point."},
        ),
        pa.field(
            "point_index",
            pa.int64(),
            nullable=False,
            metadata={"description": "Index of the point (as in shard_metrics)."},
        ),
        pa.field(
            "attempt",
            pa.int32(),
            nullable=False,
            metadata={"description": "Attempt of the shard that produced the row."},
        ),
        pa.field(
            "snapshot_index",
            pa.int32(),
            nullable=False,
            metadata={"description": "Snapshot number: time_s / 60."},
        ),
        pa.field(
            "time_s",
            pa.float64(),
            nullable=False,
            metadata={
                "description": "Simulated time of the snapshot, from the start of the simulation.",
                "unit": "s",
            },
        ),
        pa.field(
            "snapshot_at",
            pa.timestamp("ms", tz="UTC"),
            nullable=False,
            metadata={
                "description": "Wall-clock time of the snapshot: the point's epoch_ms plus time_s (UTC)."
            },
        ),
        pa.field(
            "riders_browsing",
            pa.int64(),
            nullable=False,
            metadata={
                "description": "Riders in the quote loop (requested, neither accepted nor abandoned yet).",
                "unit": "riders",
            },
        ),
        pa.field(
            "riders_waiting",
            pa.int64(),
            nullable=False,
            metadata={
                "description": "Riders who accepted a quote and wait for a match.",
                "unit": "riders",
            },
        ),
        pa.field(
            "riders_awaiting_pickup",
            pa.int64(),
            nullable=False,
            metadata={
                "description": "Matched riders whose driver is on the way.",
                "unit": "riders",
            },
        ),
        pa.field(
            "riders_in_transit",
            pa.int64(),
            nullable=False,
            metadata={"description": "Riders on board.", "unit": "riders"},
        ),
        pa.field(
            "riders_completed",
            pa.int64(),
            nullable=False,
            metadata={"description": "Riders dropped off so far (cumulative).", "unit": "riders"},
        ),
        pa.field(
            "riders_cancelled",
            pa.int64(),
            nullable=False,
            metadata={
                "description": "Riders who ran out of patience so far (cumulative).",
                "unit": "riders",
            },
        ),
        pa.field(
            "riders_abandoned",
            pa.int64(),
            nullable=False,
            metadata={
                "description": "Riders who abandoned at the quote so far (cumulative).",
                "unit": "riders",
            },
        ),
        pa.field(
            "drivers_online",
            pa.int64(),
            nullable=False,
            metadata={
                "description": "Drivers online (drivers come online over the spread window and stay).",
                "unit": "drivers",
            },
        ),
        pa.field(
            "drivers_idle",
            pa.int64(),
            nullable=False,
            metadata={"description": "Online drivers without a rider.", "unit": "drivers"},
        ),
        pa.field(
            "drivers_en_route",
            pa.int64(),
            nullable=False,
            metadata={"description": "Drivers on the way to a pickup.", "unit": "drivers"},
        ),
        pa.field(
            "drivers_on_trip",
            pa.int64(),
            nullable=False,
            metadata={"description": "Drivers carrying a rider.", "unit": "drivers"},
        ),
    ]
)

TRIP_DATA_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        pa.field(
            "shard_id",
            pa.int64(),
            nullable=False,
            metadata={"description": "Shard that computed the point."},
        ),
        pa.field(
            "point_index",
            pa.int64(),
            nullable=False,
            metadata={"description": "Index of the point (as in shard_metrics)."},
        ),
        pa.field(
            "attempt",
            pa.int32(),
            nullable=False,
            metadata={"description": "Attempt of the shard that produced the row."},
        ),
        pa.field(
            "rider_id",
            pa.int64(),
            nullable=False,
            metadata={
                "description": "Rider number within the point, in request order (0 = first request)."
            },
        ),
        pa.field(
            "request_time_s",
            pa.float64(),
            nullable=False,
            metadata={
                "description": "Simulated time of the first quote request, from the start of the simulation.",
                "unit": "s",
            },
        ),
        pa.field(
            "request_at",
            pa.timestamp("ms", tz="UTC"),
            nullable=False,
            metadata={
                "description": "Wall-clock time of the request: the point's epoch_ms plus request_time_s (UTC)."
            },
        ),
        pa.field(
            "pickup_cell",
            pa.int64(),
            nullable=False,
            metadata={"description": "Grid cell of the pickup (index into the Berlin grid)."},
        ),
        pa.field(
            "dropoff_cell",
            pa.int64(),
            nullable=False,
            metadata={"description": "Grid cell of the drop-off."},
        ),
        pa.field(
            "trip_km",
            pa.float64(),
            nullable=False,
            metadata={"description": "Length of the trip that was quoted.", "unit": "km"},
        ),
        pa.field(
            "quotes",
            pa.int32(),
            nullable=False,
            metadata={
                "description": "Quotes the rider asked for (1 to 3; a rejection asks again 10 s later, the third one is an abandonment)."
            },
        ),
        pa.field(
            "outcome",
            pa.string(),
            nullable=False,
            metadata={
                "description": "completed, cancelled, abandoned (at the quote) or unresolved (still quoting or on board at the horizon; left out of total_riders, as in shard_metrics)."
            },
        ),
        pa.field(
            "outcome_reason",
            pa.string(),
            nullable=True,
            metadata={
                "description": "Why: cancelled -> patience or horizon (still waiting when the simulation ended, counted as cancelled like in shard_metrics); abandoned -> price, eta or stochastic (the last rejection's reason); unresolved -> quoting or on_board; null when completed."
            },
        ),
        pa.field(
            "surge_multiplier",
            pa.float64(),
            nullable=False,
            metadata={
                "description": "Surge multiplier of the rider's last quote (1 without surge)."
            },
        ),
        pa.field(
            "fare",
            pa.float64(),
            nullable=False,
            metadata={
                "description": "Fare of the rider's last quote: the accepted fare when the rider accepted. The simulation decides whether a quote's ETA is within 10 min without computing its value, so no quoted ETA is recorded; pickup_eta_s is the actual one.",
                "unit": "EUR",
            },
        ),
        pa.field(
            "accept_time_s",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Simulated time the rider accepted a quote (null: never accepted).",
                "unit": "s",
            },
        ),
        pa.field(
            "match_time_s",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Simulated time a driver was assigned (null: never matched).",
                "unit": "s",
            },
        ),
        pa.field(
            "pickup_time_s",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Simulated time of the pickup (null: never picked up).",
                "unit": "s",
            },
        ),
        pa.field(
            "dropoff_time_s",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Simulated time of the drop-off (null: not completed).",
                "unit": "s",
            },
        ),
        pa.field(
            "end_time_s",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Simulated time the rider's request ended: the drop-off, the cancellation (the horizon for outcome_reason horizon) or the abandoning quote; null when unresolved.",
                "unit": "s",
            },
        ),
        pa.field(
            "wait_for_match_s",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "match_time_s - accept_time_s (null: never matched).",
                "unit": "s",
            },
        ),
        pa.field(
            "pickup_eta_s",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Actual time from the match to the pickup: pickup_time_s - match_time_s (null: never picked up).",
                "unit": "s",
            },
        ),
        pa.field(
            "trip_duration_s",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "dropoff_time_s - pickup_time_s (null: not completed).",
                "unit": "s",
            },
        ),
        pa.field(
            "driver_id",
            pa.int64(),
            nullable=True,
            metadata={"description": "Driver assigned to the rider (null: never matched)."},
        ),
        pa.field(
            "platform_revenue",
            pa.float64(),
            nullable=True,
            metadata={
                "description": "Commission the platform kept on a completed trip: fare x commission_rate (null: not completed).",
                "unit": "EUR",
            },
        ),
    ]
)

# The other datasets (schemas/v1/datasets/<name>.json): dataset name -> schema.
DATASET_SCHEMAS: Final[dict[str, pa.Schema]] = {
    "snapshot_counts": SNAPSHOT_COUNTS_SCHEMA,
    "trip_data": TRIP_DATA_SCHEMA,
}

_SHARD_METRICS_SCHEMAS: Final[dict[str, pa.Schema]] = {
    model: pa.schema([*SHARD_METRICS_COMMON_FIELDS, *fields])
    for model, fields in MODEL_FIELDS.items()
}


def shard_metrics_schema(model: str) -> pa.Schema:
    """Schema of one model's shard_metrics files: the common columns, then the model's."""
    try:
        return _SHARD_METRICS_SCHEMAS[model]
    except KeyError:
        known = ", ".join(MODELS)
        message = f"no shard_metrics columns for model {model!r} (known: {known})"
        raise KeyError(message) from None
