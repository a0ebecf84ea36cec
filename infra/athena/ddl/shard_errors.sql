-- GENERATED FILE - DO NOT EDIT.
-- Source: schemas/v1/datasets/shard_errors.json
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

CREATE EXTERNAL TABLE IF NOT EXISTS `${database}`.`shard_errors` (
  `shard_id`        bigint COMMENT 'Shard that failed.',
  `start_index`     bigint COMMENT 'First point index of the shard (inclusive).',
  `end_index`       bigint COMMENT 'Point index after the shard\'s last point (exclusive).',
  `attempt`         int COMMENT 'Attempt number that failed.',
  `attempt_id`      string COMMENT 'Unique id of the failed attempt.',
  `model`           string COMMENT 'Model of the run, when known.',
  `error_code`      string COMMENT 'Exception class name.',
  `error_kind`      string COMMENT 'invalid_payload, model_error, injected, storage, timeout or internal; crashed, platform_timeout or expired when the on-failure recorder wrote the row from Lambda\'s failure record.',
  `error_message`   string COMMENT 'str() of the exception.',
  `traceback`       string COMMENT 'Traceback, truncated to its last 4000 characters.',
  `event_time`      timestamp COMMENT 'When the failure was recorded (UTC).',
  `runtime_version` string COMMENT 'serverless-sweep version that recorded the failure.'
)
COMMENT 'One row per failed shard attempt (one file per attempt, never replaced).'
PARTITIONED BY (
  `run_date` string COMMENT 'UTC acceptance date of the run, yyyy-MM-dd (projected: date).',
  `run_id` string COMMENT 'Percent-encoded run id as in the storage key (projected: injected; every query must pin it with = or IN).',
  `status` string COMMENT 'success or failure (projected: enum).'
)
STORED AS PARQUET
LOCATION 's3://${bucket}/${prefix}/dataset=shard_errors/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.run_date.type' = 'date',
  'projection.run_date.format' = 'yyyy-MM-dd',
  'projection.run_date.range' = '2024-01-01,NOW',
  'projection.run_date.interval' = '1',
  'projection.run_date.interval.unit' = 'DAYS',
  'projection.run_id.type' = 'injected',
  'projection.status.type' = 'enum',
  'projection.status.values' = 'failure',
  'storage.location.template' = 's3://${bucket}/${prefix}/dataset=shard_errors/run_date=$${run_date}/run_id=$${run_id}/status=$${status}/'
);
