# The last resort: events that failed every attempt of the recorder (a failure record it could
# not write) or of a dispatch job. In normal operation the queue stays empty; anything in it
# means a shard or a run needs a person, hence the alarm. Runbook: infra/README.md.
locals {
  dead_letters_name = "${var.name_prefix}-dlq"
  # Built, not read from the queue, so the policy can be part of the queue itself (one resource:
  # the provider waits ~25 s for SQS attributes to settle after each change, once is enough).
  dead_letters_arn = "arn:${local.partition}:sqs:${var.region}:${local.account_id}:${local.dead_letters_name}"
}

data "aws_iam_policy_document" "dead_letters" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [local.dead_letters_arn]

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

resource "aws_sqs_queue" "dead_letters" {
  # checkov:skip=CKV2_AWS_73: SQS's AWS-managed KMS key by default: the queue holds shard payloads (sweep parameters, no secrets or personal data) and senders need no key grants; set dlq_kms_key_id to a customer-managed key's ARN to use one
  name                      = local.dead_letters_name
  message_retention_seconds = var.dlq_message_retention_seconds
  # SSE-KMS. The default, SQS's AWS-managed key (alias/aws/sqs), admits every principal of the
  # account that may use the queue: the senders need no KMS grant. A customer-managed key
  # (dlq_kms_key_id = its ARN) gets kms:GenerateDataKey/Decrypt grants in iam.tf.
  kms_master_key_id                 = var.dlq_kms_key_id
  kms_data_key_reuse_period_seconds = 300
  policy                            = data.aws_iam_policy_document.dead_letters.json
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name        = "${var.name_prefix}-dlq-not-empty"
  alarm_description = "serverless-sweep: a failure record or dispatch job reached the dead-letter queue ${local.dead_letters_name}; see infra/README.md (Runbook: dead letters)"
  namespace         = "AWS/SQS"
  metric_name       = "ApproximateNumberOfMessagesVisible"
  dimensions = {
    QueueName = aws_sqs_queue.dead_letters.name
  }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  ok_actions    = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
}
