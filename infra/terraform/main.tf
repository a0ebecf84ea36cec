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
  lambda_code_key       = "lambda-code/serverless-sweep-lambda.zip"

  parent_function_name = "${var.name_prefix}-parent"
  child_function_name  = "${var.name_prefix}-child"

  lambda_zip_path = coalesce(var.lambda_zip_path, "${path.module}/../../build/lambda/serverless-sweep-lambda.zip")

  # Environment shared by both functions (see src/serverless_sweep/entrypoints/aws_lambda.py).
  common_environment = {
    SWEEP_RESULTS_BUCKET = aws_s3_bucket.results.id
    SWEEP_RESULTS_PREFIX = local.results_prefix
    SWEEP_DEFAULT_MODEL  = var.default_model
  }
}
