-- GENERATED FILE - DO NOT EDIT.
-- Source: schemas/v1/datasets/snapshot_counts.json
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

CREATE EXTERNAL TABLE IF NOT EXISTS `${database}`.`snapshot_counts` (
  `shard_id`               bigint COMMENT 'Shard that computed the point.',
  `point_index`            bigint COMMENT 'Index of the point (as in shard_metrics).',
  `attempt`                int COMMENT 'Attempt of the shard that produced the row.',
  `snapshot_index`         int COMMENT 'Snapshot number: time_s / 60.',
  `time_s`                 double COMMENT 'Simulated time of the snapshot, from the start of the simulation. Unit: s.',
  `snapshot_at`            timestamp COMMENT 'Wall-clock time of the snapshot: the point\'s epoch_ms plus time_s (UTC).',
  `riders_browsing`        bigint COMMENT 'Riders in the quote loop (requested, neither accepted nor abandoned yet). Unit: riders.',
  `riders_waiting`         bigint COMMENT 'Riders who accepted a quote and wait for a match. Unit: riders.',
  `riders_awaiting_pickup` bigint COMMENT 'Matched riders whose driver is on the way. Unit: riders.',
  `riders_in_transit`      bigint COMMENT 'Riders on board. Unit: riders.',
  `riders_completed`       bigint COMMENT 'Riders dropped off so far (cumulative). Unit: riders.',
  `riders_cancelled`       bigint COMMENT 'Riders who ran out of patience so far (cumulative). Unit: riders.',
  `riders_abandoned`       bigint COMMENT 'Riders who abandoned at the quote so far (cumulative). Unit: riders.',
  `drivers_online`         bigint COMMENT 'Drivers online (drivers come online over the spread window and stay). Unit: drivers.',
  `drivers_idle`           bigint COMMENT 'Online drivers without a rider. Unit: drivers.',
  `drivers_en_route`       bigint COMMENT 'Drivers on the way to a pickup. Unit: drivers.',
  `drivers_on_trip`        bigint COMMENT 'Drivers carrying a rider. Unit: drivers.'
)
COMMENT 'The state of a point\'s marketplace every 60 simulated seconds (t = 0, 60, ... up to the horizon), written only when the request\'s outputs list snapshots (ride_hailing): counts after every event at or before t. Rows ordered by (point_index, snapshot_index). Queries read the file a success envelope commits (join on shard_id and attempt, like shard_metrics).'
PARTITIONED BY (
  `run_date` string COMMENT 'UTC acceptance date of the run, yyyy-MM-dd (projected: date).',
  `run_id` string COMMENT 'Percent-encoded run id as in the storage key (projected: injected; every query must pin it with = or IN).',
  `status` string COMMENT 'success or failure (projected: enum).'
)
STORED AS PARQUET
LOCATION 's3://${bucket}/${prefix}/dataset=snapshot_counts/'
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
  'storage.location.template' = 's3://${bucket}/${prefix}/dataset=snapshot_counts/run_date=$${run_date}/run_id=$${run_id}/status=$${status}/'
);
