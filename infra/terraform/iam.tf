# Least privilege: every action is named, every resource is the bucket, a part of the results
# prefix, a log group's streams (`<log group ARN>:*`, the form CreateLogStream and PutLogEvents
# are authorized against), a function alias or the dead-letter queue. What the code calls (see
# src/serverless_sweep/adapters/aws): GetObject, HeadObject (s3:GetObject), PutObject with and
# without If-None-Match (s3:PutObject), ListObjectsV2 (s3:ListBucket), Lambda Invoke (Event).
# Nothing deletes: the functions get no s3:DeleteObject. The only "*" resource is X-Ray's
# (PutTraceSegments and PutTelemetryRecords have no resource-level permissions).

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

locals {
  # s3:ListBucket for keys under the results prefix only. S3 also consults ListBucket to
  # answer 404 (not 403) for a missing key, which the store relies on (get -> None,
  # exists -> False); list_bucket_prefix_condition = false drops the condition should a
  # deployment ever see 403s for missing keys under the prefix.
  list_results_conditions = var.list_bucket_prefix_condition ? [{
    test     = "StringLike"
    variable = "s3:prefix"
    values   = ["${local.results_prefix}/*"]
  }] : []

  # What the recorder touches (see core/keys.py): it reads a shard's outcome envelopes (never
  # replace a success) and writes a failure envelope and a shard_errors row.
  outcomes_arn = "${aws_s3_bucket.results.arn}/${local.results_prefix}/dataset=shard_outcomes/*"
  errors_arn   = "${aws_s3_bucket.results.arn}/${local.results_prefix}/dataset=shard_errors/*"

  # A customer-managed DLQ key needs grants; SQS's AWS-managed key does not (dead_letters.tf).
  dlq_kms_grants = startswith(var.dlq_kms_key_id, "arn:") ? [var.dlq_kms_key_id] : []
}

# The parent and the child read and write results under the prefix, and list it (the child's
# "already done?" check and the status both list keys; without ListBucket, S3 answers 403 for a
# missing key).
data "aws_iam_policy_document" "results_access" {
  statement {
    sid       = "ReadWriteResults"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = [local.results_arn]
  }

  statement {
    sid       = "ListResults"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.results.arn]

    dynamic "condition" {
      for_each = local.list_results_conditions
      content {
        test     = condition.value.test
        variable = condition.value.variable
        values   = condition.value.values
      }
    }
  }
}

# X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions: "*" is
# the only resource they accept.
data "aws_iam_policy_document" "tracing" {
  dynamic "statement" {
    for_each = var.enable_xray_tracing ? [1] : []
    content {
      sid       = "WriteTraces"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

data "aws_iam_policy_document" "dead_letters_send" {
  statement {
    sid       = "FailedEventsToDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letters.arn]
  }

  dynamic "statement" {
    for_each = local.dlq_kms_grants
    content {
      sid       = "EncryptDeadLetters"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

# -- parent ---------------------------------------------------------------------------------------

resource "aws_iam_role" "parent" {
  name               = "${var.name_prefix}-parent"
  description        = "serverless-sweep parent function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "parent" {
  source_policy_documents = [
    data.aws_iam_policy_document.results_access.json,
    data.aws_iam_policy_document.dead_letters_send.json,
    data.aws_iam_policy_document.tracing.json,
  ]

  statement {
    sid     = "InvokeChildAndDispatcher"
    actions = ["lambda:InvokeFunction"]
    # The child's live alias (shards) and the parent's own (dispatch jobs), nothing else.
    resources = [aws_lambda_alias.child.arn, local.parent_live_arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.parent.arn}:*"]
  }
}

resource "aws_iam_role_policy" "parent" {
  name   = "${var.name_prefix}-parent"
  role   = aws_iam_role.parent.id
  policy = data.aws_iam_policy_document.parent.json
}

# -- child ----------------------------------------------------------------------------------------

resource "aws_iam_role" "child" {
  name               = "${var.name_prefix}-child"
  description        = "serverless-sweep child function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "child" {
  source_policy_documents = [
    data.aws_iam_policy_document.results_access.json,
    data.aws_iam_policy_document.tracing.json,
  ]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.child.arn}:*"]
  }

  # Lambda sends the on-failure record to the recorder with the child's role.
  statement {
    sid       = "FailuresToRecorder"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.recorder_live_arn]
  }
}

resource "aws_iam_role_policy" "child" {
  name   = "${var.name_prefix}-child"
  role   = aws_iam_role.child.id
  policy = data.aws_iam_policy_document.child.json
}

# -- recorder -------------------------------------------------------------------------------------

resource "aws_iam_role" "recorder" {
  name               = "${var.name_prefix}-recorder"
  description        = "serverless-sweep recorder function (the child's on-failure destination)"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "recorder" {
  source_policy_documents = [
    data.aws_iam_policy_document.dead_letters_send.json,
    data.aws_iam_policy_document.tracing.json,
  ]

  statement {
    sid       = "ReadOutcomes"
    actions   = ["s3:GetObject"]
    resources = [local.outcomes_arn]
  }

  statement {
    sid       = "WriteFailureRecords"
    actions   = ["s3:PutObject"]
    resources = [local.outcomes_arn, local.errors_arn]
  }

  statement {
    sid       = "ListResults"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.results.arn]

    dynamic "condition" {
      for_each = local.list_results_conditions
      content {
        test     = condition.value.test
        variable = condition.value.variable
        values   = condition.value.values
      }
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.recorder.arn}:*"]
  }
}

resource "aws_iam_role_policy" "recorder" {
  name   = "${var.name_prefix}-recorder"
  role   = aws_iam_role.recorder.id
  policy = data.aws_iam_policy_document.recorder.json
}
