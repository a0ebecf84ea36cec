variable "name_prefix" {
  description = "Prefix of every resource name (functions, roles, queue, API, bucket, tables' database)."
  type        = string
  default     = "serverless-sweep"

  validation {
    # <= 24 characters keeps "<prefix>-results-<account>-<region>" within S3's 63.
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix: 3-24 characters, lower-case letters, digits and '-', starting with a letter."
  }
}

variable "region" {
  description = "AWS region of every resource."
  type        = string
  default     = "eu-central-1"
}

variable "results_prefix" {
  description = "SWEEP_RESULTS_PREFIX: the key prefix under which the functions write and Athena reads. IAM grants the functions this prefix only."
  type        = string
  default     = "serverless-sweeps"

  validation {
    # Non-empty (the Athena DDL needs it), no '/' at either end (keys are <prefix>/dataset=...),
    # and none of IAM's wildcard or variable characters (* ? $), which would widen the grants.
    condition = (
      can(regex("^[A-Za-z0-9_.()!'-]+(/[A-Za-z0-9_.()!'-]+)*$", var.results_prefix))
      && !contains(["athena-results", "lambda-code"], split("/", var.results_prefix)[0])
    )
    error_message = "results_prefix: path segments of letters, digits and _.()!'- joined by '/', no leading or trailing '/', and not inside athena-results/ or lambda-code/ (the module's own prefixes)."
  }
}

variable "list_bucket_prefix_condition" {
  description = "Limit the functions' s3:ListBucket to keys under results_prefix (an s3:prefix condition). See iam.tf before turning it off."
  type        = bool
  default     = true
}

variable "default_model" {
  description = "SWEEP_DEFAULT_MODEL: the model a request without `model` runs."
  type        = string
  default     = "ride_hailing"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]*$", var.default_model))
    error_message = "default_model: a model name such as ride_hailing or legacy_hash."
  }
}

variable "parent_lambda_zip" {
  description = "The parent's artifact (`make package`: infra/build_lambda.py; no numpy, pyarrow or scipy). null: build/lambda/parent.zip at the repository root. Uploaded by `make deploy` to lambda-code/parent/<sha256>.zip."
  type        = string
  default     = null
}

variable "child_lambda_zip" {
  description = "The child's (and recorder's) artifact (`make package`). null: build/lambda/child.zip at the repository root. Uploaded by `make deploy` to lambda-code/child/<sha256>.zip."
  type        = string
  default     = null
}

variable "parent_memory_mb" {
  description = "Memory of the parent function (CPU, and so cold start and dispatch speed, scale with it)."
  type        = number
  default     = 1024
}

variable "parent_timeout_seconds" {
  description = "Timeout of the parent. API requests answer within a second (dispatch is a separate, asynchronous job); a dispatch job hands the rest of its shards to a fresh invocation before this runs out."
  type        = number
  default     = 120

  validation {
    condition     = var.parent_timeout_seconds >= 3 && var.parent_timeout_seconds <= 900
    error_message = "parent_timeout_seconds: 3 to 900."
  }
}

variable "child_memory_mb" {
  description = "Memory of the child function. 1769 MB is one full vCPU; the simulation is single-threaded."
  type        = number
  default     = 1769
}

variable "child_timeout_seconds" {
  description = "Timeout of the child (one shard). The handler stops SWEEP_DEADLINE_MARGIN_MS before it to record a timeout failure."
  type        = number
  default     = 900

  validation {
    condition     = var.child_timeout_seconds >= 30 && var.child_timeout_seconds <= 900
    error_message = "child_timeout_seconds: 30 to 900."
  }
}

variable "child_reserved_concurrency" {
  description = <<-EOT
    Reserved concurrency of the child: the most shards running at once, over all runs. Why 100 by
    default: without a reservation one large run takes the account's whole regional pool (1,000 by
    default) and throttles the parent (the API answers 500/429) and every other function in the
    account; 100 keeps 90 % of a default pool free and bounds cost, while throttled shard events
    are not lost (Lambda keeps retrying them for up to child_maximum_event_age_seconds, then the
    recorder records them as expired). Raise it with the account's quota; per-run caps are the
    request's max_concurrency. -1: unreserved (the account's pool), needed on accounts whose quota
    is below 200 (Lambda keeps 100 unreserved).
  EOT
  type        = number
  default     = 100

  validation {
    condition     = var.child_reserved_concurrency == -1 || var.child_reserved_concurrency >= 1
    error_message = "child_reserved_concurrency: -1 (unreserved) or at least 1 (0 would stop every shard)."
  }
}

variable "parent_reserved_concurrency" {
  description = "Reserved concurrency of the parent (API requests and dispatch jobs). -1: unreserved. A small reservation (e.g. 10) guarantees the API answers while children run."
  type        = number
  default     = -1
}

variable "recorder_reserved_concurrency" {
  description = "Reserved concurrency of the recorder (failure records). -1: unreserved."
  type        = number
  default     = -1
}

variable "recorder_memory_mb" {
  description = "Memory of the recorder function (one envelope and one Parquet row per failure record)."
  type        = number
  default     = 512
}

variable "dispatch_concurrency" {
  description = "SWEEP_DISPATCH_CONCURRENCY: concurrent Invoke calls of a dispatch job (botocore's connection pool is sized to match)."
  type        = number
  default     = 64

  validation {
    condition     = var.dispatch_concurrency >= 1 && var.dispatch_concurrency <= 512
    error_message = "dispatch_concurrency: 1 to 512."
  }
}

