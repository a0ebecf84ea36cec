# REST API (v1 proxy events, which the parent routes by `resource` + `httpMethod`):
#   POST /sweep-run                     submit (body validated against the SweepRequest model)
#   GET  /sweep-run                     list runs, newest first (?limit=&next_token=)
#   GET  /sweep-run/{run_id}            run status
#   POST /sweep-run/{run_id}/redrive    redrive failed shards
#   GET  /sweep-run/{run_id}/results    a compacted run's points, paginated (?order_by=&fields=&limit=&page_token=)
# Every method needs SigV4 (AWS_IAM), and the resource policy admits only allowed_principals.

locals {
  # The generated draft-04 model; its "x-generated" notice is not JSON Schema, so it goes.
  sweep_request_model = {
    for key, value in jsondecode(file("${path.module}/../../src/serverless_sweep/contracts/generated/apigateway/sweep_request.json")) :
    key => value if key != "x-generated"
  }

  # Principals of the resource policy: the listed ones, or the deploying account.
  api_principals = length(var.allowed_principals) > 0 ? var.allowed_principals : [local.account_id]
  # The same principals as aws:PrincipalArn patterns, for the explicit deny of everyone else.
  api_principal_arn_patterns = [
    for p in local.api_principals :
    can(regex("^[0-9]{12}$", p)) ? "arn:${local.partition}:iam::${p}:*" : p
  ]

  api_routes = {
    submit  = { method = "POST", resource_id = aws_api_gateway_resource.sweep_run.id }
    list    = { method = "GET", resource_id = aws_api_gateway_resource.sweep_run.id }
    status  = { method = "GET", resource_id = aws_api_gateway_resource.run.id }
    redrive = { method = "POST", resource_id = aws_api_gateway_resource.redrive.id }
    results = { method = "GET", resource_id = aws_api_gateway_resource.results.id }
  }
  # execute-api ARNs of the routes on the stage ({run_id} is one path segment: *).
  api_route_arns = [
    "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/POST/sweep-run",
    "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/GET/sweep-run",
    "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/GET/sweep-run/*",
    "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/POST/sweep-run/*/redrive",
    "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/GET/sweep-run/*/results",
  ]
}

resource "aws_api_gateway_rest_api" "this" {
  # checkov:skip=CKV_AWS_237: replacing the API changes its URL for every client; a new API (create_before_destroy) would not make that safer
  name        = "${var.name_prefix}-api"
  description = "serverless-sweep: submit sweeps, read run status, redrive failed shards"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_resource" "sweep_run" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "sweep-run"
}

resource "aws_api_gateway_resource" "run" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.sweep_run.id
  path_part   = "{run_id}"
}

resource "aws_api_gateway_resource" "redrive" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.run.id
  path_part   = "redrive"
}

resource "aws_api_gateway_resource" "results" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.run.id
  path_part   = "results"
}

resource "aws_api_gateway_model" "sweep_request" {
  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = "SweepRequest"
  description  = "Generated from schemas/v1/sweep_request.json (draft-04 for API Gateway)"
  content_type = "application/json"
  schema       = jsonencode(local.sweep_request_model)
}

resource "aws_api_gateway_request_validator" "body" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "body"
  validate_request_body       = true
  validate_request_parameters = false
}

resource "aws_api_gateway_method" "this" {
  for_each = local.api_routes

  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = each.value.resource_id
  http_method   = each.value.method
  authorization = "AWS_IAM"

  request_validator_id = each.key == "submit" ? aws_api_gateway_request_validator.body.id : null
  request_models       = each.key == "submit" ? { "application/json" = aws_api_gateway_model.sweep_request.name } : null
  request_parameters   = each.key == "submit" ? null : { "method.request.path.run_id" = true }
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.api_routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = each.value.resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_alias.parent.invoke_arn
}

# API Gateway's own answers in the ErrorResponse shape (schemas/v1/error_response.json). The
# templates are plain substitution (no VTL); $context.error.messageString is already quoted.
resource "aws_api_gateway_gateway_response" "bad_request_body" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = "BAD_REQUEST_BODY"
  status_code   = "400"

  response_templates = {
    "application/json" = "{\"error\": \"validation_error\", \"message\": \"Invalid request body: $context.error.validationErrorString\"}"
  }
}

resource "aws_api_gateway_gateway_response" "request_too_large" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = "REQUEST_TOO_LARGE"
  status_code   = "413"

  response_templates = {
    "application/json" = "{\"error\": \"payload_too_large\", \"message\": $context.error.messageString}"
  }
}

resource "aws_api_gateway_gateway_response" "default_5xx" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = "DEFAULT_5XX"

  response_templates = {
    "application/json" = "{\"error\": \"internal_error\", \"message\": $context.error.messageString}"
  }
}

data "aws_iam_policy_document" "api" {
  statement {
    sid       = "AllowListedPrincipals"
    actions   = ["execute-api:Invoke"]
    resources = local.api_route_arns

    principals {
      type        = "AWS"
      identifiers = local.api_principals
    }
  }

  # Without this, any principal of the account whose own IAM policy allows execute-api:Invoke
  # could call the API; with it, only the listed ones can.
  statement {
    sid       = "DenyEveryoneElse"
    effect    = "Deny"
    actions   = ["execute-api:Invoke"]
    resources = ["${aws_api_gateway_rest_api.this.execution_arn}/*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.api_principal_arn_patterns
    }
  }
}

