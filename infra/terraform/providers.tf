locals {
  # With var.local_endpoint set (a moto server or LocalStack on loopback), every API the module
  # talks to goes there and nothing reaches AWS.
  local_mode = var.local_endpoint != null
}

provider "aws" {
  region = var.region

  # Credentials come from the usual chain (env, profile, SSO, instance role). In local mode
  # the caller provides fake ones and nothing is validated against AWS. The account id is still
  # requested (from the emulator's STS): the provider builds ARNs (Athena workgroup, API
  # execution ARN) from it, and they would lack the account otherwise.
  skip_credentials_validation = local.local_mode
  skip_requesting_account_id  = false
  skip_metadata_api_check     = local.local_mode
  s3_use_path_style           = local.local_mode

  dynamic "endpoints" {
    for_each = local.local_mode ? [var.local_endpoint] : []
    content {
      apigateway = endpoints.value
      athena     = endpoints.value
      cloudwatch = endpoints.value
      glue       = endpoints.value
      iam        = endpoints.value
      lambda     = endpoints.value
      logs       = endpoints.value
      s3         = endpoints.value
      sqs        = endpoints.value
      sts        = endpoints.value
    }
  }

  default_tags {
    tags = merge({ project = "serverless-sweep", "managed-by" = "terraform" }, var.tags)
  }
}
