-- GENERATED FILE - DO NOT EDIT.
-- Source: schemas/v1/shard_outcome.json
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

CREATE EXTERNAL TABLE IF NOT EXISTS `${database}`.`shard_outcomes` (
  `record_schema`     string COMMENT 'Record schema of the old runtime, kept.',
  `contract_version`  string COMMENT 'Contract version of this envelope.',
  `envelope_status`   string COMMENT 'Outcome.',
  `envelope_run_id`   string COMMENT 'Run id.',
  `shard_id`          bigint COMMENT 'Shard number.',
  `start_index`       bigint COMMENT 'First point index (inclusive).',
  `end_index`         bigint COMMENT 'Point index after the shard\'s last point (exclusive).',
  `event_time`        string COMMENT 'UTC time the record was written (ISO 8601, +00:00).',
  `output_metadata`   struct<format:string,points_processed:bigint,result_key:string,metrics_key:string,metrics_size:bigint,metrics_sha256:string,summary:struct<run_id:string,shard_id:bigint,start_index:bigint,end_index:bigint,metrics:map<string,string>>,detail_files:array<struct<dataset:string,key:string,size:bigint,sha256:string,rows:bigint>>> COMMENT 'Where the rows are. (SuccessOutcome only)',
  `attempt`           bigint COMMENT 'Attempt number that succeeded.',
  `envelope_run_date` string COMMENT 'run_date partition of the run.',
  `model`             string COMMENT 'Model that ran.',
  `fingerprint`       string COMMENT 'Request fingerprint (absent on old payloads).',
  `duration_ms`       double COMMENT 'Wall time of the attempt in milliseconds. (SuccessOutcome only)',
  `started_at`        string COMMENT 'UTC time the attempt started (ISO 8601, +00:00); with ended_at it places the attempt on the run\'s timeline and feeds the run\'s cost and timing ledger (absent on envelopes written before the ledger).',
  `ended_at`          string COMMENT 'UTC time the attempt ended (ISO 8601, +00:00).',
  `memory_mb`         bigint COMMENT 'Memory configured for the function that ran the attempt, in MB (Lambda\'s AWS_LAMBDA_FUNCTION_MEMORY_SIZE); null where none is configured (a local worker). Billed GB-seconds are the duration times this.',
  `cold_start`        boolean COMMENT 'Whether this was the first attempt its process (a Lambda execution environment, a local worker) ran.',
  `instance_id`       string COMMENT 'Which execution environment ran the attempt: the Lambda log stream name, or host:pid of a local worker (the report\'s timeline draws one lane per instance).',
  `runtime_version`   string COMMENT 'serverless-sweep version that wrote the record.',
  `error_code`        string COMMENT 'Exception class name. (FailureOutcome only)',
  `error_message`     string COMMENT 'str() of the exception. (FailureOutcome only)',
  `error_kind`        string COMMENT 'Why the attempt failed. crashed, platform_timeout and expired are written by the on-failure recorder from Lambda\'s failure record (or the local runtime\'s equivalent) when the attempt left no record of its own: the runtime died (out of memory, a crash, a killed worker), the platform\'s hard timeout struck, or the event waited longer than its maximum age. (FailureOutcome only)',
  `attempt_id`        string COMMENT 'Unique id of this failed attempt (names its files, so nothing is replaced). (FailureOutcome only)',
  `errors_key`        string COMMENT 'Store key of the attempt\'s row in the shard_errors dataset. (FailureOutcome only)',
  `errors_size`       bigint COMMENT 'Size in bytes of the Parquet file at errors_key (absent when that file could not be written, or on envelopes written before checksums). (FailureOutcome only)',
  `errors_sha256`     string COMMENT 'SHA-256 (lowercase hex) of the Parquet file at errors_key (absent when that file could not be written, or on envelopes written before checksums). (FailureOutcome only)'
)
COMMENT 'One JSON envelope per file (success: one per shard; failure: one per failed attempt). The SerDe needs each envelope on a single line. Fields named like a partition key are read into envelope_* columns.'
PARTITIONED BY (
  `run_date` string COMMENT 'UTC acceptance date of the run, yyyy-MM-dd (projected: date).',
  `run_id` string COMMENT 'Percent-encoded run id as in the storage key (projected: injected; every query must pin it with = or IN).',
  `status` string COMMENT 'success or failure (projected: enum).'
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  'mapping.envelope_status' = 'status',
  'mapping.envelope_run_id' = 'run_id',
  'mapping.envelope_run_date' = 'run_date'
)
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${bucket}/${prefix}/dataset=shard_outcomes/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.run_date.type' = 'date',
  'projection.run_date.format' = 'yyyy-MM-dd',
  'projection.run_date.range' = '2024-01-01,NOW',
  'projection.run_date.interval' = '1',
  'projection.run_date.interval.unit' = 'DAYS',
  'projection.run_id.type' = 'injected',
  'projection.status.type' = 'enum',
  'projection.status.values' = 'success,failure',
  'storage.location.template' = 's3://${bucket}/${prefix}/dataset=shard_outcomes/run_date=$${run_date}/run_id=$${run_id}/status=$${status}/'
);
