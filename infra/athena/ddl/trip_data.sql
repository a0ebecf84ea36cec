-- GENERATED FILE - DO NOT EDIT.
-- Source: schemas/v1/datasets/trip_data.json
-- Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.
--
-- Template: render with Terraform templatefile(path, {database, bucket, prefix}) or Python
-- string.Template(text).substitute(database=..., bucket=..., prefix=...):
--   ${database}  Glue database that holds the tables
--   ${bucket}    results bucket name (no s3:// and no slash)
--   ${prefix}    SWEEP_RESULTS_PREFIX stripped of '/'; must be non-empty (cloud default
--                serverless-sweeps), keys are <prefix>/dataset=<dataset>/...
-- $${run_date}, $${run_id} and $${status} in storage.location.template are the template's escape
-- of Athena's own placeholders; rendering turns them into dollar-brace placeholders for Athena.
--
-- Partitions (partition projection, nothing to register): run_date string (date projection,
-- yyyy-MM-dd, 2024-01-01 to NOW), run_id string (injected: a query must pin run_id with = or IN, using
-- the percent-encoded run id of the storage key, see core/keys.py), status string (enum).
-- dataset is not a partition column: it is fixed in LOCATION, because every dataset has its own
-- table with its own columns and file format.

CREATE EXTERNAL TABLE IF NOT EXISTS `${database}`.`trip_data` (
  `shard_id`         bigint COMMENT 'Shard that computed the point.',
  `point_index`      bigint COMMENT 'Index of the point (as in shard_metrics).',
  `attempt`          int COMMENT 'Attempt of the shard that produced the row.',
  `rider_id`         bigint COMMENT 'Rider number within the point, in request order (0 = first request).',
  `request_time_s`   double COMMENT 'Simulated time of the first quote request, from the start of the simulation. Unit: s.',
  `request_at`       timestamp COMMENT 'Wall-clock time of the request: the point\'s epoch_ms plus request_time_s (UTC).',
  `pickup_cell`      bigint COMMENT 'Grid cell of the pickup (index into the Berlin grid).',
  `dropoff_cell`     bigint COMMENT 'Grid cell of the drop-off.',
  `trip_km`          double COMMENT 'Length of the trip that was quoted. Unit: km.',
  `quotes`           int COMMENT 'Quotes the rider asked for (1 to 3; a rejection asks again 10 s later, the third one is an abandonment).',
  `outcome`          string COMMENT 'completed, cancelled, abandoned (at the quote) or unresolved (still quoting or on board at the horizon; left out of total_riders, as in shard_metrics).',
  `outcome_reason`   string COMMENT 'Why: cancelled -> patience or horizon (still waiting when the simulation ended, counted as cancelled like in shard_metrics); abandoned -> price, eta or stochastic (the last rejection\'s reason); unresolved -> quoting or on_board; null when completed.',
  `surge_multiplier` double COMMENT 'Surge multiplier of the rider\'s last quote (1 without surge).',
  `fare`             double COMMENT 'Fare of the rider\'s last quote: the accepted fare when the rider accepted. The simulation decides whether a quote\'s ETA is within 10 min without computing its value, so no quoted ETA is recorded; pickup_eta_s is the actual one. Unit: EUR.',
  `accept_time_s`    double COMMENT 'Simulated time the rider accepted a quote (null: never accepted). Unit: s.',
  `match_time_s`     double COMMENT 'Simulated time a driver was assigned (null: never matched). Unit: s.',
  `pickup_time_s`    double COMMENT 'Simulated time of the pickup (null: never picked up). Unit: s.',
  `dropoff_time_s`   double COMMENT 'Simulated time of the drop-off (null: not completed). Unit: s.',
  `end_time_s`       double COMMENT 'Simulated time the rider\'s request ended: the drop-off, the cancellation (the horizon for outcome_reason horizon) or the abandoning quote; null when unresolved. Unit: s.',
  `wait_for_match_s` double COMMENT 'match_time_s - accept_time_s (null: never matched). Unit: s.',
  `pickup_eta_s`     double COMMENT 'Actual time from the match to the pickup: pickup_time_s - match_time_s (null: never picked up). Unit: s.',
  `trip_duration_s`  double COMMENT 'dropoff_time_s - pickup_time_s (null: not completed). Unit: s.',
  `driver_id`        bigint COMMENT 'Driver assigned to the rider (null: never matched).',
  `platform_revenue` double COMMENT 'Commission the platform kept on a completed trip: fare x commission_rate (null: not completed). Unit: EUR.'
)
COMMENT 'One row per rider request of a point (requested within the simulated horizon), written only when the request\'s outputs list trips (ride_hailing). Rows ordered by (point_index, rider_id); a shard\'s file holds its points in order. Queries read the file a success envelope commits (join on shard_id and attempt, like shard_metrics).'
PARTITIONED BY (
  `run_date` string COMMENT 'UTC acceptance date of the run, yyyy-MM-dd (projected: date).',
  `run_id` string COMMENT 'Percent-encoded run id as in the storage key (projected: injected; every query must pin it with = or IN).',
  `status` string COMMENT 'success or failure (projected: enum).'
)
STORED AS PARQUET
LOCATION 's3://${bucket}/${prefix}/dataset=trip_data/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.run_date.type' = 'date',
  'projection.run_date.format' = 'yyyy-MM-dd',
  'projection.run_date.range' = '2024-01-01,NOW',
  'projection.run_date.interval' = '1',
  'projection.run_date.interval.unit' = 'DAYS',
  'projection.run_id.type' = 'injected',
  'projection.status.type' = 'enum',
  'projection.status.values' = 'success',
  'storage.location.template' = 's3://${bucket}/${prefix}/dataset=trip_data/run_date=$${run_date}/run_id=$${run_id}/status=$${status}/'
);
