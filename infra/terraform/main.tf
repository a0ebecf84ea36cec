data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  bucket_name = "${var.name_prefix}-results-${local.account_id}-${var.region}"
  # The prefix of every result key, and the only part of the bucket the functions may touch.
  results_prefix = var.results_prefix
  results_arn    = "${aws_s3_bucket.results.arn}/${local.results_prefix}/*"

  athena_results_prefix = "athena-results"
  lambda_code_prefix    = "lambda-code"

  parent_function_name   = "${var.name_prefix}-parent"
  child_function_name    = "${var.name_prefix}-child"
  recorder_function_name = "${var.name_prefix}-recorder"

  # Every caller goes through the alias: API Gateway, the parent's own dispatch jobs, the child
  # invocations and the child's on-failure destination. `make deploy` publishes a version and
  # moves the alias to it; `make rollback` moves it back (infra/README.md).
  live_alias = "live"
  # Built from names, not read from the resources: the parent's environment names the parent
  # itself, which a reference to aws_lambda_alias.parent would turn into a cycle.
  function_arn_base   = "arn:${local.partition}:lambda:${var.region}:${local.account_id}:function"
  parent_live_arn     = "${local.function_arn_base}:${local.parent_function_name}:${local.live_alias}"
  recorder_live_arn   = "${local.function_arn_base}:${local.recorder_function_name}:${local.live_alias}"
  dispatcher_function = "${local.parent_function_name}:${local.live_alias}"

  # The artifacts (infra/build_lambda.py). They are uploaded by `make deploy` (infra/deploy.py)
  # under their sha256, create-if-absent, and never deleted: every deployed artifact stays
  # available for a rollback or an audit. Terraform only points the functions at them.
  parent_lambda_zip = coalesce(var.parent_lambda_zip, "${path.module}/../../build/lambda/parent.zip")
  child_lambda_zip  = coalesce(var.child_lambda_zip, "${path.module}/../../build/lambda/child.zip")
  parent_code_key   = "${local.lambda_code_prefix}/parent/${filesha256(local.parent_lambda_zip)}.zip"
  child_code_key    = "${local.lambda_code_prefix}/child/${filesha256(local.child_lambda_zip)}.zip"

  # Environment shared by every function (see src/serverless_sweep/entrypoints/).
  common_environment = {
    SWEEP_RESULTS_BUCKET = aws_s3_bucket.results.id
    SWEEP_RESULTS_PREFIX = local.results_prefix
    SWEEP_DEFAULT_MODEL  = var.default_model
  }

  tracing_mode = var.enable_xray_tracing ? "Active" : "PassThrough"
}
