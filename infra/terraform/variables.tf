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

variable "lambda_zip_path" {
  description = "The deployment zip built by `make package` (infra/build_lambda.py). null: build/lambda/serverless-sweep-lambda.zip at the repository root."
  type        = string
  default     = null
}

variable "parent_memory_mb" {
  description = "Memory of the parent function (CPU scales with it; the parent imports the same libraries as the child)."
  type        = number
  default     = 1024
}

variable "parent_timeout_seconds" {
  description = "Timeout of the parent. API Gateway answers 504 after 29 s, but a parent that is still dispatching keeps going until this timeout."
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
  description = "Reserved concurrency of the child: a cap on parallel shards (and on cost). -1: unreserved, the account's pool."
  type        = number
  default     = -1
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
  description = "How long Lambda keeps trying to deliver a queued child event (60-21600) before it goes to the dead-letter queue."
  type        = number
  default     = 21600

  validation {
    condition     = var.child_maximum_event_age_seconds >= 60 && var.child_maximum_event_age_seconds <= 21600
    error_message = "child_maximum_event_age_seconds: 60 to 21600."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long the child's dead-letter queue keeps a failed event (max 14 days)."
  type        = number
  default     = 1209600
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
  description = "Retention of the functions' CloudWatch log groups."
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
