-- GENERATED FILE - DO NOT EDIT.
-- Source: schemas/v1/datasets/shard_metrics.json, schemas/v1/models/legacy_hash/columns.json, schemas/v1/models/ride_hailing/columns.json
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

CREATE EXTERNAL TABLE IF NOT EXISTS `${database}`.`run_metrics` (
  `shard_id`                    bigint COMMENT 'Shard that computed the point.',
  `point_index`                 bigint COMMENT 'Index of the point in the mixed-radix enumeration of the dimensions.',
  `point_seed`                  bigint COMMENT 'Seed of the point\'s random streams, derived from the request seed and point index only.',
  `model`                       string COMMENT 'Simulation model that produced the row.',
  `attempt`                     int COMMENT 'Attempt of the shard that produced the row.',
  `compute_ms`                  double COMMENT 'Wall time spent computing the point. Unit: ms.',
  `parameters_json`             string COMMENT 'The point as compact sorted-key JSON (the legacy_hash model accepts any values, so they are kept as text).',
  `completed_rides`             bigint COMMENT 'Synthetic completed rides: state % 200 + 10. Unit: rides.',
  `abandoned_rides`             bigint COMMENT 'Synthetic abandoned rides: (state // 10) % 40. Unit: rides.',
  `platform_revenue_cents`      bigint COMMENT 'Synthetic revenue: completed_rides * (500 + state % 1200). Unit: cents.',
  `num_riders`                  bigint COMMENT 'Parameter: Riders spawned over the 1 h request window. Unit: riders.',
  `num_drivers`                 bigint COMMENT 'Parameter: Drivers spawned over the driver spread window. Unit: drivers.',
  `match_radius`                bigint COMMENT 'Parameter: Largest grid distance for a match. Unit: cells.',
  `commission_rate`             double COMMENT 'Parameter: Platform share of each fare.',
  `base_fare`                   double COMMENT 'Parameter: Fixed part of a fare. Unit: EUR.',
  `per_km_rate`                 double COMMENT 'Parameter: Fare per km. Unit: EUR/km.',
  `surge_enabled`               boolean COMMENT 'Parameter: Whether surge pricing was on.',
  `surge_radius_k`              bigint COMMENT 'Parameter: Grid-disk radius of the surge neighbourhood. Unit: cells.',
  `surge_max_multiplier`        double COMMENT 'Parameter: Cap of the surge multiplier.',
  `epoch_ms`                    bigint COMMENT 'Parameter: Wall-clock ms at simulation time 0 (null resolved to 0). Unit: ms.',
  `simulation_duration_hours`   bigint COMMENT 'Parameter: Simulation end time (null resolved to window + 2 h). Unit: h.',
  `matching_algorithm_type`     string COMMENT 'Parameter: Matcher: simple, cost_based or hungarian.',
  `batch_matching_enabled`      boolean COMMENT 'Parameter: Whether matching ran in global batches.',
  `batch_interval_secs`         bigint COMMENT 'Parameter: Batch matching period. Unit: s.',
  `eta_weight`                  double COMMENT 'Parameter: ETA weight in the cost-based and Hungarian matchers. Unit: 1/s.',
  `traffic_profile`             string COMMENT 'Parameter: Hourly speed profile: none or berlin.',
  `dynamic_congestion_enabled`  boolean COMMENT 'Parameter: Whether density slowed vehicles down.',
  `base_speed_kmh`              double COMMENT 'Parameter: Free-flow speed; null when each driver drew one from 20 to 60 km/h. Unit: km/h.',
  `total_riders`                bigint COMMENT 'Resolved riders: completed + cancelled + abandoned at quote. Unit: riders.',
  `completed_riders`            bigint COMMENT 'Riders whose trip completed. Unit: riders.',
  `abandoned_quote_riders`      bigint COMMENT 'Riders who gave up at the quote stage (price, ETA or chance). Unit: riders.',
  `cancelled_riders`            bigint COMMENT 'Riders who cancelled while waiting for a match or pickup. Unit: riders.',
  `conversion_rate`             double COMMENT 'completed_riders / total_riders (0 when no rider resolved).',
  `platform_revenue`            double COMMENT 'Commission kept by the platform. Unit: EUR.',
  `driver_payouts`              double COMMENT 'Fares minus commission, paid to drivers. Unit: EUR.',
  `total_fares_collected`       double COMMENT 'Sum of fares of completed trips. Unit: EUR.',
  `avg_time_to_match_ms`        double COMMENT 'Mean time from quote acceptance to match (0 when nothing completed). Unit: ms.',
  `median_time_to_match_ms`     double COMMENT 'Median time from quote acceptance to match. Unit: ms.',
  `p90_time_to_match_ms`        double COMMENT '90th percentile time from quote acceptance to match. Unit: ms.',
  `avg_time_to_pickup_ms`       double COMMENT 'Mean time from match to pickup (0 when nothing completed). Unit: ms.',
  `median_time_to_pickup_ms`    double COMMENT 'Median time from match to pickup. Unit: ms.',
  `p90_time_to_pickup_ms`       double COMMENT '90th percentile time from match to pickup. Unit: ms.',
  `completed_trips`             bigint COMMENT 'Trips driven to the drop-off. Unit: trips.',
  `riders_abandoned_price`      bigint COMMENT 'Riders who abandoned after too many overpriced quotes. Unit: riders.',
  `riders_abandoned_eta`        bigint COMMENT 'Riders who abandoned after too many quotes with an ETA over 10 min. Unit: riders.',
  `riders_abandoned_stochastic` bigint COMMENT 'Riders who abandoned after too many randomly rejected fair quotes. Unit: riders.',
  `total_drivers`               bigint COMMENT 'Drivers that joined. Unit: drivers.'
)
COMMENT 'A finished run\'s shard_metrics rows once more, compacted into a few files ordered by point_index (written once when the run\'s last shard commits). A run\'s files are complete once its compaction record (dataset=runs/.../compaction/committed.json) exists; until then (a compaction cut short) query shard_metrics, or check that count(*) equals the run\'s total_points.'
PARTITIONED BY (
  `run_date` string COMMENT 'UTC acceptance date of the run, yyyy-MM-dd (projected: date).',
  `run_id` string COMMENT 'Percent-encoded run id as in the storage key (projected: injected; every query must pin it with = or IN).',
  `status` string COMMENT 'success or failure (projected: enum).'
)
STORED AS PARQUET
LOCATION 's3://${bucket}/${prefix}/dataset=run_metrics/'
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
  'storage.location.template' = 's3://${bucket}/${prefix}/dataset=run_metrics/run_date=$${run_date}/run_id=$${run_id}/status=$${status}/'
);
