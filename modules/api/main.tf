# REST API: POST /documents, GET /documents/{document_id}, GET /health -> presigned_url_generator.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

module "names" {
  source      = "../naming"
  project     = var.project
  environment = var.environment
  account_id  = data.aws_caller_identity.current.account_id
  region      = data.aws_region.current.id
}

locals {
  cognito = var.authorization == "COGNITO_USER_POOLS"
  routes = {
    create = { resource = "documents", method = "POST" }
    status = { resource = "document", method = "GET" }
    health = { resource = "health", method = "GET" }
  }
}

resource "aws_api_gateway_rest_api" "this" {
  name        = module.names.api
  description = "IDP platform API (${var.environment})"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "documents" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "documents"
}

resource "aws_api_gateway_resource" "document" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.documents.id
  path_part   = "{document_id}"
}

resource "aws_api_gateway_resource" "health" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "health"
}

resource "aws_api_gateway_authorizer" "cognito" {
  count = local.cognito ? 1 : 0

  name          = "${module.names.api}-cognito"
  rest_api_id   = aws_api_gateway_rest_api.this.id
  type          = "COGNITO_USER_POOLS"
  provider_arns = var.cognito_user_pool_arns
}

resource "aws_api_gateway_request_validator" "this" {
  name                        = "body-and-parameters"
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  validate_request_body       = true
  validate_request_parameters = true
}

resource "aws_api_gateway_model" "create_document" {
  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = "CreateDocumentRequest"
  content_type = "application/json"
  # The handler validates fully (docs/openapi.json); the gateway rejects the obviously malformed early.
  # One file: the local API Gateway stand-in enforces the same model (tests/integration/test_api_contract.py
  # holds it to the OpenAPI document).
  schema = jsonencode(jsondecode(file("${path.module}/create-document-request.json")))
}

locals {
  resource_ids = {
    documents = aws_api_gateway_resource.documents.id
    document  = aws_api_gateway_resource.document.id
    health    = aws_api_gateway_resource.health.id
  }
}

resource "aws_api_gateway_method" "this" {
  for_each = local.routes

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = local.resource_ids[each.value.resource]
  http_method          = each.value.method
  authorization        = var.authorization
  authorizer_id        = local.cognito ? aws_api_gateway_authorizer.cognito[0].id : null
  request_validator_id = aws_api_gateway_request_validator.this.id
  request_models       = each.key == "create" ? { "application/json" = aws_api_gateway_model.create_document.name } : null
  request_parameters   = each.key == "status" ? { "method.request.path.document_id" = true } : null
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = local.resource_ids[each.value.resource]
  http_method             = aws_api_gateway_method.this[each.key].http_method
  integration_http_method = "POST"
  type                    = "AWS_PROXY"
  uri                     = var.function_invoke_arn
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  qualifier     = var.function_alias # the integration invokes the alias: the permission is on it
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/*"
}

# API Gateway's own refusals (signature, throttling, size, integration errors) in the handler's error
# shape {"error", "message"}: one shape for every 4xx/5xx. The local API stand-in renders the same file.
resource "aws_api_gateway_gateway_response" "this" {
  for_each = jsondecode(file("${path.module}/gateway-responses.json"))

  rest_api_id        = aws_api_gateway_rest_api.this.id
  response_type      = each.key
  response_templates = { "application/json" = each.value }
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  # A new deployment when what the API does changes - hashed from what this module sets and the ids
  # it gets back, never from whole resource objects: a refresh turns their unset attributes into {}
  # or "", which would redeploy on every plan.
  triggers = {
    redeployment = sha1(jsonencode({
      routes            = local.routes
      resources         = local.resource_ids
      methods           = { for k, m in aws_api_gateway_method.this : k => [m.id, m.authorization, m.request_validator_id] }
      authorizer        = local.cognito ? aws_api_gateway_authorizer.cognito[0].id : ""
      integrations      = { for k, i in aws_api_gateway_integration.this : k => [i.id, i.uri, i.type] }
      request_model     = aws_api_gateway_model.create_document.schema
      gateway_responses = { for k, r in aws_api_gateway_gateway_response.this : k => r.response_templates }
    }))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_338:retention is an environment value (live/<env>/env.hcl)
  name              = "/aws/apigateway/${module.names.api}/${var.environment}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:responses are per-document and must be fresh: caching would serve stale status
  #checkov:skip=CKV2_AWS_51:callers authenticate with SigV4 (IAM) or Cognito, not client certificates
  #checkov:skip=CKV2_AWS_29:WAF is attached when web_acl_arn is set (aws_wafv2_web_acl_association.this)
  #checkov:skip=CKV2_AWS_77:the web ACL (and its managed rule groups, Log4j AMR included) is owned by whoever passes web_acl_arn
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.environment
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId   = "$context.requestId", ip = "$context.identity.sourceIp", caller = "$context.identity.caller",
      requestTime = "$context.requestTime", httpMethod = "$context.httpMethod", resourcePath = "$context.resourcePath",
      status      = "$context.status", responseLength = "$context.responseLength", integrationError = "$context.integrationErrorMessage"
    })
  }
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:responses are per-document and must be fresh: no caching
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
  }
}

# API Gateway writes execution logs through one account-wide role per region.
data "aws_iam_policy_document" "assume_apigateway" {
  count = var.manage_account_logging_role ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "apigateway_logs" {
  count = var.manage_account_logging_role ? 1 : 0

  name                 = "${module.names.api}-cloudwatch-logs"
  assume_role_policy   = data.aws_iam_policy_document.assume_apigateway[0].json
  path                 = module.names.workload_role_path
  permissions_boundary = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:policy/${module.names.workload_boundary}"
}

resource "aws_iam_role_policy_attachment" "apigateway_logs" {
  count = var.manage_account_logging_role ? 1 : 0

  role       = aws_iam_role.apigateway_logs[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_logging_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.apigateway_logs[0].arn
}

resource "aws_wafv2_web_acl_association" "this" {
  #checkov:skip=CKV2_AWS_77:the web ACL (and its managed rule groups, Log4j AMR included) is owned by whoever passes web_acl_arn
  count = var.web_acl_arn == null ? 0 : 1

  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = var.web_acl_arn
}
