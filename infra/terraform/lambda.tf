# Three functions from two artifacts:
#   parent    parent_lambda_zip  API routes (submit, status, redrive) and dispatch jobs (the
#                                parent invokes itself asynchronously to fan a run out)
#   child     child_lambda_zip   one shard per asynchronous invocation
#   recorder  child_lambda_zip   the child's on-failure destination: turns Lambda's failure
#                                record into the shard's failure envelope and shard_errors row
# Each function publishes a version on every code or configuration change; the `live` alias is
# what every caller invokes. Terraform creates the alias; `make deploy` moves it to the newest
# version and `make rollback` back (ignore_changes below: a plain `terraform apply` after a
# rollback never rolls forward behind the operator's back).

resource "aws_cloudwatch_log_group" "parent" {
  name              = "/aws/lambda/${local.parent_function_name}"
  retention_in_days = var.log_retention_days
  # checkov:skip=CKV_AWS_158: logs are encrypted by CloudWatch Logs' own key; a CMK adds key policy management for no reader that CloudWatch's IAM does not already control
  # checkov:skip=CKV_AWS_338: retention is a variable (log_retention_days, default 30); results, not logs, are the durable record
}

resource "aws_cloudwatch_log_group" "child" {
  name              = "/aws/lambda/${local.child_function_name}"
  retention_in_days = var.log_retention_days
  # checkov:skip=CKV_AWS_158: CloudWatch Logs' own encryption, as the parent's log group
  # checkov:skip=CKV_AWS_338: retention is log_retention_days (default 30), as the parent's log group
}

resource "aws_cloudwatch_log_group" "recorder" {
  name              = "/aws/lambda/${local.recorder_function_name}"
  retention_in_days = var.log_retention_days
  # checkov:skip=CKV_AWS_158: CloudWatch Logs' own encryption, as the parent's log group
  # checkov:skip=CKV_AWS_338: retention is log_retention_days (default 30), as the parent's log group
}

resource "aws_lambda_function" "child" {
  # checkov:skip=CKV_AWS_116: the child's failures go to an on-failure destination (the recorder, aws_lambda_function_event_invoke_config.child), which records them; the DLQ is the recorder's
  # checkov:skip=CKV_AWS_117: no VPC: the function talks only to S3 and Lambda APIs, and a VPC would need NAT or endpoints for nothing it protects
  # checkov:skip=CKV_AWS_173: the environment holds names (bucket, prefix, model), no secrets; Lambda encrypts it at rest with its own key
  # checkov:skip=CKV_AWS_272: code signing needs an AWS Signer profile; artifacts are content-addressed by sha256 and reproducible instead (infra/build_lambda.py)
  function_name = local.child_function_name
  description   = "serverless-sweep child: runs one shard, writes Parquet and an outcome envelope"
  role          = aws_iam_role.child.arn
  runtime       = "python3.12"
  architectures = ["x86_64"]
  handler       = "serverless_sweep.entrypoints.lambda_child.handler"
  publish       = true

  s3_bucket        = aws_s3_bucket.results.id
  s3_key           = local.child_code_key
  source_code_hash = filebase64sha256(local.child_lambda_zip)

  memory_size                    = var.child_memory_mb
  timeout                        = var.child_timeout_seconds
  reserved_concurrent_executions = var.child_reserved_concurrency

  environment {
    variables = local.common_environment
  }

  tracing_config {
    mode = local.tracing_mode
  }

  # The log group must exist (with its retention) before the first invocation creates one
  # without; the role's policy must be in place before the function can use it.
  depends_on = [aws_cloudwatch_log_group.child, aws_iam_role_policy.child]
}

resource "aws_lambda_function" "recorder" {
  # checkov:skip=CKV_AWS_117: no VPC: it talks only to the S3 and Lambda APIs (as the child)
  # checkov:skip=CKV_AWS_173: no secrets in the environment (names only), encrypted at rest by Lambda (as the child)
  # checkov:skip=CKV_AWS_272: no code signing: artifacts are reproducible and content-addressed by sha256 (as the child)
  function_name = local.recorder_function_name
  description   = "serverless-sweep recorder: the child's on-failure destination, records crashed, timed-out and expired shards"
  role          = aws_iam_role.recorder.arn
  runtime       = "python3.12"
  architectures = ["x86_64"]
  handler       = "serverless_sweep.entrypoints.lambda_child.failure_handler"
  publish       = true

  s3_bucket        = aws_s3_bucket.results.id
  s3_key           = local.child_code_key
  source_code_hash = filebase64sha256(local.child_lambda_zip)

  # It writes one small envelope and one Parquet row per failure: little memory, short runs.
  memory_size                    = var.recorder_memory_mb
  timeout                        = 60
  reserved_concurrent_executions = var.recorder_reserved_concurrency

  environment {
    variables = local.common_environment
  }

  # The last resort: a failure record the recorder could not write (after Lambda's retries of
  # the recorder itself) lands here, with the alarm in alarms.tf.
  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letters.arn
  }

  tracing_config {
    mode = local.tracing_mode
  }

  depends_on = [aws_cloudwatch_log_group.recorder, aws_iam_role_policy.recorder]
}

