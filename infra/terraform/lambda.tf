# The two functions run the same zip; only the handler and the environment differ.

resource "aws_s3_object" "lambda_code" {
  bucket = aws_s3_bucket.results.id
  key    = local.lambda_code_key
  source = local.lambda_zip_path
  # The zip is over Lambda's 50 MB direct-upload limit, hence S3. source_hash (not etag: large
  # uploads are multipart, whose ETag is no MD5) makes a rebuilt zip a new object version.
  source_hash  = filebase64sha256(local.lambda_zip_path)
  content_type = "application/zip"

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.results,
    aws_s3_bucket_versioning.results,
  ]
}

resource "aws_cloudwatch_log_group" "parent" {
  name              = "/aws/lambda/${local.parent_function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "child" {
  name              = "/aws/lambda/${local.child_function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "child" {
  function_name = local.child_function_name
  description   = "serverless-sweep child: runs one shard, writes Parquet and an outcome envelope"
  role          = aws_iam_role.child.arn
  runtime       = "python3.12"
  architectures = ["x86_64"]
  handler       = "serverless_sweep.entrypoints.aws_lambda.child_handler"

  s3_bucket         = aws_s3_object.lambda_code.bucket
  s3_key            = aws_s3_object.lambda_code.key
  s3_object_version = aws_s3_object.lambda_code.version_id
  source_code_hash  = filebase64sha256(local.lambda_zip_path)

  memory_size                    = var.child_memory_mb
  timeout                        = var.child_timeout_seconds
  reserved_concurrent_executions = var.child_reserved_concurrency

  environment {
    variables = local.common_environment
  }

  # The log group must exist (with its retention) before the first invocation creates one
  # without; the role's policy must be in place before the function can use it.
  depends_on = [aws_cloudwatch_log_group.child, aws_iam_role_policy.child]
}

resource "aws_lambda_function" "parent" {
  function_name = local.parent_function_name
  description   = "serverless-sweep parent: validates a sweep, records the run, fans out shards"
  role          = aws_iam_role.parent.arn
  runtime       = "python3.12"
  architectures = ["x86_64"]
  handler       = "serverless_sweep.entrypoints.aws_lambda.parent_handler"

  s3_bucket         = aws_s3_object.lambda_code.bucket
  s3_key            = aws_s3_object.lambda_code.key
  s3_object_version = aws_s3_object.lambda_code.version_id
  source_code_hash  = filebase64sha256(local.lambda_zip_path)

  memory_size = var.parent_memory_mb
  timeout     = var.parent_timeout_seconds

  environment {
    variables = merge(local.common_environment, {
      CHILD_LAMBDA_ARN = aws_lambda_function.child.arn
    })
  }

  depends_on = [aws_cloudwatch_log_group.parent, aws_iam_role_policy.parent]
}

# Child invocations are asynchronous (InvocationType=Event). Lambda retries a failed one
# (maximum_retry_attempts) and then hands the event to the dead-letter queue, as it does with an
# event that waited longer than maximum_event_age: no shard event silently disappears. The
# handler records every failed attempt itself (shard_errors); the queue holds the ones that
# never reached it (throttled past the age limit, crashed runtime, out of memory).
locals {
  child_dlq_name = "${var.name_prefix}-child-dlq"
  # Built, not read from the queue, so the policy can be part of the queue itself (one resource:
  # the provider waits ~25 s for SQS attributes to settle after each change, once is enough).
  child_dlq_arn = "arn:${local.partition}:sqs:${var.region}:${local.account_id}:${local.child_dlq_name}"
}

data "aws_iam_policy_document" "child_dlq" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [local.child_dlq_arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue" "child_dlq" {
  name                      = local.child_dlq_name
  message_retention_seconds = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = true
  policy                    = data.aws_iam_policy_document.child_dlq.json
}

resource "aws_lambda_function_event_invoke_config" "child" {
  function_name                = aws_lambda_function.child.function_name
  maximum_retry_attempts       = var.child_maximum_retry_attempts
  maximum_event_age_in_seconds = var.child_maximum_event_age_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.child_dlq.arn
    }
  }

  # Lambda checks that the function's role may send to the destination.
  depends_on = [aws_iam_role_policy.child]
}
