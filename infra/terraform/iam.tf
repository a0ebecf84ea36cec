# Least privilege: every action is named, every resource is the bucket, the results prefix, a
# log group's streams (`<log group ARN>:*`, the form CreateLogStream and PutLogEvents are
# authorized against), the child function or the dead-letter queue. What the code calls (see
# src/serverless_sweep/adapters/aws): GetObject, HeadObject (s3:GetObject), PutObject with and
# without If-None-Match (s3:PutObject), ListObjectsV2 (s3:ListBucket), Lambda Invoke (Event).
# Nothing deletes: the functions get no s3:DeleteObject.

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
}

# Both functions read and write results under the prefix, and list it (the child's "already
# done?" check and the status both list keys; without ListBucket, S3 answers 403 for a missing key).
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

# -- parent ---------------------------------------------------------------------------------------

resource "aws_iam_role" "parent" {
  name               = "${var.name_prefix}-parent"
  description        = "serverless-sweep parent function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "parent" {
  source_policy_documents = [data.aws_iam_policy_document.results_access.json]

  statement {
    sid       = "InvokeChild"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.child.arn]
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
  source_policy_documents = [data.aws_iam_policy_document.results_access.json]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.child.arn}:*"]
  }

  statement {
    sid       = "FailedEventsToDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.child_dlq.arn]
  }
}

resource "aws_iam_role_policy" "child" {
  name   = "${var.name_prefix}-child"
  role   = aws_iam_role.child.id
  policy = data.aws_iam_policy_document.child.json
}