resource "aws_api_gateway_rest_api_policy" "this" {
  count = var.enable_api_resource_policy ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.this.id
  policy      = data.aws_iam_policy_document.api.json
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "serverless-sweep API"

  # A REST API serves what was deployed, not what is configured: redeploy on any change.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.sweep_run,
      aws_api_gateway_resource.run,
      aws_api_gateway_resource.redrive,
      aws_api_gateway_resource.results,
      aws_api_gateway_model.sweep_request,
      aws_api_gateway_request_validator.body,
      aws_api_gateway_method.this,
      aws_api_gateway_integration.this,
      aws_api_gateway_gateway_response.bad_request_body,
      aws_api_gateway_gateway_response.request_too_large,
      aws_api_gateway_gateway_response.default_5xx,
      data.aws_iam_policy_document.api.json,
      var.enable_api_resource_policy,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration.this, aws_api_gateway_rest_api_policy.this]
}

# -- access log and tracing -----------------------------------------------------------------------

locals {
  # One JSON line per request: who (caller ARN, account, source IP, user agent), when, which
  # route (method, resource template and concrete path), the answer (status, error, latency,
  # integration status) and the request id that the parent's own log lines carry too.
  api_access_log_format = jsonencode({
    requestId          = "$context.requestId"
    extendedRequestId  = "$context.extendedRequestId"
    requestTime        = "$context.requestTime"
    requestTimeEpoch   = "$context.requestTimeEpoch"
    caller             = "$context.identity.caller"
    userArn            = "$context.identity.userArn"
    accountId          = "$context.identity.accountId"
    sourceIp           = "$context.identity.sourceIp"
    userAgent          = "$context.identity.userAgent"
    httpMethod         = "$context.httpMethod"
    resourcePath       = "$context.resourcePath"
    path               = "$context.path"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    responseLatency    = "$context.responseLatency"
    integrationStatus  = "$context.integration.status"
    integrationLatency = "$context.integration.latency"
    errorMessage       = "$context.error.message"
    xrayTraceId        = "$context.xrayTraceId"
  })
}

resource "aws_cloudwatch_log_group" "api_access" {
  count             = var.enable_api_access_logging ? 1 : 0
  name              = "/aws/apigateway/${var.name_prefix}-api-access"
  retention_in_days = var.log_retention_days
  # checkov:skip=CKV_AWS_158: CloudWatch Logs' own encryption, as the functions' log groups (lambda.tf)
  # checkov:skip=CKV_AWS_338: retention is log_retention_days (default 30), as the functions' log groups
}

# API Gateway writes access and execution logs with the role of the region's account setting.
data "aws_iam_policy_document" "api_gateway_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api_gateway_logs" {
  count              = var.manage_api_gateway_account ? 1 : 0
  name               = "${var.name_prefix}-apigw-logs"
  description        = "API Gateway account setting: writes the APIs' access and execution logs"
  assume_role_policy = data.aws_iam_policy_document.api_gateway_assume.json
}

# What AWS's AmazonAPIGatewayPushToCloudWatchLogs grants, limited to this API's log groups: the
# access log and the execution logs API Gateway creates (API-Gateway-Execution-Logs_<api>/<stage>).
data "aws_iam_policy_document" "api_gateway_logs" {
  statement {
    sid     = "WriteApiLogs"
    actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = concat(
      [
        "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/*",
        "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/*:*",
      ],
      [for group in aws_cloudwatch_log_group.api_access : "${group.arn}:*"],
    )
  }

  statement {
    sid       = "FindLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:*"]
  }
}

resource "aws_iam_role_policy" "api_gateway_logs" {
  count  = var.manage_api_gateway_account ? 1 : 0
  name   = "${var.name_prefix}-apigw-logs"
  role   = aws_iam_role.api_gateway_logs[0].id
  policy = data.aws_iam_policy_document.api_gateway_logs.json
}

resource "aws_api_gateway_account" "this" {
  count               = var.manage_api_gateway_account ? 1 : 0
  cloudwatch_role_arn = aws_iam_role.api_gateway_logs[0].arn

  depends_on = [aws_iam_role_policy.api_gateway_logs]
}

resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV_AWS_120: no cache: every answer is per run and must be current (status, redrive)
  # checkov:skip=CKV2_AWS_51: callers authenticate with SigV4 (AWS_IAM on every method), not client certificates
  # checkov:skip=CKV2_AWS_29: no WAF: every method requires SigV4 and the resource policy admits the listed principals only; throttling is set per stage
  rest_api_id   = aws_api_gateway_rest_api.this.id
  deployment_id = aws_api_gateway_deployment.this.id
  stage_name    = var.stage_name
  description   = "serverless-sweep API stage"

  xray_tracing_enabled = var.enable_xray_tracing

  dynamic "access_log_settings" {
    for_each = var.enable_api_access_logging ? [1] : []
    content {
      destination_arn = aws_cloudwatch_log_group.api_access[0].arn
      format          = local.api_access_log_format
    }
  }

  depends_on = [aws_api_gateway_account.this]
}

resource "aws_api_gateway_method_settings" "all" {
  # checkov:skip=CKV_AWS_225: no cache: run status and redrive answers must be current (see the stage)
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    throttling_rate_limit  = var.api_throttle_rate_limit
    throttling_burst_limit = var.api_throttle_burst_limit
    metrics_enabled        = true
    logging_level          = var.api_logging_level
    # Request and response bodies stay out of the logs.
    data_trace_enabled = false
  }
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.parent.function_name
  qualifier     = aws_lambda_alias.parent.name
  principal     = "apigateway.amazonaws.com"
  # Only this API's four routes, on any stage of it.
  source_arn = "${aws_api_gateway_rest_api.this.execution_arn}/*/*/sweep-run*"
}