resource "aws_lambda_function" "parent" {
  # checkov:skip=CKV_AWS_117: no VPC: it talks only to the S3 and Lambda APIs (as the child)
  # checkov:skip=CKV_AWS_173: no secrets in the environment (names only), encrypted at rest by Lambda (as the child)
  # checkov:skip=CKV_AWS_272: no code signing: artifacts are reproducible and content-addressed by sha256 (as the child)
  function_name = local.parent_function_name
  description   = "serverless-sweep parent: validates a sweep, records the run, dispatches shards asynchronously"
  role          = aws_iam_role.parent.arn
  runtime       = "python3.12"
  architectures = ["x86_64"]
  handler       = "serverless_sweep.entrypoints.lambda_parent.handler"
  publish       = true

  s3_bucket        = aws_s3_bucket.results.id
  s3_key           = local.parent_code_key
  source_code_hash = filebase64sha256(local.parent_lambda_zip)

  memory_size                    = var.parent_memory_mb
  timeout                        = var.parent_timeout_seconds
  reserved_concurrent_executions = var.parent_reserved_concurrency

  environment {
    variables = merge(local.common_environment, {
      CHILD_LAMBDA_ARN = aws_lambda_alias.child.arn
      # The parent runs a dispatch job by invoking itself (its live alias) asynchronously.
      SWEEP_DISPATCHER_FUNCTION  = local.dispatcher_function
      SWEEP_DISPATCH_CONCURRENCY = tostring(var.dispatch_concurrency)
      # How long a dispatched shard may stay without a record before the status calls it lost.
      SWEEP_CHILD_MAX_EVENT_AGE_S = tostring(var.child_maximum_event_age_seconds)
      SWEEP_CHILD_TIMEOUT_S       = tostring(var.child_timeout_seconds)
    })
  }

  # A dispatch job that failed every attempt (see the parent's async config) lands here.
  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letters.arn
  }

  tracing_config {
    mode = local.tracing_mode
  }

  depends_on = [aws_cloudwatch_log_group.parent, aws_iam_role_policy.parent]
}

# -- aliases --------------------------------------------------------------------------------------

resource "aws_lambda_alias" "child" {
  name             = local.live_alias
  description      = "What the parent invokes; moved by make deploy / make rollback"
  function_name    = aws_lambda_function.child.function_name
  function_version = aws_lambda_function.child.version

  lifecycle {
    ignore_changes = [function_version]
  }
}

resource "aws_lambda_alias" "recorder" {
  name             = local.live_alias
  description      = "The child's on-failure destination; moved with the child by make deploy / make rollback"
  function_name    = aws_lambda_function.recorder.function_name
  function_version = aws_lambda_function.recorder.version

  lifecycle {
    ignore_changes = [function_version]
  }
}

resource "aws_lambda_alias" "parent" {
  name             = local.live_alias
  description      = "What API Gateway and the parent's dispatch jobs invoke; moved by make deploy / make rollback"
  function_name    = aws_lambda_function.parent.function_name
  function_version = aws_lambda_function.parent.version

  lifecycle {
    ignore_changes = [function_version]
  }
}

# -- asynchronous invocation ----------------------------------------------------------------------

# Child invocations are asynchronous (InvocationType=Event). The handler records every failure
# it sees itself (shard_errors, failure envelope) and re-raises; Lambda retries
# (maximum_retry_attempts) and then hands the failure record to the recorder, as it does for an
# event that waited longer than maximum_event_age (throttled) or an invocation that never
# reached the handler's own error path (out of memory, the platform's hard timeout, a crashed
# runtime): no shard disappears without a record.
resource "aws_lambda_function_event_invoke_config" "child" {
  function_name                = aws_lambda_function.child.function_name
  qualifier                    = aws_lambda_alias.child.name
  maximum_retry_attempts       = var.child_maximum_retry_attempts
  maximum_event_age_in_seconds = var.child_maximum_event_age_seconds

  destination_config {
    on_failure {
      destination = aws_lambda_alias.recorder.arn
    }
  }

  # Lambda checks that the function's role may invoke the destination.
  depends_on = [aws_iam_role_policy.child]
}

# The recorder itself: retried by Lambda, then its DLQ (dead_letter_config above).
resource "aws_lambda_function_event_invoke_config" "recorder" {
  function_name                = aws_lambda_function.recorder.function_name
  qualifier                    = aws_lambda_alias.recorder.name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
}

# Dispatch jobs ({"sweep_dispatch": ...}): a dispatcher that crashed is picked up again by
# Lambda's retries (the dispatch record makes a rerun resume, never re-invoke a shard); one that
# failed every attempt, or waited longer than the maximum age, goes to the DLQ (alarmed).
resource "aws_lambda_function_event_invoke_config" "parent" {
  function_name                = aws_lambda_function.parent.function_name
  qualifier                    = aws_lambda_alias.parent.name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = var.dispatch_maximum_event_age_seconds
}
