output "api_url" {
  description = "Base URL of the API stage: POST <api_url>/sweep-run, GET <api_url>/sweep-run/{run_id}, POST <api_url>/sweep-run/{run_id}/redrive (SigV4-signed, service execute-api)."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "api_id" {
  description = "REST API id."
  value       = aws_api_gateway_rest_api.this.id
}

output "bucket" {
  description = "Results bucket (SWEEP_RESULTS_BUCKET)."
  value       = aws_s3_bucket.results.id
}

output "results_prefix" {
  description = "Key prefix of the results (SWEEP_RESULTS_PREFIX)."
  value       = local.results_prefix
}

output "parent_function_name" {
  description = "Parent Lambda function (API integration; also invokable directly with a SweepRequest)."
  value       = aws_lambda_function.parent.function_name
}

output "child_function_name" {
  description = "Child Lambda function (one shard per asynchronous invocation)."
  value       = aws_lambda_function.child.function_name
}

output "child_function_arn" {
  description = "CHILD_LAMBDA_ARN of the parent: the child's live alias."
  value       = aws_lambda_alias.child.arn
}

output "recorder_function_name" {
  description = "Recorder Lambda function: the child's on-failure destination (same artifact as the child)."
  value       = aws_lambda_function.recorder.function_name
}

output "live_alias" {
  description = "The alias every caller invokes; `make deploy` moves it to the newest version, `make rollback` back."
  value       = local.live_alias
}

output "lambda_code_keys" {
  description = "Keys of the artifacts this apply deployed (lambda-code/<parent|child>/<sha256>.zip in the bucket)."
  value = {
    parent = local.parent_code_key
    child  = local.child_code_key
  }
}

output "dead_letter_queue_url" {
  description = "SQS queue of the last resort: failure records the recorder could not write, dispatch jobs that failed every attempt. Alarmed (dead_letter_alarm)."
  value       = aws_sqs_queue.dead_letters.id
}

output "dead_letter_alarm" {
  description = "CloudWatch alarm on visible messages in the dead-letter queue."
  value       = aws_cloudwatch_metric_alarm.dead_letters.alarm_name
}

output "api_access_log_group" {
  description = "CloudWatch log group of the API access log (null when enable_api_access_logging is false)."
  value       = var.enable_api_access_logging ? aws_cloudwatch_log_group.api_access[0].name : null
}

output "athena_workgroup" {
  description = "Athena workgroup (results to athena-results/ in the bucket, SSE-S3, enforced)."
  value       = aws_athena_workgroup.sweeps.name
}

output "athena_database" {
  description = "Glue database of the tables shard_metrics, shard_errors, shard_outcomes."
  value       = aws_glue_catalog_database.sweeps.name
}

output "athena_named_query_ids" {
  description = "Named queries holding each table's CREATE EXTERNAL TABLE statement."
  value       = { for table, query in aws_athena_named_query.create_table : table => query.id }
}

output "athena_ddl_commands" {
  description = "Run once after the first apply (and after a schema change, following DROP TABLE): one AWS CLI command per table."
  value = [
    for table, query in aws_athena_named_query.create_table : join(" ", [
      "aws athena start-query-execution",
      "--region ${var.region}",
      "--work-group ${aws_athena_workgroup.sweeps.name}",
      "--query-execution-context Database=${aws_glue_catalog_database.sweeps.name}",
      "--query-string \"$(aws athena get-named-query --region ${var.region} --named-query-id ${query.id} --query NamedQuery.QueryString --output text)\"",
    ])
  ]
}

output "function_names" {
  description = "The three functions by role (make deploy / make rollback read this)."
  value = {
    parent   = aws_lambda_function.parent.function_name
    child    = aws_lambda_function.child.function_name
    recorder = aws_lambda_function.recorder.function_name
  }
}

output "function_versions" {
  description = "The version each function published last (make deploy moves live there)."
  value = {
    parent   = aws_lambda_function.parent.version
    child    = aws_lambda_function.child.version
    recorder = aws_lambda_function.recorder.version
  }
}