variable "dispatch_maximum_event_age_seconds" {
  description = "How long Lambda keeps trying to start a queued dispatch job (the parent invoking itself, 60-21600 s) before it goes to the dead-letter queue. Lambda also retries a crashed dispatch job twice."
  type        = number
  default     = 3600

  validation {
    condition     = var.dispatch_maximum_event_age_seconds >= 60 && var.dispatch_maximum_event_age_seconds <= 21600
    error_message = "dispatch_maximum_event_age_seconds: 60 to 21600."
  }
}

variable "child_maximum_retry_attempts" {
  description = "Lambda's own retries of a failed asynchronous child invocation (0-2)."
  type        = number
  default     = 2

  validation {
    condition     = var.child_maximum_retry_attempts >= 0 && var.child_maximum_retry_attempts <= 2
    error_message = "child_maximum_retry_attempts: 0, 1 or 2."
  }
}

variable "child_maximum_event_age_seconds" {
  description = "SWEEP_CHILD_MAX_EVENT_AGE_S: how long Lambda keeps trying to deliver a queued child event (60-21600 s) before it hands it to the recorder (error_kind expired). The parent reports a shard without a record after this plus the child timeout as lost."
  type        = number
  default     = 21600

  validation {
    condition     = var.child_maximum_event_age_seconds >= 60 && var.child_maximum_event_age_seconds <= 21600
    error_message = "child_maximum_event_age_seconds: 60 to 21600."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long the dead-letter queue keeps a failed event (max 14 days)."
  type        = number
  default     = 1209600
}

variable "dlq_kms_key_id" {
  description = "KMS key of the dead-letter queue: alias/aws/sqs (SQS's AWS-managed key, no grants needed) or a customer-managed key's ARN (the senders get kms:GenerateDataKey/Decrypt on it)."
  type        = string
  default     = "alias/aws/sqs"

  validation {
    condition     = var.dlq_kms_key_id == "alias/aws/sqs" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.dlq_kms_key_id))
    error_message = "dlq_kms_key_id: alias/aws/sqs or arn:aws:kms:<region>:<account>:key/<id>."
  }
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic notified when the dead-letter queue holds a message (and when it is empty again). null: the alarm only shows in CloudWatch."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn: null or an SNS topic ARN."
  }
}

variable "enable_xray_tracing" {
  description = "X-Ray active tracing of the three functions and the API stage (a trace per request: API -> parent -> S3/Lambda calls). false: PassThrough, no traces, no xray grants."
  type        = bool
  default     = true
}

variable "enable_api_access_logging" {
  description = "API access log (who: caller ARN and source IP; when; which route; status; latency) as JSON lines in the log group /aws/apigateway/<name_prefix>-api-access."
  type        = bool
  default     = true
}

variable "manage_api_gateway_account" {
  description = "Set the region's API Gateway account setting (cloudwatch_role_arn) to a role this module creates; API Gateway needs one to write access logs. It is one setting per account and region: set false when another stack already manages it."
  type        = bool
  default     = true
}

variable "api_logging_level" {
  description = "API Gateway execution logging of every method (OFF, ERROR or INFO). ERROR: failed integrations only, no bodies."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.api_logging_level)
    error_message = "api_logging_level: OFF, ERROR or INFO."
  }
}

variable "allowed_principals" {
  description = "Who may call the API (besides IAM SigV4 authentication, the resource policy admits only these): IAM role/user ARNs or 12-digit account ids. Empty: the deploying account."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for p in var.allowed_principals :
      can(regex("^[0-9]{12}$", p)) || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", p))
    ])
    error_message = "allowed_principals: 12-digit account ids or arn:aws:iam::<account>:root|role/...|user/... ARNs."
  }
}

variable "stage_name" {
  description = "API Gateway stage name (the first path segment of the API URL)."
  type        = string
  default     = "v1"
}

variable "api_throttle_rate_limit" {
  description = "Steady-state requests per second allowed on every method of the stage."
  type        = number
  default     = 10
}

variable "api_throttle_burst_limit" {
  description = "Request burst allowed on every method of the stage."
  type        = number
  default     = 20
}

variable "log_retention_days" {
  description = "Retention of the functions' and the API access log's CloudWatch log groups."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's retention values (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "enable_lifecycle" {
  description = "Lifecycle rules on the bucket: expire old object versions, old Athena query results and aborted multipart uploads. Results themselves never expire."
  type        = bool
  default     = true
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted object version is kept (versioning is on) before it expires."
  type        = number
  default     = 30
}

variable "athena_results_expiration_days" {
  description = "Days Athena query results (athena-results/) are kept."
  type        = number
  default     = 30
}

variable "athena_bytes_scanned_cutoff" {
  description = "Per-query scan limit of the Athena workgroup, in bytes (null: no limit). 10 GB by default."
  type        = number
  default     = 10737418240
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete a bucket that still holds results (every version). Keep false outside tests."
  type        = bool
  default     = false
}

variable "attach_bucket_policy" {
  description = "Attach the TLS-only bucket policy. Keep true: false exists for moto, which evaluates the policy's conditions (Bool, NumericLessThan) as always true and then denies every object request."
  type        = bool
  default     = true
}

variable "enable_api_resource_policy" {
  description = "Attach the API resource policy (allowed_principals only). Keep true: false exists for moto, which returns a stored REST API policy in a format the provider cannot read back."
  type        = bool
  default     = true
}

variable "local_endpoint" {
  description = "Tests only: send every AWS API call to this endpoint (a moto server on loopback) and skip credential, account and metadata checks. null in real deployments."
  type        = string
  default     = null

  validation {
    condition     = var.local_endpoint == null || can(regex("^https?://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]+)?/?$", var.local_endpoint))
    error_message = "local_endpoint must be a loopback URL (http://127.0.0.1:<port>): it exists for local emulators only."
  }
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}
